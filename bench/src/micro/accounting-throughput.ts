import { performance } from 'node:perf_hooks';
import { connectJetStreamUsageBus, createLogger, loadSettings } from '@sluice/common';
import { UsageStatus } from '@sluice/proto';
import { createTestBackends, startService } from '@sluice/testing';

/**
 * One accounting process draining a backlog of usage events from JetStream into Postgres, batches and
 * aggregates included: events committed per second.
 */
export async function measureAccountingThroughput(events: number): Promise<number> {
  const backends = await createTestBackends('benchacct');
  const logger = createLogger({ service: 'bench', level: 'warn' });
  try {
    const bus = await connectJetStreamUsageBus({ url: backends.env.NATS_URL!, name: 'bench', usage: loadSettings(backends.env).usage, logger });
    const now = Date.now();
    for (let index = 0; index < events; index += 1) {
      bus.publisher.publish({
        // 50 keys, 10 teams, 100 users and 5 models: every aggregate table gets real variety per batch.
        schemaVersion: 1, requestId: `bench-${index}`, keyHash: `key-${index % 50}`, keyAlias: `alias-${index % 50}`, teamId: `team-${index % 10}`,
        userId: `user-${index % 100}`, organizationId: 'org', endUser: '', callType: 'chat_completion', modelGroup: `model-${index % 5}`,
        deploymentId: 'd', provider: 'openai', model: `model-${index % 5}`, apiBaseHost: 'bench', stream: false, promptTokens: 12, completionTokens: 18,
        cachedTokens: 0, cacheCreationTokens: 0, reasoningTokens: 0, costMicros: 13, costNanos: 13_000, priceSource: 'bench', cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, usageEstimated: false, startTimeMs: now, firstTokenTimeMs: now,
        endTimeMs: now + 1, overheadUs: 100, status: UsageStatus.USAGE_STATUS_SUCCESS, errorCode: '', httpStatus: 200, attempts: 1,
        cacheHit: false, cacheKey: '', tags: [], traceId: '', sessionId: '', generationName: '', metadata: {},
        modelParametersJson: '', messagesJson: '', responseJson: '', traceparent: '', leaseId: '', leaseTokens: 0, leaseCostNanos: 0,
      });
      if (index % 5_000 === 4_999) await bus.publisher.flush(60_000);
    }
    if ((await bus.publisher.flush(120_000)) > 0) throw new Error('could not publish the backlog');
    await bus.close();

    const accounting = await startService('accounting', { ...backends.env, SLUICE_ACCOUNTING_PORT: '0', SLUICE_ACCOUNTING_HTTP_PORT: '0' });
    const start = performance.now();
    for (;;) {
      const count = (await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs')).rows[0]!.count;
      if (count >= events) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - start) / 1000;
    accounting.child.kill('SIGTERM');
    await accounting.exited;
    return events / seconds;
  } finally {
    await backends.cleanup();
  }
}
