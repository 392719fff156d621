import { GatewayError } from '@sluice/common';
import { describe, expect, test } from 'vitest';
import { readCacheControl } from './read-cache-control.js';

describe('readCacheControl', () => {
  test('nothing asked without a cache object, or with only false flags and unknown names', () => {
    expect(readCacheControl({})).toBeUndefined();
    expect(readCacheControl({ cache: null })).toBeUndefined();
    expect(readCacheControl({ cache: { 'no-cache': false, 'no-store': false, 'use-cache': false, something: 1 } })).toBeUndefined();
  });

  test("reads LiteLLM's controls with their names for the key's allowed_cache_controls", () => {
    expect(readCacheControl({ cache: { 'no-cache': true, 'no-store': true, ttl: 300, 's-maxage': 60, namespace: 'team-a/exp.1', 'use-cache': true } })).toEqual({
      control: { noCache: true, noStore: true, ttlSeconds: 300, sMaxageSeconds: 60, namespace: 'team-a/exp.1', useCache: true },
      names: ['no-cache', 'no-store', 'use-cache', 'ttl', 's-maxage', 'namespace'],
    });
  });

  test('seconds may be fractional or strings; s-maxage 0 asks for a fresh answer', () => {
    expect(readCacheControl({ cache: { ttl: '1.5' } })?.control.ttlSeconds).toBe(2);
    expect(readCacheControl({ cache: { 's-maxage': 0 } })).toEqual({
      control: { noCache: true, noStore: false, ttlSeconds: 0, sMaxageSeconds: 0, namespace: '', useCache: false },
      names: ['s-maxage'],
    });
  });

  test.each([
    [{ cache: 'no-cache' }, 'cache'],
    [{ cache: ['no-cache'] }, 'cache'],
    [{ cache: { 'no-cache': 'yes' } }, 'cache.no-cache'],
    [{ cache: { ttl: 0 } }, 'cache.ttl'],
    [{ cache: { ttl: -5 } }, 'cache.ttl'],
    [{ cache: { ttl: 'soon' } }, 'cache.ttl'],
    [{ cache: { 's-maxage': -1 } }, 'cache.s-maxage'],
    [{ cache: { namespace: 'has:colon' } }, 'cache.namespace'],
    [{ cache: { namespace: '' } }, 'cache.namespace'],
    [{ cache: { namespace: 'x'.repeat(129) } }, 'cache.namespace'],
  ])('refuses %j as invalid_request naming %s', (body, param) => {
    let caught: unknown;
    try {
      readCacheControl(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect((caught as GatewayError).code).toBe('invalid_request');
    expect((caught as GatewayError).details.param).toBe(param);
  });
});
