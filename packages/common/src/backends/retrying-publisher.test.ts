import { UsageEvent } from '@sluice/proto';
import { expect, test } from 'vitest';
import { createLogger } from '../logger.js';
import { createRetryingPublisher, type OutgoingBatch } from './retrying-publisher.js';

// The stream here is a function that stores or refuses; what is under test is the gathering into
// batches and that a batch is kept, and resent under its own id, until the stream has it.
const logger = createLogger({ service: 'test', level: 'silent' });
const usage = (requestId: string, bytes = 0) => UsageEvent.fromPartial({ requestId, responseJson: 'x'.repeat(bytes) });

test('events of the gather window go out as one batch; size and count close a batch early', async () => {
  const sent: OutgoingBatch[] = [];
  const publisher = createRetryingPublisher(async (batch) => void sent.push(batch), logger, { gatherMs: 20, maxEvents: 3, maxBytes: 2_000 });
  for (const id of ['a', 'b', 'c', 'd']) publisher.publish(usage(id));
  publisher.publish(usage('big', 1_500));
  publisher.publish(usage('bigger', 1_500));
  expect(publisher.pending()).toBe(6);
  expect(await publisher.flush(1_000)).toBe(0);
  expect(sent.map((batch) => batch.events.map((event) => event.id))).toEqual([['a', 'b', 'c'], ['d', 'big'], ['bigger']]);
  expect(new Set(sent.map((batch) => batch.id)).size).toBe(3);
});

test('a refused batch is resent whole under the same id until the stream takes it', async () => {
  const attempts: OutgoingBatch[] = [];
  const publisher = createRetryingPublisher(
    async (batch) => {
      attempts.push(batch);
      if (attempts.length < 3) throw new Error('stream unavailable');
    },
    logger,
    { gatherMs: 1 },
  );
  publisher.publish(usage('one'));
  publisher.publish(usage('two'));
  expect(await publisher.flush(5_000)).toBe(0);
  expect(attempts).toHaveLength(3);
  expect(new Set(attempts.map((batch) => batch.id)).size).toBe(1);
  expect(attempts[2]!.events.map((event) => event.id)).toEqual(['one', 'two']);
});

test('flush reports what the stream has not taken when time runs out', async () => {
  const publisher = createRetryingPublisher(() => Promise.reject(new Error('down')), logger, { gatherMs: 1 });
  publisher.publish(usage('stuck'));
  expect(await publisher.flush(150)).toBe(1);
  expect(publisher.pending()).toBe(1);
});
