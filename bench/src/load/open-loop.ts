import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { requestBody, type Target } from '../target.js';

export interface OpenLoopResult {
  rate: number;
  sent: number;
  failed: number;
  /** Scheduled send → last byte, ms. */
  totalMs: number[];
  /** Scheduled send → first body byte, ms. */
  firstByteMs: number[];
}

/**
 * Sends at an even, fixed rate whatever the answers do (open loop), and times every request from when
 * it was due, not from when it went out: if the gateway or the generator falls behind, the queueing shows
 * up in the figures instead of silently lowering the rate.
 */
export async function openLoop(target: Target, options: { rate: number; durationMs: number; stream: boolean }): Promise<OpenLoopResult> {
  const pool = new Pool(target.origin, { connections: 1024, pipelining: 1, keepAliveTimeout: 30_000 });
  const body = requestBody(target, options.stream);
  const headers = { 'content-type': 'application/json', ...target.headers };
  const total = Math.round((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;
  const result: OpenLoopResult = { rate: options.rate, sent: 0, failed: 0, totalMs: [], firstByteMs: [] };
  const inflight: Array<Promise<void>> = [];

  const send = async (due: number) => {
    try {
      const response = await pool.request({ path: target.path, method: 'POST', headers, body });
      let first = 0;
      for await (const _ of response.body) {
        if (first === 0) first = performance.now();
      }
      const end = performance.now();
      if (response.statusCode !== 200) {
        result.failed += 1;
        return;
      }
      result.firstByteMs.push((first || end) - due);
      result.totalMs.push(end - due);
    } catch {
      result.failed += 1;
    }
  };

  const start = performance.now() + 5;
  let index = 0;
  while (index < total) {
    const now = performance.now();
    while (index < total && start + index * interval <= now) {
      inflight.push(send(start + index * interval));
      result.sent += 1;
      index += 1;
    }
    const next = start + index * interval - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(next))));
  }
  await Promise.all(inflight);
  await pool.close();
  return result;
}
