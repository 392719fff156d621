import type { Migration } from '../migrate.js';
import { verificationTokenView } from './0480-litellm-views.js';

// LiteLLM's key permissions ({"get_spend_routes": true}: a key that is not an admin may read the spend
// routes). The only permission Sluice honours; the admin API refuses any other by name. The finance view
// of keys shows them from now on (same columns, so the view is replaced in place and keeps its grants).
/** Also run by any later migration that rebuilds the LiteLLM views from 0480's definitions. */
export const KEY_PERMISSIONS_VIEW_SQL = `CREATE OR REPLACE VIEW "LiteLLM_VerificationToken" AS${verificationTokenView('k.permissions')}`;

export const keyPermissions: Migration = {
  version: 497,
  name: 'key-permissions',
  sql: `
ALTER TABLE api_keys ADD COLUMN permissions jsonb NOT NULL DEFAULT '{}';
${KEY_PERMISSIONS_VIEW_SQL}
`,
};
