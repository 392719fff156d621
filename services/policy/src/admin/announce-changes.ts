import { entityScopeName } from '../keys/key-record.js';
import type { AdminContext, EntityChange } from './admin-context.js';

/** Leases end within their duration (seconds at most) even when an edge never answers a recall. */
const LEASE_WAIT_LIMIT_MS = 5_000;
const LEASE_POLL_MS = 5;

/**
 * Tells every policy replica about committed changes: the new versions go into Redis (a decision made
 * from an older cached copy is then refused as stale and redone), and an invalidation message makes the
 * caches drop their copies right away. Failures are logged, not thrown: the change is committed, and
 * caches still expire on their own.
 */
export async function announceChanges(context: AdminContext, changes: EntityChange[]): Promise<void> {
  if (changes.length === 0) return;
  try {
    const created = changes.filter((change) => change.createdPeriodStart !== undefined);
    await context.store.seed(
      created.map((change) => ({ name: entityScopeName(change.kind, change.id), periodStart: change.createdPeriodStart!, spentNanos: 0 })),
    );
    await context.store.announceVersions(changes.map((change) => ({ name: entityScopeName(change.kind, change.id), version: change.version })));
  } catch (error) {
    context.logger.warn({ err: error }, 'could not record new versions in the limit store');
  }
  try {
    await context.invalidations.publish(
      changes.flatMap((change) =>
        change.tokens && change.tokens.length > 0
          ? change.tokens.map((token) => ({ kind: change.kind, id: change.id, token }))
          : [{ kind: change.kind, id: change.id }],
      ),
    );
  } catch (error) {
    context.logger.warn({ err: error }, 'could not announce an admin change; caches will refresh on their own');
  }
  await leasesRecalled(context, changes);
}

/**
 * The announcement recalls the leases edges hold for these entities; the change is answered once every
 * one of them has been given back (or has ended), so no edge admits a request under the old state after
 * the caller saw the change succeed.
 */
async function leasesRecalled(context: AdminContext, changes: EntityChange[]): Promise<void> {
  const { store } = context;
  if (!store.openLeases) return;
  const names = changes.map((change) => entityScopeName(change.kind, change.id));
  const giveUpAt = Date.now() + LEASE_WAIT_LIMIT_MS;
  try {
    while ((await store.openLeases(names, context.now())) > 0 && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  } catch (error) {
    context.logger.warn({ err: error }, 'cannot see whether leases were given back; they end on their own');
  }
}
