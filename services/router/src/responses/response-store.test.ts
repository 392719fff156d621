// The response store in the real Postgres: rows scoped to their owner, kept for the retention setting
// (SLUICE_RESPONSES_RETENTION_HOURS) and then gone, with the deployment that made each.
import { createLogger, migrate } from '@sluice/common';
import { createTestBackends, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSqlResponseStore, type StoredEntry } from './response-store.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let backends: TestBackends;

beforeAll(async () => {
  backends = await createTestBackends('respstore');
  await migrate(backends.sql, logger);
});

afterAll(async () => {
  await backends?.cleanup();
});

const entry = (id: string, overrides: Partial<StoredEntry> = {}): StoredEntry => ({
  id,
  owner: 'key-a',
  modelGroup: 'gpt',
  response: JSON.stringify({ id, object: 'response' }),
  conversation: [{ role: 'user', content: 'hi' }],
  deploymentId: 'gpt-1',
  ...overrides,
});

describe('the response store', () => {
  test('a row lives for the retention setting, for its owner only, with the deployment that made it', async () => {
    const store = createSqlResponseStore(backends.sql, 48, logger, false);
    try {
      await store.save(entry('resp_kept'));
      await store.save(entry('resp_cached', { deploymentId: undefined }));
      const row = await backends.sql.query<{ hours: number }>(
        "SELECT round(extract(epoch FROM expires_at - created_at) / 3600)::int AS hours FROM stored_responses WHERE id = 'resp_kept'",
      );
      expect(row.rows[0]!.hours).toBe(48);
      expect(await store.conversation('resp_kept', 'key-a')).toEqual({ messages: [{ role: 'user', content: 'hi' }], deploymentId: 'gpt-1' });
      expect(await store.conversation('resp_cached', 'key-a')).toEqual({ messages: [{ role: 'user', content: 'hi' }], deploymentId: null });
      expect(await store.conversation('resp_kept', 'key-b')).toBeUndefined();
      expect((await store.get('resp_kept', 'key-a'))?.toString()).toBe('{"id": "resp_kept", "object": "response"}');
      expect(await store.get('resp_kept', 'key-b')).toBeUndefined();

      // Past its time the row is gone at once for every read, before the purge reclaims it.
      await backends.sql.query("UPDATE stored_responses SET expires_at = now() - interval '1 second' WHERE id = 'resp_kept'");
      expect(await store.conversation('resp_kept', 'key-a')).toBeUndefined();
      expect(await store.get('resp_kept', 'key-a')).toBeUndefined();
      expect(await store.delete('resp_kept', 'key-a')).toBe(false);
    } finally {
      await store.close();
    }
  });

  test('a retention of 0 keeps nothing', async () => {
    const store = createSqlResponseStore(backends.sql, 0, logger, false);
    try {
      await store.save(entry('resp_never'));
      expect(await store.conversation('resp_never', 'key-a')).toBeUndefined();
      const count = await backends.sql.query<{ count: number }>("SELECT count(*)::int AS count FROM stored_responses WHERE id = 'resp_never'");
      expect(count.rows[0]!.count).toBe(0);
    } finally {
      await store.close();
    }
  });
});
