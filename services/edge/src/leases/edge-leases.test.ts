import { createLogger } from '@sluice/common';
import type { AuthorizeRequest, Decision } from '@sluice/proto';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { EdgeLeases, type LeaseAsk } from './edge-leases.js';

const DURATION_MS = 1_000;
const ASK: LeaseAsk = { apiKey: 'sk-a', route: '/v1/chat/completions', model: 'm', estimatedPromptTokens: 10, maxTokens: 10, choices: 1 };
/** Policy's answer to a lease request it will not lease for: allowed, nothing reserved, no lease. */
const NO_LEASE = { allowed: true, reservedTokens: 0, reservedCostNanos: 0, holdsParallelSlot: false, recalledLeaseIds: [] } as unknown as Decision;

function leasesAnswering(answer: (request: AuthorizeRequest) => Decision) {
  const asks: number[] = [];
  const leases = new EdgeLeases({
    ask: async (request) => {
      asks.push(performance.now());
      return answer(request);
    },
    abandon: () => {},
    giveBack: async () => {},
    logger: createLogger({ service: 'test', level: 'silent' }),
    durationMs: DURATION_MS,
    now: () => performance.now(),
  });
  return { leases, asks };
}

/** Requests of the key arriving every 100 ms for `ms`, each admitted by policy (no lease covers them). */
async function traffic(leases: EdgeLeases, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 100) {
    if (!leases.admit(ASK, 'r')) leases.admitted(ASK);
    await vi.advanceTimersByTimeAsync(100);
  }
}

describe('EdgeLeases, for a key policy will not lease for', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('asks again after 1, 2, 4, 8 and then at most every 16 lease durations, not once a second', async () => {
    const { leases, asks } = leasesAnswering(() => NO_LEASE);
    await traffic(leases, 100_000);
    const gaps = asks.slice(1).map((at, index) => Math.round((at - asks[index]!) / DURATION_MS));
    expect(gaps.slice(0, 5)).toEqual([1, 2, 4, 8, 16]);
    expect(gaps.slice(5).every((gap) => gap === 16)).toBe(true);
    // A hundred seconds of traffic: 10 lease requests, where a fixed wait would have made a hundred.
    expect(asks.length).toBeLessThanOrEqual(10);
    await leases.close();
  });

  test('a grant starts the count again: the next refusal waits one lease duration', async () => {
    let grant = false;
    const { leases, asks } = leasesAnswering((request) =>
      grant
        ? ({ ...NO_LEASE, lease: { id: request.requestId, requests: 1, tokens: 1_000, costNanos: 1_000_000, durationMs: DURATION_MS, defaultMaxTokens: 0, pricingJson: 'null' } } as unknown as Decision)
        : NO_LEASE,
    );
    await traffic(leases, 8_000);
    const refusedAsks = asks.length;
    expect(refusedAsks).toBe(4);
    grant = true;
    await traffic(leases, 8_000);
    expect(asks.length).toBeGreaterThan(refusedAsks);
    grant = false;
    const beforeRefusals = asks.length;
    await traffic(leases, 3_500);
    // Refused again from a fresh count: after 1 and then 2 lease durations (one request may be in flight).
    const gaps = asks.slice(beforeRefusals).map((at, index, all) => (index === 0 ? 0 : Math.round((at - all[index - 1]!) / DURATION_MS)));
    expect(gaps.slice(1, 3)).toEqual([1, 2]);
    await leases.close();
  });
});
