import { expect, test } from 'vitest';
import type { Deployment } from '../provider-adapter.js';
import { deploymentCredentials, scrubCredentials } from './scrub-credentials.js';

const deployment = (params: Record<string, unknown>, apiKey?: string): Deployment =>
  ({ id: 'd', modelGroup: 'g', provider: 'openai', model: 'm', apiBase: 'http://x', apiBaseHost: 'x', apiKey, params, info: {} }) as Deployment;

test('the api key, AWS secrets and credential headers are cut out of a provider message', () => {
  const credentials = deploymentCredentials(
    deployment({ model: 'bedrock/x', aws_access_key_id: 'AKIAEXAMPLEKEY01', aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG', aws_region_name: 'us-east-1', max_tokens: 5 }, 'sk-upstream-secret-1'),
    { authorization: 'Bearer sk-upstream-secret-1', 'x-goog-api-key': 'AIzaSyGoogleKey123', 'content-type': 'application/json' },
  );
  const message =
    "Invalid header 'Authorization: Bearer sk-upstream-secret-1'; key AKIAEXAMPLEKEY01 secret wJalrXUtnFEMI/K7MDENG; x-goog-api-key=AIzaSyGoogleKey123 in us-east-1";
  const scrubbed = scrubCredentials(message, credentials);
  expect(scrubbed).not.toMatch(/sk-upstream-secret-1|AKIAEXAMPLEKEY01|wJalrXUtnFEMI|AIzaSyGoogleKey123/);
  expect(scrubbed).toContain('[redacted]');
  // Ordinary words and non-credential parameters stay.
  expect(scrubbed).toContain('us-east-1');
  expect(scrubbed).toContain("Invalid header 'Authorization: [redacted]'");
});

test('the credential fields of a JSON service account are cut out too', () => {
  const account = JSON.stringify({ type: 'service_account', private_key: 'test-service-account-private-key', client_email: 'a@b.iam' });
  const credentials = deploymentCredentials(deployment({ vertex_credentials: account }));
  expect(scrubCredentials('bad key test-service-account-private-key', credentials)).toBe('bad key [redacted]');
});

test('a message without credentials is unchanged', () => {
  expect(scrubCredentials("'messages' is required", deploymentCredentials(deployment({}, 'sk-upstream-secret-1')))).toBe("'messages' is required");
});
