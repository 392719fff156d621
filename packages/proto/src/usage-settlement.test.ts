import { expect, test } from 'vitest';
import { UsageEvent, UsageSettlement } from './index.js';

// Policy reads usage events as UsageSettlement: the shared field numbers must give it the same values.
test('a UsageEvent read as a UsageSettlement keeps what settling needs', () => {
  const event = UsageEvent.fromPartial({
    requestId: 'req-1',
    keyAlias: 'team-a',
    promptTokens: 1_234,
    completionTokens: 56,
    costMicros: 9_876_543_210,
    costNanos: 9_876_543_210_123,
    priceSource: 'genai-prices@0.1.8',
    cacheHit: true,
    messagesJson: '[{"role":"user"}]',
    metadata: { a: 'b' },
    tags: ['x'],
    leaseId: 'lease-1',
    leaseTokens: 1_290,
    leaseCostNanos: 4_000_000_123,
  });
  expect(UsageSettlement.decode(UsageEvent.encode(event).finish())).toEqual({
    requestId: 'req-1',
    promptTokens: 1_234,
    completionTokens: 56,
    costMicros: 9_876_543_210,
    costNanos: 9_876_543_210_123,
    cacheHit: true,
    leaseId: 'lease-1',
    leaseTokens: 1_290,
    leaseCostNanos: 4_000_000_123,
  });
});
