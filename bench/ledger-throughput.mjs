// How many usage events per second one accounting process commits on the real NATS and Postgres.
// Run after `npm run build`: node bench/ledger-throughput.mjs [events] [batch size]
// It publishes the events to a fresh stream first, then starts accounting and times the ledger filling.
import { createHash } from 'node:crypto';
import { connectJetStreamUsageBus, createLogger, loadSettings } from '@sluice/common';
import { createTestBackends, startService } from '@sluice/testing';

const total = Number(process.argv[2] ?? 100_000);
const batchSize = process.argv[3] ?? '1000';
const backends = await createTestBackends('bench');
const env = { ...backends.env, SLUICE_LEDGER_BATCH_SIZE: batchSize, SLUICE_LEDGER_CONCURRENCY: process.env.SLUICE_LEDGER_CONCURRENCY ?? '2', SLUICE_ACCOUNTING_PORT: '0', SLUICE_ACCOUNTING_HTTP_PORT: '0', LOG_LEVEL: 'info' };
const settings = loadSettings(env);
const bus = await connectJetStreamUsageBus({ url: settings.natsUrl, name: 'bench', usage: settings.usage, logger: createLogger({ service: 'bench', level: 'warn' }) });
const keys = Array.from({ length: 50 }, (_, index) => createHash('sha256').update(`bench-key-${index}`).digest('hex'));
const now = Date.now();
let accounting;
try {
  const publishStart = Date.now();
  for (let index = 0; index < total; index += 1) {
    bus.publisher.publish({
      schemaVersion: 1, requestId: `bench-${index}`, keyHash: keys[index % keys.length], keyAlias: `alias-${index % keys.length}`,
      teamId: `team-${index % 10}`, userId: `user-${index % 100}`, organizationId: 'org', endUser: '', callType: 'chat_completion',
      modelGroup: `model-${index % 5}`, deploymentId: 'd', provider: 'openai', model: `model-${index % 5}`, apiBaseHost: 'api.openai.com',
      stream: true, promptTokens: 100, completionTokens: 200, cachedTokens: 0, reasoningTokens: 0, costMicros: 1234, usageEstimated: false,
      startTimeMs: now, firstTokenTimeMs: now + 10, endTimeMs: now + 20, overheadUs: 100, status: 1, errorCode: '', httpStatus: 200,
      attempts: 1, cacheHit: false, cacheKey: '', tags: [], traceId: '', sessionId: '', generationName: '', metadata: {},
      modelParametersJson: '', messagesJson: '', responseJson: '', traceparent: '',
    });
    if (index % 5_000 === 4_999) await bus.publisher.flush(60_000);
  }
  await bus.publisher.flush(120_000);
  console.log(`published ${total} events in ${Date.now() - publishStart} ms`);

  const start = Date.now();
  accounting = await startService('accounting', env);
  const ready = Date.now();
  let rows = 0;
  while (rows < total) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    rows = (await backends.sql.query('SELECT count(*)::int AS count FROM spend_logs')).rows[0].count;
  }
  const seconds = (Date.now() - ready) / 1000;
  console.log(`accounting started in ${ready - start} ms; committed ${total} events in ${seconds.toFixed(1)} s: ${Math.round(total / seconds)} events/s (batch ${batchSize})`);
} finally {
  accounting?.child.kill('SIGKILL');
  await bus.close();
  await backends.cleanup();
}
