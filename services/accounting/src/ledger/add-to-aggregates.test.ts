import { expect, test } from 'vitest';
import { totalsBy } from './add-to-aggregates.js';
import type { DailyDelta } from './insert-spend-logs.js';

const delta = (overrides: Partial<DailyDelta>): DailyDelta => ({
  day: '2026-11-20',
  key_hash: 'k1',
  key_alias: '',
  team_id: '',
  user_id: 'u1',
  organization_id: '',
  model_group: 'm',
  model: 'm',
  provider: 'p',
  prompt_tokens: 1,
  completion_tokens: 2,
  cached_tokens: 0,
  reasoning_tokens: 0,
  spend_micros: 10,
  spend_nanos: 10_000,
  requests: 1,
  successes: 1,
  failures: 0,
  last_request_at: new Date('2026-11-20T10:00:00Z'),
  ...overrides,
});

test('daily groups sum into one row per key, and an empty team gets none', () => {
  const deltas = [
    delta({ spend_micros: 10, requests: 2, key_alias: 'old' }),
    delta({ model: 'other', spend_micros: 5, failures: 1, key_alias: 'new', last_request_at: new Date('2026-11-20T11:00:00Z') }),
    delta({ key_hash: 'k2', team_id: 't', spend_micros: 7 }),
  ];
  expect(totalsBy(deltas, 'key_hash')).toEqual([
    { key_hash: 'k1', key_alias: 'new', spend_micros: 15, spend_nanos: 20_000, requests: 3, failures: 1, prompt_tokens: 2, completion_tokens: 4, last_request_at: new Date('2026-11-20T11:00:00Z') },
    { key_hash: 'k2', key_alias: '', spend_micros: 7, spend_nanos: 10_000, requests: 1, failures: 0, prompt_tokens: 1, completion_tokens: 2, last_request_at: new Date('2026-11-20T10:00:00Z') },
  ]);
  expect(totalsBy(deltas, 'team_id').map((row) => [row.team_id, row.spend_micros])).toEqual([['t', 7]]);
  expect(totalsBy(deltas, 'organization_id')).toEqual([]);
});
