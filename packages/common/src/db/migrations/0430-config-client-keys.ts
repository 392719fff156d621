import type { Migration } from '../migrate.js';

// Keys declared in general_settings.client_keys: policy creates, updates and deletes these rows to match
// the config on start-up and on reload, and never touches a key made through the admin API (NULL here).
// The fingerprint is a hash of the key's config entry (its hash, alias and limits), so an unchanged
// entry is not rewritten and does not restart its budget period on every start.
export const configClientKeys: Migration = {
  version: 430,
  name: 'config-client-keys',
  sql: `
ALTER TABLE api_keys ADD COLUMN config_fingerprint text;
CREATE INDEX api_keys_from_config ON api_keys (key_id) WHERE config_fingerprint IS NOT NULL;
`,
};
