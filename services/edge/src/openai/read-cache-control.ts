import { GatewayError } from '@sluice/common';
import type { CacheControl } from '@sluice/proto';

/** The per-request controls a client asked for, and their LiteLLM names for the key's allowed_cache_controls. */
export interface RequestedCacheControl {
  control: CacheControl;
  names: string[];
}

/** A namespace becomes part of a Redis key and a response header: kept short and plain. */
const NAMESPACE = /^[A-Za-z0-9._/-]{1,128}$/;
const MAX_SECONDS = 2 ** 31 - 1;

function invalid(name: string, expected: string): GatewayError {
  return new GatewayError('invalid_request', `cache["${name}"] must be ${expected}.`, { param: `cache.${name}` });
}

function flag(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  throw invalid(name, 'true or false');
}

/** Seconds as a whole number; numbers sent as strings are accepted, as LiteLLM does. */
function seconds(value: unknown, name: string, minimum: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number < minimum || number > MAX_SECONDS) {
    throw invalid(name, `a number of seconds, at least ${minimum}`);
  }
  return Math.ceil(number);
}

/**
 * Reads the body's `cache` object: LiteLLM's `no-cache`, `no-store`, `ttl`, `s-maxage`, `namespace` and
 * `use-cache`. The OpenAI SDKs send it the same way (`extra_body={"cache": {...}}` in Python, an extra
 * body field in Node), as a top-level field. A control only counts when it asks for something (a
 * `false` flag is no request), and unknown names are ignored. Returns undefined when nothing is asked.
 */
export function readCacheControl(body: Record<string, unknown>): RequestedCacheControl | undefined {
  const cache = body.cache;
  if (cache === undefined || cache === null) return undefined;
  if (typeof cache !== 'object' || Array.isArray(cache)) {
    throw new GatewayError('invalid_request', 'cache must be an object such as {"no-cache": true}.', { param: 'cache' });
  }
  const fields = cache as Record<string, unknown>;
  const control: CacheControl = { noCache: false, noStore: false, ttlSeconds: 0, sMaxageSeconds: 0, namespace: '', useCache: false };
  const names: string[] = [];
  const present = (name: string) => fields[name] !== undefined && fields[name] !== null;
  if (present('no-cache') && flag(fields['no-cache'], 'no-cache')) {
    control.noCache = true;
    names.push('no-cache');
  }
  if (present('no-store') && flag(fields['no-store'], 'no-store')) {
    control.noStore = true;
    names.push('no-store');
  }
  if (present('use-cache') && flag(fields['use-cache'], 'use-cache')) {
    control.useCache = true;
    names.push('use-cache');
  }
  if (present('ttl')) {
    control.ttlSeconds = seconds(fields.ttl, 'ttl', 1);
    names.push('ttl');
  }
  if (present('s-maxage')) {
    const maxAge = seconds(fields['s-maxage'], 's-maxage', 0);
    // No entry is younger than zero seconds: "s-maxage": 0 asks for a fresh answer, like no-cache.
    if (maxAge === 0) control.noCache = true;
    else control.sMaxageSeconds = maxAge;
    names.push('s-maxage');
  }
  if (present('namespace')) {
    const namespace = fields.namespace;
    if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
      throw invalid('namespace', '1 to 128 letters, digits, ".", "_", "/" or "-"');
    }
    control.namespace = namespace;
    names.push('namespace');
  }
  return names.length > 0 ? { control, names } : undefined;
}
