import type { KeyCache } from '../keys/key-cache.js';
import type { Entity } from '../keys/key-record.js';

// The end user (the request's `user`, LiteLLM's customer) and the tags (the request's metadata.tags
// plus the key's and team's) a request counts against, besides its key's entities. They come from
// in-process caches like keys do, so a decision reads Postgres only for one never seen (or changed);
// names without a row are remembered as absent, and a request with neither costs no lookup at all.

export interface RequestEntityCaches {
  endUsers: KeyCache<Entity>;
  tags: KeyCache<Entity>;
}

const NONE: readonly Entity[] = [];

/** The end user first (when it has a row), then every tag that has one, each once. */
export async function requestEntities(
  caches: RequestEntityCaches,
  endUser: string,
  keyTags: readonly string[],
  requestTags: readonly string[],
): Promise<readonly Entity[]> {
  if (endUser === '' && keyTags.length === 0 && requestTags.length === 0) return NONE;
  // Each tag once: a tag named twice must not be counted twice.
  const names = requestTags.length + keyTags.length <= 1 ? (requestTags.length === 0 ? keyTags : requestTags) : new Set([...requestTags, ...keyTags]);
  const lookups: Array<Promise<Entity | null>> = [];
  if (endUser !== '') lookups.push(caches.endUsers.get(endUser));
  for (const name of names) if (name !== '') lookups.push(caches.tags.get(name));
  const found = await Promise.all(lookups);
  const entities: Entity[] = [];
  for (const entity of found) if (entity) entities.push(entity);
  return entities.length === 0 ? NONE : entities;
}

/** After a stale answer for one of them: read them all again (a rare event, so no bookkeeping). */
export async function reloadRequestEntities(caches: RequestEntityCaches, entities: readonly Entity[]): Promise<void> {
  await Promise.all(entities.map((entity) => (entity.kind === 'end_user' ? caches.endUsers : caches.tags).reload(entity.id)));
}
