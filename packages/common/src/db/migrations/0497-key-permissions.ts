import type { Migration } from '../migrate.js';

// LiteLLM's key permissions ({"get_spend_routes": true}: a key that is not an admin may read the spend
// routes). The only permission Sluice honours; the admin API refuses any other by name.
export const keyPermissions: Migration = {
  version: 497,
  name: 'key-permissions',
  sql: `
ALTER TABLE api_keys ADD COLUMN permissions jsonb NOT NULL DEFAULT '{}';
`,
};
