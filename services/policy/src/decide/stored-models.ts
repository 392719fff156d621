import type { ModelEntry, SqlClient } from '@sluice/common';

/**
 * The models stored in the database (general_settings.store_model_in_db) as policy needs them: names,
 * prices and access groups, from the columns without credentials. The provider keys stay sealed for the
 * router alone.
 */
export async function storedModelEntries(sql: SqlClient): Promise<ModelEntry[]> {
  const { rows } = await sql.query<{ model_id: string; model_name: string; litellm_params_public: ModelEntry['litellm_params']; model_info: Record<string, unknown> }>(
    'SELECT model_id, model_name, litellm_params_public, model_info FROM proxy_models ORDER BY created_at, model_id',
  );
  return rows.map((row) => ({ model_name: row.model_name, litellm_params: row.litellm_params_public, model_info: { ...row.model_info, id: row.model_id } }));
}
