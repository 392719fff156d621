import { randomUUID } from 'node:crypto';
import type { LimitFieldsInput } from '@sluice/common';
import type { AdminContext, Caller, EntityChange } from '../admin/admin-context.js';
import { announceChanges } from '../admin/announce-changes.js';
import { deleteEntities, insertEntity, type Row, selectEntities, updateEntity } from '../admin/entity-tables.js';
import { applyLimitFields, emptyLimitState, limitStateFromRow } from '../entities/limit-state.js';
import type { DeclaredClientKey } from './declared-client-keys.js';

// Makes the api_keys rows that came from general_settings.client_keys match the config: a new entry is
// inserted, a changed one rewritten, one no longer listed deleted (revoked on every replica at once, by
// the same announcement an admin change makes). Keys made through the admin API are never touched.
// Several replicas may start at once: an advisory lock lets one of them do it while the others wait and
// then find nothing to change.

const LOCK_KEY = 727_130_430;
const CONFIG_CALLER: Caller = { isAdmin: true, isMasterKey: false, token: undefined, name: 'config' };

/** Every limit field, those the entry leaves out cleared: a config key's limits are exactly its entry's. */
const CLEARED: Required<LimitFieldsInput> = {
  models: [],
  max_budget: null,
  soft_budget: null,
  budget_duration: null,
  rpm_limit: null,
  tpm_limit: null,
  max_parallel_requests: null,
  model_max_budget: null,
  model_rpm_limit: null,
  model_tpm_limit: null,
  metadata: null,
  blocked: false,
};

export interface ClientKeySync {
  created: number;
  updated: number;
  revoked: number;
}

export class ClientKeyConflictError extends Error {
  override readonly name = 'ClientKeyConflictError';
}

export async function syncClientKeys(context: AdminContext, declared: readonly DeclaredClientKey[]): Promise<ClientKeySync> {
  const tokens = declared.map((key) => key.token);
  const { changes, counts } = await context.sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const rows = await selectEntities(tx, 'key', 'WHERE config_fingerprint IS NOT NULL OR token = ANY($1)', [tokens], 'FOR UPDATE');
    const byToken = new Map(rows.map((row) => [String(row.token), row]));
    const changes: EntityChange[] = [];
    const counts: ClientKeySync = { created: 0, updated: 0, revoked: 0 };
    const nowMs = context.now();
    const aliasTaken = async (alias: string, token: string) => {
      const owner = await tx.query<{ token: string }>('SELECT token FROM api_keys WHERE key_alias = $1', [alias]);
      const other = owner.rows[0]?.token;
      // Removed and renamed entries have let go of theirs by now, and the list's own aliases are distinct.
      return other !== undefined && other !== token;
    };
    // Deletions first, so an alias freed by a removed entry can be taken by a new one.
    const gone = rows.filter((row) => row.config_fingerprint !== null && !tokens.includes(String(row.token)));
    if (gone.length > 0) {
      const deleted = await deleteEntities(tx, 'key', gone.map((row) => String(row.key_id)));
      for (const entity of deleted) changes.push({ kind: 'key', id: entity.id, version: entity.version, ...(entity.token ? { tokens: [entity.token] } : {}) });
      counts.revoked = deleted.length;
    }
    // Renamed entries let go of their old alias before any entry takes it.
    const renamed = declared.filter((key) => {
      const row = byToken.get(key.token);
      return row !== undefined && row.config_fingerprint !== key.fingerprint && row.key_alias !== key.alias;
    });
    for (const key of renamed) {
      await tx.query('UPDATE api_keys SET key_alias = NULL WHERE token = $1', [key.token]);
    }
    for (const key of declared) {
      const row = byToken.get(key.token);
      if (row && row.config_fingerprint === key.fingerprint) continue;
      if (await aliasTaken(key.alias, key.token)) {
        throw new ClientKeyConflictError(`client key alias "${key.alias}" is already used by a key made through the admin API`);
      }
      const fields = { ...CLEARED, ...key.fields };
      let written: Row;
      if (row) {
        const state = applyLimitFields(limitStateFromRow(row), fields, nowMs);
        written = await updateEntity(tx, 'key', String(row.key_id), { key_alias: key.alias, config_fingerprint: key.fingerprint }, state, CONFIG_CALLER.name, nowMs);
        changes.push({ kind: 'key', id: String(written.key_id), version: Number(written.version), tokens: [key.token] });
        counts.updated += 1;
      } else {
        const state = applyLimitFields(emptyLimitState(nowMs), fields, nowMs);
        written = await insertEntity(
          tx,
          'key',
          {
            key_id: randomUUID(),
            token: key.token,
            key_name: key.keyName,
            key_alias: key.alias,
            config_fingerprint: key.fingerprint,
            created_by: CONFIG_CALLER.name,
            updated_by: CONFIG_CALLER.name,
            created_at: new Date(nowMs),
            updated_at: new Date(nowMs),
          },
          state,
        );
        changes.push({
          kind: 'key',
          id: String(written.key_id),
          version: Number(written.version),
          tokens: [key.token],
          createdPeriodStart: state.budget_period_start,
        });
        counts.created += 1;
      }
    }
    return { changes, counts };
  });
  await announceChanges(context, changes);
  return counts;
}
