import { expect, test } from 'vitest';
import type { KeyRecord } from '../keys/key-record.js';
import { resolveModelAlias } from './resolve-model-alias.js';

const record = (keyAliases: Record<string, string>, teamAliases?: Record<string, string>) =>
  ({ key: { aliases: keyAliases }, team: teamAliases === undefined ? undefined : { modelAliases: teamAliases } }) as unknown as KeyRecord;

test("the key's own alias wins over its team's; the team's applies to names the key does not alias", () => {
  const both = record({ fast: 'key-group' }, { fast: 'team-group', smart: 'team-smart' });
  expect(resolveModelAlias(both, 'fast')).toBe('key-group');
  expect(resolveModelAlias(both, 'smart')).toBe('team-smart');
  expect(resolveModelAlias(both, 'gpt-test')).toBe('gpt-test');
});

test('no team, an empty target and inherited names leave the model as sent', () => {
  expect(resolveModelAlias(record({}), 'fast')).toBe('fast');
  expect(resolveModelAlias(record({}, { fast: '' }), 'fast')).toBe('fast');
  expect(resolveModelAlias(record({}, {}), 'constructor')).toBe('constructor');
  expect(resolveModelAlias(record({}, {}), '__proto__')).toBe('__proto__');
});
