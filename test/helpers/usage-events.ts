// Usage events published straight to the test run's JetStream stream, the way the edge publishes them,
// so accounting can be tested at volumes and with faults no HTTP client would produce.
import { createHash } from 'node:crypto';
import { connectJetStreamUsageBus, createLogger, loadSettings, type UsageBus } from '@sluice/common';
import { type UsageEvent, UsageEvent as UsageEventCodec, UsageStatus } from '@sluice/proto';
import { connect, type NatsConnection } from 'nats';

const DAY_MS = 86_400_000;

/** A finished request: key/team/user/model vary with `index`; cost is `index % 997 + 1` micro-USD. */
export function usageEvent(index: number, overrides: Partial<UsageEvent> = {}): UsageEvent {
  const start = Date.parse('2026-11-18T08:00:00Z') + (index % 4) * DAY_MS + index;
  return {
    schemaVersion: 1,
    requestId: `req-${String(index).padStart(6, '0')}`,
    keyHash: createHash('sha256').update(`key-${index % 7}`).digest('hex'),
    keyAlias: `alias-${index % 7}`,
    teamId: index % 5 === 0 ? '' : `team-${index % 3}`,
    userId: `user-${index % 4}`,
    organizationId: index % 2 === 0 ? 'org-a' : '',
    endUser: `customer-${index % 11}`,
    callType: 'chat_completion',
    modelGroup: index % 3 === 0 ? 'gpt-small' : 'gpt-large',
    deploymentId: `dep-${index % 2}`,
    provider: index % 2 === 0 ? 'openai' : 'azure',
    model: index % 3 === 0 ? 'gpt-4.1-nano' : 'gpt-4.1',
    apiBaseHost: 'api.example.com',
    stream: index % 2 === 0,
    promptTokens: 10 + (index % 13),
    completionTokens: 20 + (index % 17),
    cacheCreationTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    costMicros: (index % 997) + 1,
    usageEstimated: false,
    startTimeMs: start,
    firstTokenTimeMs: start + 100,
    endTimeMs: start + 500,
    overheadUs: 300,
    status: index % 10 === 9 ? UsageStatus.USAGE_STATUS_FAILURE : UsageStatus.USAGE_STATUS_SUCCESS,
    errorCode: index % 10 === 9 ? 'upstream_error' : '',
    httpStatus: index % 10 === 9 ? 502 : 200,
    attempts: 1,
    cacheHit: false,
    cacheKey: '',
    tags: ['test'],
    traceId: '',
    sessionId: '',
    generationName: '',
    metadata: {},
    modelParametersJson: '',
    messagesJson: '',
    responseJson: '',
    traceparent: '',
    // As an edge of an earlier release sent them: only the rounded micro-USD (readers take it x 1000).
    costNanos: 0,
    priceSource: '',
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    leaseId: '',
    leaseTokens: 0,
    leaseCostNanos: 0,
    ...overrides,
  };
}

export function expectedCostMicros(indexes: Iterable<number>): number {
  let sum = 0;
  for (const index of indexes) sum += (index % 997) + 1;
  return sum;
}

/** The run's usage bus, as the edge would connect to it. */
export function connectTestBus(env: Record<string, string>): Promise<UsageBus> {
  const settings = loadSettings(env);
  return connectJetStreamUsageBus({
    url: settings.natsUrl!,
    name: 'sluice-test-publisher',
    usage: settings.usage,
    logger: createLogger({ service: 'test', level: 'warn' }),
  });
}

/** Publishes events and waits until the stream acknowledged every one. */
export async function publishAll(bus: UsageBus, events: Iterable<UsageEvent>): Promise<void> {
  for (const event of events) bus.publisher.publish(event);
  const left = await bus.publisher.flush(60_000);
  if (left > 0) throw new Error(`${left} usage events not acknowledged by the stream`);
}

/**
 * Raw publishes: bytes that may not be a usage event at all, or an event again under another message id
 * (a duplicate published after the stream's dedupe window, which only the ledger can catch).
 */
export async function publishRaw(env: Record<string, string>, messages: Array<{ id: string; data: Uint8Array }>): Promise<void> {
  const settings = loadSettings(env);
  const nc: NatsConnection = await connect({ servers: settings.natsUrl! });
  try {
    const js = nc.jetstream();
    await Promise.all(messages.map((message) => js.publish(settings.usage.subject, message.data, { msgID: message.id })));
  } finally {
    await nc.close();
  }
}

export function encode(event: UsageEvent): Uint8Array {
  return UsageEventCodec.encode(event).finish();
}
