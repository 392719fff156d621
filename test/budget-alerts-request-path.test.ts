// Through the whole gateway: a key's requests cross 50% and then 100% of its budget while the alert
// webhook never answers. Every request is answered as fast as it would be without alerts, and the
// alerts still arrive at the receiver (one per threshold), because nothing on a request's path waits
// for them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PolicyStack, PRICE, RECORDED_USAGE, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const COST_MICROS = RECORDED_USAGE.prompt * PRICE.input + RECORDED_USAGE.completion * PRICE.output;
let receiver: Server;
const hung: Array<Record<string, unknown>> = [];
let stack: PolicyStack;

beforeAll(async () => {
  // Takes every alert and never answers it.
  receiver = createServer((request) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => hung.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  stack = await startPolicyStack('alertpath', {
    generalSettings: { alerting: ['webhook'] },
    env: { WEBHOOK_URL: url, SLUICE_LEDGER_BATCH_WAIT_MS: '20', SLUICE_ALERT_ATTEMPTS: '1' },
  });
});

afterAll(async () => {
  await stack?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('alerts off the request path', () => {
  test('requests crossing budget thresholds are not slowed by a webhook that hangs', async () => {
    // Budget for 1.5 requests: the first reaches 50%, the second 100% (and is still admitted).
    const key = await stack.admin('POST', '/key/generate', { key_alias: 'hung-alerts', max_budget: (COST_MICROS * 1.5) / 1_000_000 });
    expect(key.status).toBe(200);
    const timings: number[] = [];
    // max_tokens 1 keeps the reservation small; the provider still answers in full, so the cost is known.
    const alertsAfter = [['50%'], ['50%', '80%', '100%']];
    for (const [index, expected] of alertsAfter.entries()) {
      const started = performance.now();
      const reply = await stack.chat(key.body.key, { max_tokens: 1 });
      timings.push(performance.now() - started);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      // The alerts of this request reach the receiver (and hang there) before the next request.
      await waitFor(() => hung.length === expected.length, { timeoutMs: 10_000, message: `alerts after request ${index + 1}: ${hung.length}` });
      expect(hung.map((event) => event.threshold).sort()).toEqual([...expected].sort());
    }
    // Every webhook call is still hanging (10 s send timeout); no request waited for one.
    for (const ms of timings) expect(ms).toBeLessThan(2_000);
    // Over budget now: refused by policy, as fast as ever.
    const started = performance.now();
    const denied = await stack.chat(key.body.key, { max_tokens: 1 });
    expect(denied.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
