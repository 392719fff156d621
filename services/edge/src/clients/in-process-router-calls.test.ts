import { type CancelSignal, GatewayError } from '@sluice/common';
import type { CompletePart, CompleteRequest } from '@sluice/proto';
import { describe, expect, test } from 'vitest';
import { inProcessRouterCall } from './in-process-router-calls.js';

const REQUEST = { requestId: 'r1' } as CompleteRequest;
const usage = (promptTokens: number): CompletePart => ({ part: { $case: 'usage', usage: { promptTokens } } }) as CompletePart;

async function collect(iterable: AsyncIterable<CompletePart>): Promise<CompletePart[]> {
  const parts: CompletePart[] = [];
  for await (const part of iterable) parts.push(part);
  return parts;
}

describe('inProcessRouterCall', () => {
  test('passes the call path its request and yields its parts in order', async () => {
    let seen: CompleteRequest | undefined;
    const call = inProcessRouterCall(async function* (request) {
      seen = request;
      yield usage(1);
      yield usage(2);
    }, REQUEST);
    expect(await collect(call)).toEqual([usage(1), usage(2)]);
    expect(seen).toBe(REQUEST);
  });

  test('a GatewayError reaches the edge as it is; anything else is an internal error that shows nothing of it', async () => {
    const limited = new GatewayError('upstream_rate_limited', 'slow down', { retryAfterSeconds: 7 });
    await expect(collect(inProcessRouterCall(async function* () {
      yield usage(1);
      throw limited;
    }, REQUEST))).rejects.toBe(limited);
    const failure = collect(inProcessRouterCall(async function* () {
      throw new TypeError('secret detail at /srv/router.js');
    }, REQUEST));
    await expect(failure).rejects.toBeInstanceOf(GatewayError);
    await expect(failure).rejects.toMatchObject({ code: 'internal_error' });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('secret') });
  });

  test('cancel while the edge waits: the call path sees the abort and the reader ends with "cancelled"', async () => {
    let signal: CancelSignal | undefined;
    const call = inProcessRouterCall(async function* (_request, cancel) {
      signal = cancel;
      yield usage(1);
      // An upstream read that only an abort ends, as the router's do.
      await new Promise<void>((resolve) => cancel.addEventListener('abort', () => resolve()));
      throw new GatewayError('upstream_error');
    }, REQUEST);
    const iterator = call[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(usage(1));
    const pending = iterator.next();
    call.cancel();
    await expect(pending).rejects.toThrow('cancelled');
    expect(signal!.aborted).toBe(true);
  });

  test('an edge that stops reading early aborts the call path, so the upstream call stops too', async () => {
    let signal: CancelSignal | undefined;
    let finished = false;
    const call = inProcessRouterCall(async function* (_request, cancel) {
      signal = cancel;
      try {
        for (let index = 0; ; index += 1) yield usage(index);
      } finally {
        finished = true;
      }
    }, REQUEST);
    for await (const part of call) if (part.part?.$case === 'usage' && part.part.usage.promptTokens === 2) break;
    expect(signal!.aborted).toBe(true);
    expect(finished).toBe(true);
  });

  test('a call path that returns quietly after an abort still ends the reader with "cancelled"', async () => {
    const call = inProcessRouterCall(async function* (_request, cancel) {
      yield usage(1);
      await new Promise<void>((resolve) => cancel.addEventListener('abort', () => resolve()));
    }, REQUEST);
    const iterator = call[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    call.cancel();
    await expect(pending).rejects.toThrow('cancelled');
  });
});
