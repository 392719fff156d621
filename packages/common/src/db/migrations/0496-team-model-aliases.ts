import type { Migration } from '../migrate.js';

// LiteLLM's team model_aliases ({"gpt-4o": "gpt-4o-team-a"}): a name the team's keys may send, and the
// model group it routes to. A key's own aliases come first.
export const teamModelAliases: Migration = {
  version: 496,
  name: 'team-model-aliases',
  sql: `
ALTER TABLE teams ADD COLUMN model_aliases jsonb NOT NULL DEFAULT '{}';
`,
};
