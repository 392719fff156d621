import type { Logger, Sql } from '@sluice/common';

export type ChatMessage = Record<string, unknown>;

export interface StoredEntry {
  id: string;
  owner: string;
  modelGroup: string;
  /** The response object as the client got it. */
  response: string;
  /** The exchange up to and including this response, as chat messages. */
  conversation: ChatMessage[];
  /** The deployment whose provider made (and so knows) this response; undefined for a cache hit. */
  deploymentId: string | undefined;
}

/** A stored response as a follow-up needs it. */
export interface StoredConversation {
  messages: ChatMessage[];
  /** The deployment that made it; null for a cache hit or an older row. */
  deploymentId: string | null;
}

/** Responses API objects created with store: true (table stored_responses, migration 0420). */
export interface ResponseStore {
  conversation(id: string, owner: string): Promise<StoredConversation | undefined>;
  get(id: string, owner: string): Promise<Buffer | undefined>;
  delete(id: string, owner: string): Promise<boolean>;
  save(entry: StoredEntry): Promise<void>;
  close(): Promise<void>;
}

const PURGE_INTERVAL_MS = 3_600_000;

/**
 * The store in Postgres. Reads filter on expires_at, so an expired row is gone at once; an hourly
 * delete reclaims the space. A row is only ever seen by its owner: another key asking for it gets the
 * same "not found" as for an id that never existed.
 */
export function createSqlResponseStore(sql: Sql, retentionHours: number, logger: Logger, ownsSql: boolean): ResponseStore {
  const purge = () =>
    sql.query('DELETE FROM stored_responses WHERE expires_at <= now()').catch((error: unknown) => logger.warn({ err: error }, 'could not purge stored responses'));
  const timer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  timer.unref();
  return {
    async conversation(id, owner) {
      const result = await sql.query<{ conversation: ChatMessage[]; deployment_id: string | null }>(
        'SELECT conversation, deployment_id FROM stored_responses WHERE id = $1 AND owner = $2 AND expires_at > now()',
        [id, owner],
      );
      const row = result.rows[0];
      return row ? { messages: row.conversation, deploymentId: row.deployment_id } : undefined;
    },
    async get(id, owner) {
      const result = await sql.query<{ response: string }>(
        'SELECT response::text AS response FROM stored_responses WHERE id = $1 AND owner = $2 AND expires_at > now()',
        [id, owner],
      );
      const row = result.rows[0];
      return row ? Buffer.from(row.response) : undefined;
    },
    async delete(id, owner) {
      const result = await sql.query('DELETE FROM stored_responses WHERE id = $1 AND owner = $2 AND expires_at > now()', [id, owner]);
      return result.rowCount > 0;
    },
    async save(entry) {
      if (retentionHours <= 0) return;
      await sql.query(
        `INSERT INTO stored_responses (id, owner, model_group, response, conversation, deployment_id, expires_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, now() + make_interval(hours => $7))
         ON CONFLICT (id) DO NOTHING`,
        [entry.id, entry.owner, entry.modelGroup, entry.response, JSON.stringify(entry.conversation), entry.deploymentId ?? null, retentionHours],
      );
    },
    async close() {
      clearInterval(timer);
      // An embedded launcher's database is shared with the other services and closed by the launcher.
      if (ownsSql) await sql.close();
    },
  };
}
