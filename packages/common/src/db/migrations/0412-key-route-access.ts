import type { Migration } from '../migrate.js';

// LiteLLM's route-level controls on a key. allowed_routes lists routes ("/v1/chat/completions",
// "/key/info", a prefix ending in "*") or LiteLLM's route groups ("llm_api_routes", "management_routes",
// "info_routes"); empty allows every route. key_type is how the key was asked for ("llm_api",
// "management", "read_only", "default"), kept to answer with; it fills allowed_routes when those are
// not given. enforced_params are request fields the key must send on every call.
export const keyRouteAccess: Migration = {
  version: 412,
  name: 'key-route-access',
  sql: `
ALTER TABLE api_keys ADD COLUMN key_type text;
ALTER TABLE api_keys ADD COLUMN allowed_routes text[] NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD COLUMN enforced_params text[] NOT NULL DEFAULT '{}';
`,
};
