import { ConfigError, hashKey, parseConfig } from '@sluice/common';
import { expect, test } from 'vitest';
import { declaredClientKeys } from './declared-client-keys.js';

const configWith = (clientKeys: unknown, env: Record<string, string> = {}) =>
  parseConfig({ general_settings: { master_key: 'sk-master', client_keys: clientKeys } }, env).config;

test('os.environ/NAME holding a comma-separated list: one key each, alias from the hash', () => {
  const keys = declaredClientKeys(configWith('os.environ/API_KEYS', { API_KEYS: 'sk-clientA, sk-clientB,' }), undefined);
  expect(keys.map((key) => key.token)).toEqual([hashKey('sk-clientA', undefined), hashKey('sk-clientB', undefined)]);
  expect(keys[0]!.alias).toBe(hashKey('sk-clientA', undefined).slice(0, 12));
  expect(keys[0]!.keyName).toBe('sk-...entA');
  expect(keys[0]!.fields).toEqual({});
});

test('a list mixing keys, references and entries with an alias and limits; the pepper changes the hash', () => {
  const keys = declaredClientKeys(
    configWith(['sk-one', 'os.environ/MORE', { key: 'sk-three', key_alias: 'three', max_budget: 5, rpm_limit: 10 }], { MORE: 'sk-two' }),
    'pepper',
  );
  expect(keys.map((key) => key.token)).toEqual(['sk-one', 'sk-two', 'sk-three'].map((key) => hashKey(key, 'pepper')));
  expect(keys[2]).toMatchObject({ alias: 'three', fields: { max_budget: 5, rpm_limit: 10 } });
  expect(new Set(keys.map((key) => key.fingerprint)).size).toBe(3);
});

test('the fingerprint changes with the limits, not otherwise', () => {
  const first = declaredClientKeys(configWith([{ key: 'sk-a', rpm_limit: 1 }]), undefined)[0]!;
  const same = declaredClientKeys(configWith([{ key: 'sk-a', rpm_limit: 1 }]), undefined)[0]!;
  const changed = declaredClientKeys(configWith([{ key: 'sk-a', rpm_limit: 2 }]), undefined)[0]!;
  expect(same.fingerprint).toBe(first.fingerprint);
  expect(changed.fingerprint).not.toBe(first.fingerprint);
});

test('bad entries stop start-up with a message that names the entry, never the key', () => {
  const refuse = (clientKeys: unknown, pattern: RegExp) => {
    let thrown: unknown;
    try {
      declaredClientKeys(configWith(clientKeys), undefined);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(pattern);
    expect((thrown as Error).message).not.toMatch(/secret-value/);
  };
  refuse(['pk-secret-value'], /client_keys\[0\].*sk-/);
  refuse(['sk-secret-value', 'sk-secret-value'], /client_keys\[1\].*twice/);
  refuse(['sk-master'], /master key/);
  refuse([{ key: 'sk-secret-value-1', key_alias: 'x' }, { key: 'sk-secret-value-2', key_alias: 'x' }], /client_keys\[1\].*alias/);
  // A misspelt limit is a config error, not an unlimited key.
  expect(() => configWith([{ key: 'sk-a', max_budgets: 5 }])).toThrow(/client_keys/);
});

test('no client_keys, or an unset variable: none', () => {
  expect(declaredClientKeys(parseConfig({}, {}).config, undefined)).toEqual([]);
  expect(declaredClientKeys(configWith('os.environ/UNSET'), undefined)).toEqual([]);
});
