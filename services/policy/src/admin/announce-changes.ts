import { entityScopeName } from '../keys/key-record.js';
import type { AdminContext, EntityChange } from './admin-context.js';

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
}
