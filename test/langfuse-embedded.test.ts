// Embedded mode has no Redis: the Langfuse export runs on the in-process queue, with the same retries,
// and still delivers every trace once Langfuse answers again.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAccounting, type RunningAccounting } from '@sluice/accounting';
import { createLogger, createMemoryUsageBus, loadSettings, runShutdown, type UsageBus } from '@sluice/common';
import { acceptedSpans, createTestBackends, type FakeLangfuse, startFakeLangfuse, type TestBackends } from '@sluice/testing';
import { ledgerTotals } from './helpers/ledger-checks.js';
import { usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

const logger = createLogger({ service: 'accounting', level: 'error' });
let backends: TestBackends;
let fake: FakeLangfuse;
let bus: UsageBus;
let accounting: RunningAccounting | undefined;

beforeAll(async () => {
  backends = await createTestBackends('lfembedded');
  fake = await startFakeLangfuse({ publicKey: 'pk-e', secretKey: 'sk-e' });
  bus = createMemoryUsageBus(logger);
});

afterAll(async () => {
  if (accounting) await runShutdown(logger, accounting.shutdownSteps(1_000), 10_000);
  await bus?.close();
  await fake?.close();
  await backends?.cleanup();
});

test('embedded mode exports through the in-process queue and survives a Langfuse outage', async () => {
  const settings = loadSettings({
    ...backends.env,
    REDIS_URL: '',
    NATS_URL: '',
    LANGFUSE_HOST: fake.url,
    LANGFUSE_PUBLIC_KEY: 'pk-e',
    LANGFUSE_SECRET_KEY: 'sk-e',
    SLUICE_LANGFUSE_RETRY_BASE_MS: '100',
    SLUICE_ACCOUNTING_PORT: '0',
    SLUICE_ACCOUNTING_HTTP_PORT: '0',
    SLUICE_LEDGER_BATCH_WAIT_MS: '50',
  });
  fake.failWith(503);
  accounting = await startAccounting({
    settings,
    config: { model_list: [], litellm_settings: { success_callback: ['langfuse'] } },
    logger,
    backends: { sql: backends.sql, bus, embedded: true },
  });
  const events = Array.from({ length: 60 }, (_, index) => usageEvent(index));
  for (const event of events) bus.publisher.publish(event);
  await waitFor(async () => (await ledgerTotals(backends.sql)).rows === events.length, { timeoutMs: 20_000 });
  await waitFor(() => fake.refused.length >= 3, { timeoutMs: 20_000 });
  expect(fake.batches).toHaveLength(0);
  fake.failWith(undefined);
  await waitFor(() => new Set(acceptedSpans(fake).map((span) => span.spanId)).size === events.length, { timeoutMs: 60_000 });
  expect(fake.invalid).toEqual([]);
  const outbox = async () => (await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM trace_outbox')).rows[0]!.count;
  await waitFor(async () => (await outbox()) === 0, { timeoutMs: 10_000, message: 'exported traces were not cleared from the outbox' });
});
