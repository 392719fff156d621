import { randomUUID } from 'node:crypto';
import { ConfigError, GatewayError, type Logger, type ModelEntry, parseConfig, redactUrl, type SqlClient } from '@sluice/common';
import type { ModelSecrets } from './model-secrets.js';

// Models in the database (general_settings.store_model_in_db, LiteLLM's ProxyModelTable): written by the
// router that answers /model/new, /model/update or /model/delete, read by every router replica. The
// litellm_params are sealed whole; only a router opens them, and no answer or log line carries them.

interface StoredRow {
  model_id: string;
  model_name: string;
  litellm_params_encrypted: string;
  model_info: Record<string, unknown>;
  created_at: Date;
  created_by: string | null;
  updated_at: Date;
  updated_by: string | null;
}

/** litellm_params names whose values are (or may hold) credentials: never in an answer. */
const SECRET_PARAM = /key|secret|token|credential|password|headers/i;

/** An api_base as an answer may show it: no user info and no query string (either can carry a key). */
function publicApiBase(apiBase: string): string {
  try {
    const url = new URL(apiBase);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return redactUrl(apiBase).replace(/\?.*$/, '');
  }
}

/**
 * A stored model may not read the router's environment or files: an admin could otherwise send
 * DATABASE_URL or a mounted secret to an api_base of their choosing. Values are taken literally.
 */
function refuseReferences(node: unknown, path: string): void {
  if (typeof node === 'string' && (node.startsWith('os.environ/') || node.startsWith('os.file/'))) {
    throw new GatewayError('invalid_request', `${path}: os.environ/ and os.file/ references are not allowed in a stored model; give the value itself`);
  }
  if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) refuseReferences(value, `${path}.${key}`);
  }
}

/** A LiteLLM model entry checked as the config loader checks one (schema, provider). */
export function checkedEntry(entry: { model_name: unknown; litellm_params: unknown; model_info?: unknown }): ModelEntry {
  refuseReferences(entry.litellm_params, 'litellm_params');
  try {
    return parseConfig({ model_list: [entry] }, {}, 'model').config.model_list[0]!;
  } catch (error) {
    if (error instanceof ConfigError) throw new GatewayError('invalid_request', error.message.replaceAll('model_list[0].', ''));
    throw error;
  }
}

/** What an answer may show of litellm_params: no credential (extra_headers neither), and a bare api_base. */
export function publicParams(params: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (SECRET_PARAM.test(name)) continue;
    shown[name] = name === 'api_base' && typeof value === 'string' ? publicApiBase(value) : value;
  }
  return shown;
}

export interface StoredModel {
  entry: ModelEntry;
  row: StoredRow;
}

export class StoredModels {
  constructor(
    private readonly sql: SqlClient,
    private readonly secrets: ModelSecrets,
    private readonly logger: Logger,
  ) {}

  /** Every stored model as a model_list entry (model_info.id = model_id, db_model: true). */
  async load(): Promise<StoredModel[]> {
    const { rows } = await this.sql.query<StoredRow>('SELECT * FROM proxy_models ORDER BY created_at, model_id');
    const models: StoredModel[] = [];
    for (const row of rows) {
      try {
        const params = JSON.parse(this.secrets.open(row.litellm_params_encrypted)) as ModelEntry['litellm_params'];
        models.push({ row, entry: { model_name: row.model_name, litellm_params: params, model_info: { ...row.model_info, id: row.model_id, db_model: true } as ModelEntry['model_info'] } });
      } catch {
        // Another LITELLM_SALT_KEY, or a row changed by hand: skipped, never half-read.
        this.logger.error({ modelId: row.model_id }, 'a stored model cannot be decrypted (LITELLM_SALT_KEY changed?); it is left out');
      }
    }
    return models;
  }

  async get(modelId: string): Promise<StoredModel | undefined> {
    return (await this.load()).find((model) => model.row.model_id === modelId);
  }

  async insert(entry: ModelEntry, caller: string): Promise<StoredRow> {
    const id = entry.model_info?.id ?? randomUUID();
    const { id: _id, db_model: _db, ...info } = (entry.model_info ?? {}) as Record<string, unknown>;
    const { rows } = await this.sql.query<StoredRow>(
      `INSERT INTO proxy_models (model_id, model_name, model, litellm_params_encrypted, litellm_params_public, model_info, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (model_id) DO NOTHING RETURNING *`,
      [id, entry.model_name, entry.litellm_params.model, this.secrets.seal(JSON.stringify(entry.litellm_params)), JSON.stringify(publicParams(entry.litellm_params)), JSON.stringify(info), caller],
    );
    if (rows.length === 0) throw new GatewayError('already_exists', `A model with id "${id}" already exists.`);
    return rows[0]!;
  }

  async update(modelId: string, entry: ModelEntry, caller: string): Promise<StoredRow | undefined> {
    const { id: _id, db_model: _db, ...info } = (entry.model_info ?? {}) as Record<string, unknown>;
    const { rows } = await this.sql.query<StoredRow>(
      `UPDATE proxy_models SET model_name = $2, model = $3, litellm_params_encrypted = $4, litellm_params_public = $5, model_info = $6,
         updated_at = now(), updated_by = $7
       WHERE model_id = $1 RETURNING *`,
      [modelId, entry.model_name, entry.litellm_params.model, this.secrets.seal(JSON.stringify(entry.litellm_params)), JSON.stringify(publicParams(entry.litellm_params)), JSON.stringify(info), caller],
    );
    return rows[0];
  }

  async delete(modelId: string): Promise<boolean> {
    return ((await this.sql.query('DELETE FROM proxy_models WHERE model_id = $1', [modelId])).rowCount ?? 0) > 0;
  }
}

/** LiteLLM's answer for a stored model: the row, its litellm_params without credentials. */
export function storedModelBody(row: StoredRow, params: Record<string, unknown>) {
  return {
    model_id: row.model_id,
    model_name: row.model_name,
    litellm_params: publicParams(params),
    model_info: { ...row.model_info, id: row.model_id, db_model: true },
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
    updated_at: row.updated_at.toISOString(),
    updated_by: row.updated_by,
  };
}
