import { expect, test } from 'vitest';
import { API_KEY_LENGTH, apiKeyFormat, generateApiKey, isWellFormedApiKey } from './api-key-format.js';

test('generated keys have the documented shape and pass their own check', () => {
  const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey()));
  expect(keys.size).toBe(1000);
  for (const key of keys) {
    expect(key).toMatch(/^sk-[0-9A-Za-z]{30}$/);
    expect(key).toHaveLength(API_KEY_LENGTH);
    expect(isWellFormedApiKey(key)).toBe(true);
  }
});

test('the body is uniform over base62 (no character is starved or favoured)', () => {
  const counts = new Map<string, number>();
  for (let index = 0; index < 2000; index += 1) {
    for (const character of generateApiKey().slice(3, 27)) counts.set(character, (counts.get(character) ?? 0) + 1);
  }
  expect(counts.size).toBe(62);
  // 48,000 characters over 62 symbols: about 774 each; a biased generator is far outside this band.
  for (const count of counts.values()) {
    expect(count).toBeGreaterThan(600);
    expect(count).toBeLessThan(950);
  }
});

test('any single changed character, a truncation or a foreign key is rejected', () => {
  const key = generateApiKey();
  for (let index = 3; index < key.length; index += 1) {
    const replacement = key[index] === 'a' ? 'b' : 'a';
    expect(isWellFormedApiKey(key.slice(0, index) + replacement + key.slice(index + 1))).toBe(false);
  }
  expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
  expect(isWellFormedApiKey(`${key}x`)).toBe(false);
  expect(isWellFormedApiKey(key.replace('sk-', 'sk_'))).toBe(false);
  expect(isWellFormedApiKey('sk-1234')).toBe(false);
  expect(isWellFormedApiKey('')).toBe(false);
});

test('keys of other formats are looked up; a mistyped key of ours and non-sk- keys are refused first', () => {
  const key = generateApiKey();
  expect(apiKeyFormat(key)).toBe('sluice');
  const last = key.at(-1) === 'a' ? 'b' : 'a';
  expect(apiKeyFormat(key.slice(0, -1) + last)).toBe('malformed');
  // LiteLLM's generated keys (sk- and 22 url-safe characters) and keys an admin chose.
  expect(apiKeyFormat('sk-kdEXbIqZRwEeEiHwdg7sFA')).toBe('other');
  expect(apiKeyFormat('sk-1234')).toBe('other');
  expect(apiKeyFormat('sk-')).toBe('malformed');
  expect(apiKeyFormat('pk-kdEXbIqZRwEeEiHwdg7sFA')).toBe('malformed');
  expect(apiKeyFormat(`sk-${'x'.repeat(300)}`)).toBe('malformed');
});
