import type { KeyCache } from '../keys/key-cache.js';
import type { Entity } from '../keys/key-record.js';

// The end user (the request's `user`, LiteLLM's customer) a request counts against, besides its key's
// entities. It comes from an in-process cache like keys do, so a decision reads Postgres only for one
// never seen (or changed); names without a row are remembered as absent, and a request without one
// costs no lookup at all.

export interface RequestEntityCaches {
  endUsers: KeyCache<Entity>;
}

const NONE: readonly Entity[] = [];

/** The end user, when it has a row. */
export async function requestEntities(caches: RequestEntityCaches, endUser: string): Promise<readonly Entity[]> {
  if (endUser === '') return NONE;
  const entity = await caches.endUsers.get(endUser);
  return entity ? [entity] : NONE;
}

/** After a stale answer for one of them: read them again. */
export async function reloadRequestEntities(caches: RequestEntityCaches, entities: readonly Entity[]): Promise<void> {
  await Promise.all(entities.map((entity) => caches.endUsers.reload(entity.id)));
}
