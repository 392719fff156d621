// Every committed request reaches Langfuse as a trace with one generation, through the BullMQ queue,
// even when Langfuse answers 500 for a while and accounting is killed meanwhile: the fake Langfuse
// checks Basic auth and validates every body against Langfuse's published spec.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import {
  acceptedSpans,
  createTestBackends,
  type FakeLangfuse,
  type ServiceProcess,
  startFakeLangfuse,
  type TestBackends,
  TEST_REDIS_URL,
  writeConfigFile,
} from '@sluice/testing';
import type { UsageBus } from '@sluice/common';
import { startAccountingProcess, stopProcess } from './helpers/accounting-process.js';
import { ledgerTotals } from './helpers/ledger-checks.js';
import { connectTestBus, publishAll, usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

const KEYS = { publicKey: 'pk-lf-test', secretKey: 'sk-lf-test' };

interface Run {
  backends: TestBackends;
  bus: UsageBus;
  fake: FakeLangfuse;
  env: Record<string, string>;
  accounting?: ServiceProcess;
}

async function setUp(label: string, litellmSettings: Record<string, unknown>): Promise<Run> {
  const backends = await createTestBackends(label);
  const fake = await startFakeLangfuse(KEYS);
  const env = {
    ...backends.env,
    SLUICE_CONFIG: writeConfigFile({ model_list: [], litellm_settings: litellmSettings }),
    LANGFUSE_HOST: fake.url,
    LANGFUSE_PUBLIC_KEY: KEYS.publicKey,
    LANGFUSE_SECRET_KEY: KEYS.secretKey,
    SLUICE_LANGFUSE_RETRY_BASE_MS: '200',
    SLUICE_LANGFUSE_BATCH_SIZE: '40',
    SLUICE_LEDGER_BATCH_WAIT_MS: '100',
  };
  return { backends, bus: await connectTestBus(env), fake, env };
}

async function tearDown(run: Run | undefined): Promise<void> {
  if (!run) return;
  if (run.accounting) await stopProcess(run.accounting, 'SIGKILL');
  await run.bus.close();
  await run.fake.close();
  await run.backends.cleanup();
}

const outboxSize = async (run: Run) =>
  (await run.backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM trace_outbox')).rows[0]!.count;

function withMessages(index: number) {
  return usageEvent(index, {
    messagesJson: JSON.stringify([{ role: 'user', content: `CANARY-PROMPT-${index}` }]),
    responseJson: JSON.stringify({ choices: [{ message: { role: 'assistant', content: `CANARY-ANSWER-${index}` } }] }),
    metadata: { feature: 'search' },
    sessionId: `session-${index % 3}`,
    modelParametersJson: JSON.stringify({ temperature: 0.5 }),
  });
}

describe('with message logging on', () => {
  let run: Run;
  beforeAll(async () => {
    run = await setUp('langfuse', { success_callback: ['langfuse'], turn_off_message_logging: false });
  });
  afterAll(() => tearDown(run));

  test('an outage delays traces; once Langfuse is back every one arrives, with its generation', async () => {
    const total = 240;
    const indexes = Array.from({ length: total }, (_, index) => index);
    run.fake.failWith(500);
    run.accounting = await startAccountingProcess(run.env);
    await publishAll(run.bus, indexes.map(withMessages));

    // The ledger does not wait for Langfuse.
    await waitFor(async () => (await ledgerTotals(run.backends.sql)).rows === total, { timeoutMs: 30_000 });
    await waitFor(() => run.fake.refused.filter((refusal) => refusal.reason === 'programmed').length >= 4, { timeoutMs: 30_000 });
    expect(run.fake.batches).toHaveLength(0);
    expect(await outboxSize(run)).toBe(total);

    // Killed during the outage: the queued jobs wait in Redis and the outbox, not in the process.
    await stopProcess(run.accounting, 'SIGKILL');
    run.accounting = await startAccountingProcess(run.env);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    run.fake.failWith(undefined);

    const arrived = () => new Set(acceptedSpans(run.fake).map((span) => span.attributeMap['langfuse.observation.metadata.request_id']));
    // Jobs the killed worker held come back when BullMQ declares them stalled (30 s), and the others
    // after their current backoff: up to a minute or so.
    await waitFor(() => arrived().size === total, { timeoutMs: 180_000, intervalMs: 250, message: 'not every trace reached Langfuse' });
    await waitFor(async () => (await outboxSize(run)) === 0, { timeoutMs: 10_000 });

    expect(run.fake.invalid).toEqual([]);
    expect(run.fake.refused.filter((refusal) => refusal.reason !== 'programmed')).toEqual([]);
    expect([...arrived()].sort()).toEqual(indexes.map((index) => usageEvent(index).requestId).sort());
    const spans = acceptedSpans(run.fake);
    const span = spans.find((candidate) => candidate.attributeMap['langfuse.observation.metadata.request_id'] === 'req-000011')!;
    const event = withMessages(11);
    expect(span.attributeMap['langfuse.observation.type']).toBe('generation');
    expect(span.attributeMap['langfuse.observation.model.name']).toBe(event.model);
    expect(JSON.parse(span.attributeMap['langfuse.observation.usage_details'] as string)).toEqual({
      input: event.promptTokens,
      output: event.completionTokens,
      total: event.promptTokens + event.completionTokens,
    });
    expect(JSON.parse(span.attributeMap['langfuse.observation.cost_details'] as string)).toEqual({ total: event.costMicros / 1e6 });
    expect(span.attributeMap['langfuse.trace.metadata.key_alias']).toBe(event.keyAlias);
    expect(span.attributeMap['langfuse.trace.metadata.team_id']).toBe(event.teamId);
    expect(span.attributeMap['session.id']).toBe('session-2');
    expect(span.attributeMap['user.id']).toBe(event.endUser);
    expect(span.attributeMap['langfuse.observation.input']).toContain('CANARY-PROMPT-11');
    expect(span.attributeMap['langfuse.observation.output']).toContain('CANARY-ANSWER-11');
    // One span per request, each its own trace.
    expect(new Set(spans.map((candidate) => candidate.traceId)).size).toBe(total);
    // The queue lives under the deployment's Redis prefix, with a hash tag (one slot on a cluster).
    const redis = new Redis(TEST_REDIS_URL);
    try {
      // Every page of the scan: the shared Redis may hold many other runs' keys.
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, page] = await redis.scan(cursor, 'MATCH', `${run.env.SLUICE_REDIS_PREFIX}{${run.env.SLUICE_REDIS_PREFIX}bull}:langfuse-traces:*`, 'COUNT', 10_000);
        cursor = next;
        keys.push(...page);
      } while (cursor !== '0' && keys.length === 0);
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  }, 300_000);
});

describe('with message logging off (the default)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await setUp('langfusenomsg', { success_callback: ['langfuse'] });
  });
  afterAll(() => tearDown(run));

  test('traces carry metadata and usage but no prompt or response', async () => {
    run.accounting = await startAccountingProcess(run.env);
    await publishAll(run.bus, [0, 1, 2, 3, 4].map(withMessages));
    await waitFor(() => acceptedSpans(run.fake).length === 5, { timeoutMs: 30_000 });
    expect(run.fake.invalid).toEqual([]);
    expect(JSON.stringify(run.fake.batches)).not.toContain('CANARY');
    for (const span of acceptedSpans(run.fake)) {
      expect(span.attributeMap['langfuse.observation.input']).toBeUndefined();
      expect(span.attributeMap['langfuse.observation.usage_details']).toBeDefined();
    }
    // Nor does the ledger keep them: store_prompts_in_spend_logs is off.
    const stored = await run.backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs WHERE messages IS NOT NULL OR response IS NOT NULL');
    expect(stored.rows[0]!.count).toBe(0);
  });
});
