import type { Migration } from '../migrate.js';

// Which deployment answered a stored response (null for an answer from the response cache, and for rows
// stored before this column). A follow-up with previous_response_id on a deployment that speaks the
// Responses API passes the id through only when that same deployment made the response, so the provider
// knows it; anywhere else the stored conversation is sent as input items instead.
export const storedResponseDeployment: Migration = {
  version: 425,
  name: 'stored-response-deployment',
  sql: `
ALTER TABLE stored_responses ADD COLUMN deployment_id text;
`,
};
