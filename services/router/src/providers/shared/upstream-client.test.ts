// The upstream exchange reads answers without a Node stream in between: these hold it to what the
// router relies on (whole bodies however they are cut, streams with backpressure, aborts at any point).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as undiciErrors } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sendUpstream } from './upstream-client.js';

let server: Server;
let origin: string;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', async () => {
      if (request.url === '/pieces') {
        // A non-streaming answer in many small writes: more than the exchange queues before pausing.
        response.writeHead(200, { 'content-type': 'application/json' });
        for (let index = 0; index < 100; index += 1) {
          response.write(`${index},`.padStart(8, ' '));
          await sleep(0);
        }
        response.end('end');
      } else if (request.url === '/hang') {
        // Never answers.
      } else if (request.url === '/limited') {
        response.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
        response.end('{"error":{"message":"slow down"}}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = (path: string) =>
  sendUpstream({ origin, path, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, { headersTimeoutMs: 5_000, idleTimeoutMs: 5_000 });

const expected = Array.from({ length: 100 }, (_, index) => `${index},`.padStart(8, ' ')).join('') + 'end';

test('a body in many pieces is read whole', async () => {
  const exchange = send('/pieces');
  expect((await exchange.body()).toString()).toBe(expected);
  expect(exchange.status).toBe(200);
});

test('a slow reader of a stream gets every chunk in order (the socket pauses and resumes)', async () => {
  const exchange = send('/pieces');
  await exchange.started();
  await sleep(100);
  let text = '';
  for await (const chunk of exchange) {
    text += chunk.toString();
    await sleep(1);
  }
  expect(text).toBe(expected);
});

test('an abort before the answer rejects the reader at once', async () => {
  const exchange = send('/hang');
  const body = exchange.body();
  setTimeout(() => exchange.abort(), 50);
  const started = Date.now();
  await expect(body).rejects.toBeInstanceOf(undiciErrors.RequestAbortedError);
  expect(Date.now() - started).toBeLessThan(1_000);
});

test('an error status keeps its headers and body', async () => {
  const exchange = send('/limited');
  const raw = await exchange.body();
  expect(exchange.status).toBe(429);
  expect(exchange.headers['retry-after']).toBe('7');
  expect(raw.toString()).toContain('slow down');
});
