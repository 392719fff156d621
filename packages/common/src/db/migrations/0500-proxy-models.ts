import type { Migration } from '../migrate.js';

// Models in the database (general_settings.store_model_in_db, issue 21): LiteLLM's ProxyModelTable.
// litellm_params is stored encrypted as a whole (AES-256-GCM, key from LITELLM_SALT_KEY), so no provider
// key, AWS secret or credential file is ever in the database in clear; only the router decrypts it.
// litellm_params_public is the same without any credential (and api_base without userinfo), for policy,
// which prices and authorizes requests to stored models and must never hold provider keys. updated_at moves on every change, so a
// router's periodic resync sees any change a missed notification left out.
export const proxyModels: Migration = {
  version: 500,
  name: 'proxy-models',
  sql: `
CREATE TABLE proxy_models (
  model_id text PRIMARY KEY,
  model_name text NOT NULL,
  model text NOT NULL,
  litellm_params_encrypted text NOT NULL,
  litellm_params_public jsonb NOT NULL DEFAULT '{}'::jsonb,
  model_info jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
`,
};
