import type { Migration } from '../migrate.js';

// What moving from LiteLLM needs in the policy tables.
//
// api_keys.hash_kind says how `token` was computed: 'sluice' is hashKey() with the configured pepper,
// 'sha256' is the plain SHA-256 hex LiteLLM stores. Keys imported from LiteLLM keep LiteLLM's hash
// (nobody knows the keys themselves), so with a pepper configured they are found by a second lookup.
//
// carried_spend_micros is spend made before the row came to Sluice (LiteLLM's `spend`): it counts
// towards the budget only while the period it was carried into is still running, i.e. while
// budget_period_start still equals carried_period_start; a budget reset leaves it behind by itself.
const carried = (table: string) => `
ALTER TABLE ${table} ADD COLUMN carried_spend_micros bigint NOT NULL DEFAULT 0;
ALTER TABLE ${table} ADD COLUMN carried_period_start timestamptz;`;

export const importedKeys: Migration = {
  version: 410,
  name: 'imported-keys',
  sql: `
ALTER TABLE api_keys ADD COLUMN hash_kind text NOT NULL DEFAULT 'sluice' CHECK (hash_kind IN ('sluice', 'sha256'));
${carried('api_keys')}
${carried('teams')}
${carried('users')}
${carried('organizations')}
`,
};
