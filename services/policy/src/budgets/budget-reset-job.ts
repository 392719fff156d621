import type { Logger, Sql } from '@sluice/common';
import { type AdminContext, type EntityChange } from '../admin/admin-context.js';
import { announceChanges } from '../admin/announce-changes.js';
import { ENTITY_TABLES, type Row, type TableKind } from '../admin/entity-tables.js';
import { touchBudgetLinks } from '../admin/budget-links.js';
import { advancePeriods, limitStateFromRow, nextResetAt } from '../entities/limit-state.js';
import { type EntityKind, entityScopeName, modelScopeName } from '../keys/key-record.js';
import type { LimitStore } from '../limits/limit-store.js';

// Budgets with a budget_duration start a new period when their budget_reset_at passes. Every policy
// replica runs this on a timer; rows are claimed with FOR UPDATE SKIP LOCKED, so each is reset once.
// A reset moves budget_period_start (spend counts from there, in Redis and when rebuilt from the
// ledger), raises the row's version so cached copies reload, and zeroes the Redis counter. A decision
// made from a copy that still has the old period would zero it too, so nothing depends on the order.

const BATCH = 500;
// Budgets first: a budget's new period is the new period of every row that takes its max_budget.
const KINDS: readonly TableKind[] = ['budget', 'organization', 'team', 'user', 'key', 'end_user', 'tag'];

export interface BudgetResetJob {
  /** One pass over every table; returns how many rows started a new period. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startBudgetResetJob(options: {
  context: AdminContext;
  sql: Sql;
  store: LimitStore;
  intervalMs: number;
  logger: Logger;
}): BudgetResetJob {
  const { context, sql, store, logger } = options;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function resetTable(kind: TableKind): Promise<number> {
    const { table, id } = ENTITY_TABLES[kind];
    const nowMs = context.now();
    const changed = await sql.transaction(async (tx) => {
      const due = await tx.query<{ row: Row }>(
        `SELECT row_to_json(e) AS row FROM ${table} e WHERE next_reset_at <= $1 ORDER BY next_reset_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        [new Date(nowMs)],
      );
      const done: Array<{ change: EntityChange; periods: Array<{ name: string; periodStart: number }> }> = [];
      for (const { row } of due.rows) {
        const entityId = String(row[id]);
        const { state } = advancePeriods(limitStateFromRow(row), nowMs);
        const next = nextResetAt(state);
        const updated = await tx.query<{ version: number }>(
          `UPDATE ${table} SET budget_period_start = $1, budget_reset_at = $2, model_budget_periods = $3, next_reset_at = $4, version = nextval('entity_versions')
           WHERE ${id} = $5 RETURNING version`,
          [
            new Date(state.budget_period_start),
            state.budget_reset_at === null ? null : new Date(state.budget_reset_at),
            JSON.stringify(state.model_budget_periods),
            next === null ? null : new Date(next),
            entityId,
          ],
        );
        if (kind === 'budget') {
          // Nothing counts against the budget itself; the rows linking it reload with its new period.
          for (const change of await touchBudgetLinks(tx, [entityId])) done.push({ change, periods: [] });
          continue;
        }
        const periods = [{ name: entityScopeName(kind, entityId), periodStart: state.budget_period_start }];
        for (const [model, period] of Object.entries(state.model_budget_periods)) {
          periods.push({ name: modelScopeName(kind, entityId, model), periodStart: period.start });
        }
        const tokens = kind === 'key' ? [String(row.token)] : undefined;
        done.push({ change: { kind, id: entityId, version: Number(updated.rows[0]!.version), ...(tokens ? { tokens } : {}) }, periods });
      }
      return done;
    });
    if (changed.length === 0) return 0;
    await store.resetPeriods(changed.flatMap((item) => item.periods)).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not zero reset budgets in the limit store; the next decision will');
    });
    await announceChanges(context, changed.map((item) => item.change));
    logger.info({ kind, count: changed.length }, 'budgets reset');
    return changed.length;
  }

  async function runOnce(): Promise<number> {
    let total = 0;
    for (const kind of KINDS) {
      // A full batch may mean more are due: keep going until a table is drained.
      for (;;) {
        const count = await resetTable(kind);
        total += count;
        if (count < BATCH) break;
      }
    }
    return total;
  }

  const tick = () => {
    if (stopped || running) return;
    running = runOnce()
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'budget reset pass failed; retrying next interval');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = options.intervalMs > 0 ? setInterval(tick, options.intervalMs) : undefined;
  timer?.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
