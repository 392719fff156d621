import { expect, test } from 'vitest';
import { redactUrl } from './redact-url.js';

test('user info is stripped from every URL, and nothing else changes', () => {
  expect(redactUrl('redis://:s3cret@cache.internal:6380/2')).toBe('redis://cache.internal:6380/2');
  expect(redactUrl('rediss://default:s3cret@cache.internal:6380')).toBe('rediss://cache.internal:6380');
  expect(redactUrl('nats://user:s3cret@a:4222,nats://b:4222')).toBe('nats://a:4222,nats://b:4222');
  expect(redactUrl('postgres://sluice:s3cret@db/sluice?sslmode=require')).toBe('postgres://db/sluice?sslmode=require');
  expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  expect(redactUrl('not a url //user:s3cret@host')).not.toContain('s3cret');
});
