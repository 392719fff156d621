// Kill the accounting process with SIGKILL while usage events are flowing, start it again, and the ledger
// still holds exactly one row per request: nothing lost (events wait in JetStream until acked after the
// commit) and nothing doubled (redelivered events hit the primary key).
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  replayOpenAiFixture,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';
import { chatRequestId } from './helpers/chat-request.js';

const MASTER_KEY = 'sk-crash-master';
let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  backends = await createTestBackends('crash');
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    general_settings: { master_key: MASTER_KEY },
  });
  // Deliveries to the killed process come back after the ack wait; keep it short so the test is too.
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, SLUICE_USAGE_ACK_WAIT_MS: '5000' });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
});

function request(index: number): Promise<string> {
  return chatRequestId(stack.edgeUrl, MASTER_KEY, { stream: index % 3 === 0, content: `req ${index}` });
}

test('SIGKILL of accounting mid-flow loses and doubles nothing', async () => {
  const total = 240;
  const ids: string[] = [];
  let sent = 0;
  // Eight clients in parallel; accounting is killed a third of the way in and restarted at two thirds.
  const client = async () => {
    while (sent < total) {
      const index = sent++;
      ids.push(await request(index));
      if (index === Math.floor(total / 3)) await stack.kill('accounting', 'SIGKILL');
      if (index === Math.floor((2 * total) / 3)) await stack.restart('accounting');
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  expect(new Set(ids).size).toBe(total);

  const count = async () =>
    (await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs WHERE request_id = ANY($1)', [ids])).rows[0]!.count;
  await waitFor(async () => (await count()) === total, { timeoutMs: 60_000, intervalMs: 500, message: 'not every usage event reached the ledger' });
  // Give any straggling redelivery time to (not) insert twice.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const all = await backends.sql.query<{ rows: number; distinct: number; completion: number }>(
    'SELECT count(*)::int AS rows, count(DISTINCT request_id)::int AS distinct, sum(completion_tokens)::int AS completion FROM spend_logs',
  );
  expect(all.rows[0]!.rows).toBe(total);
  expect(all.rows[0]!.distinct).toBe(total);
  expect(all.rows[0]!.completion).toBe(Math.ceil(total / 3) * 300 + (total - Math.ceil(total / 3)) * 363);
});
