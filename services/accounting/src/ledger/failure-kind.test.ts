import { expect, test } from 'vitest';
import { nakDelayMs } from '../batcher.js';
import { failureKind } from './failure-kind.js';

test('only rows Postgres rejects count as data failures; everything else waits for a retry', () => {
  expect(failureKind(Object.assign(new Error('integer out of range'), { code: '22003' }))).toBe('data');
  expect(failureKind(Object.assign(new Error('not null'), { code: '23502' }))).toBe('data');
  expect(failureKind(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe('transient');
  expect(failureKind(Object.assign(new Error('admin shutdown'), { code: '57P01' }))).toBe('transient');
  expect(failureKind(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('transient');
  expect(failureKind(new Error('Connection terminated unexpectedly'))).toBe('transient');
});

test('redelivery delays double from 1 s and stop at 30 s', () => {
  expect([1, 2, 3, 4, 5, 6, 10].map(nakDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
});
