// NATS goes away under the edge while requests keep coming: clients notice nothing, the edge keeps the
// usage events (in batches) and resends them, and once NATS is back the ledger holds exactly one row per
// request. Batches cut off mid-publish are resent under the same id; any that arrive twice anyway insert
// nothing twice.
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  replayOpenAiFixture,
  type Stack,
  startFakeProvider,
  startStack,
  startTcpProxy,
  type TcpProxy,
  TEST_NATS_URL,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';
import { chatRequestId } from './helpers/chat-request.js';

const MASTER_KEY = 'sk-nats-outage-master';
let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;
let natsProxy: TcpProxy;

beforeAll(async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  backends = await createTestBackends('natsout');
  const url = new URL(TEST_NATS_URL);
  natsProxy = await startTcpProxy(url.hostname, Number(url.port));
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
  // Only the edge reaches NATS through the proxy.
  await stack.kill('edge', 'SIGTERM');
  stack.envOf('edge').NATS_URL = natsProxy.url(TEST_NATS_URL);
  await stack.restart('edge');
});

afterAll(async () => {
  await stack?.stop();
  await natsProxy?.close();
  await fake?.close();
  await backends?.cleanup();
});

function request(index: number): Promise<string> {
  return chatRequestId(stack.edgeUrl, MASTER_KEY, { stream: index % 2 === 0, content: `req ${index}` });
}

test('an outage of NATS delays usage; every request is in the ledger once afterwards', async () => {
  const ids: string[] = [];
  const burst = async (from: number, count: number) => {
    await Promise.all(Array.from({ length: count }, async (_, offset) => ids.push(await request(from + offset))));
  };
  await burst(0, 30);
  // Cut while the first events may still be on their way; the next ones find NATS gone.
  await natsProxy.stop();
  await burst(30, 30);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await burst(60, 30);
  const count = async (of: string[]) =>
    (await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs WHERE request_id = ANY($1)', [of])).rows[0]!.count;
  // Nothing answered while NATS was away can have reached the ledger (it would have by now otherwise).
  expect(await count(ids.slice(30))).toBe(0);

  await natsProxy.start();
  await waitFor(async () => (await count(ids)) === ids.length, { timeoutMs: 60_000, intervalMs: 500, message: 'usage events were lost in the outage' });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const all = await backends.sql.query<{ rows: number; distinct: number; completion: number }>(
    'SELECT count(*)::int AS rows, count(DISTINCT request_id)::int AS distinct, sum(completion_tokens)::int AS completion FROM spend_logs',
  );
  // The recording answers 363 completion tokens, or 300 when streamed.
  expect(all.rows[0]).toEqual({ rows: 90, distinct: 90, completion: 45 * 300 + 45 * 363 });
  expect(new Set(ids).size).toBe(90);
});
