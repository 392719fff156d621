import { createHash } from 'node:crypto';
import type { CallType } from '@sluice/proto';

/**
 * Body fields that never change the answer: how it is delivered (stream, stream_options), who asked
 * (user, safety_identifier, metadata, tags), and what steers the gateway or the provider's bookkeeping.
 * Everything else is part of the key, including fields nobody has heard of yet: an unknown field that
 * does not change the answer only costs hits, while one left out that does would serve wrong answers.
 */
const IGNORED_FIELDS = new Set([
  'model',
  'stream',
  'stream_options',
  'user',
  'safety_identifier',
  'metadata',
  'tags',
  'cache',
  'caching',
  'store',
  'prompt_cache_key',
  'service_tier',
  'num_retries',
  'fallbacks',
  'context_window_fallbacks',
  'timeout',
  'request_timeout',
]);

/** Objects with their keys sorted, so two clients that order fields differently share an entry. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  // A null prototype: a body field named "__proto__" is kept as a field, not taken for the prototype.
  const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(record).sort()) sorted[name] = record[name];
  return sorted;
}

/**
 * SHA-256 (hex) of the normalized request: the call type, the model group (so every deployment of a
 * group shares the entry), a Messages request's anthropic-beta header, and the body without the fields
 * above. A null top-level field means "not set"
 * in OpenAI's API, so it counts as absent.
 */
export function requestHash(callType: CallType, modelGroup: string, body: Record<string, unknown>, betas = ''): string {
  const kept: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(body)) {
    if (value === null || value === undefined || IGNORED_FIELDS.has(name)) continue;
    kept[name] = value;
  }
  // Anthropic betas change what a model does (longer outputs, other tools): part of the request.
  const head = betas === '' ? `${callType}\n${modelGroup}\n` : `${callType}\n${modelGroup}\n${betas}\n`;
  return createHash('sha256').update(head).update(JSON.stringify(kept, sortedKeys)).digest('hex');
}

/**
 * A tenant (a team id is any string) as plain URL-style text: no colon, nothing a response header may not
 * carry, and one-to-one, since `%` is escaped too and `/` only ever stands for itself.
 */
function escapeTenant(tenant: string): string {
  return encodeURIComponent(tenant).replaceAll('%2F', '/');
}

/** The configured namespace goes into a response header: anything but printable ASCII is escaped. */
function escapeNamespace(namespace: string): string {
  return namespace.replace(/[^\x21-\x7e]|%/gu, (character) => encodeURIComponent(character));
}

/**
 * The entry's name as clients see it in x-sluice-cache-key: `[namespace:][tenant:]hash`. The request's
 * own namespace replaces the configured one (as in LiteLLM); the tenant (a team, when the cache is
 * namespaced per team) always stays. Neither the escaped tenant nor the hash holds a colon, so read from
 * the right a key names exactly one tenant whatever the namespace holds: no namespace a client picks can
 * reach another team's entries.
 */
export function cacheKeyOf(hash: string, namespace: string, tenant: string): string {
  let key = hash;
  if (tenant !== '') key = `${escapeTenant(tenant)}:${key}`;
  if (namespace !== '') key = `${escapeNamespace(namespace)}:${key}`;
  return key;
}
