import { readFileSync } from 'node:fs';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { ERROR_TABLE } from './error-table.js';

const grpcName = (value: number) => Object.entries(GrpcStatus).find(([, code]) => code === value)?.[0];

test('docs/errors.md lists exactly the error table', () => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = doc
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim().replaceAll('`', '')));
  const documented = Object.fromEntries(rows.map(([code, http, grpc, retryable, type, message]) => [code, { http, grpc, retryable, type, message }]));
  const expected = Object.fromEntries(
    Object.entries(ERROR_TABLE).map(([code, spec]) => [
      code,
      { http: String(spec.http), grpc: grpcName(spec.grpc), retryable: spec.retryable ? 'yes' : 'no', type: spec.type, message: spec.message },
    ]),
  );
  expect(documented).toEqual(expected);
});

test('every code maps to an error status a client SDK understands', () => {
  for (const spec of Object.values(ERROR_TABLE)) {
    expect(spec.http).toBeGreaterThanOrEqual(400);
    expect(spec.http).toBeLessThan(600);
    // A 429, 503 or 504 always means "later may work"; a 502 may not (bad provider credentials).
    if (spec.http === 429 || spec.http === 503 || spec.http === 504) expect(spec.retryable).toBe(true);
  }
});
