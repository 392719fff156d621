import type { Migration } from '../migrate.js';

// LiteLLM's allowed_cache_controls: the per-request cache controls ("no-cache", "no-store", "ttl",
// "s-maxage", "namespace", "use-cache") a key may send. Empty means every control, as in LiteLLM.
export const allowedCacheControls: Migration = {
  version: 300,
  name: 'allowed-cache-controls',
  sql: `
ALTER TABLE api_keys ADD COLUMN allowed_cache_controls text[] NOT NULL DEFAULT '{}';
`,
};
