import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { testDeployment } from '../testing/contract-replay.test-support.js';
import { vertexModelPath } from './create-gemini-provider.js';
import { createVertexTokenSource, readVertexCredentials } from './vertex-token-source.js';

const credentials = { type: 'service_account', project_id: 'from-credentials', client_email: 'sa@example.iam.gserviceaccount.com' };

describe('Vertex AI credentials', () => {
  test('vertex_credentials is the JSON itself or the path of a file holding it', () => {
    expect(readVertexCredentials(JSON.stringify(credentials))).toEqual(credentials);
    const dir = mkdtempSync(join(tmpdir(), 'vertex-'));
    writeFileSync(join(dir, 'sa.json'), JSON.stringify(credentials));
    expect(readVertexCredentials(join(dir, 'sa.json'))).toEqual(credentials);
  });

  test('the project defaults to the credentials\' project_id', () => {
    const deployment = testDeployment('vertex_ai', 'gemini-2.5-pro', {
      apiBase: 'https://us-central1-aiplatform.googleapis.com',
      params: { model: 'vertex_ai/gemini-2.5-pro', vertex_credentials: JSON.stringify(credentials) },
    });
    expect(vertexModelPath(deployment, 'generateContent').path).toBe('/v1/projects/from-credentials/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent');
  });

  test('a deployment without credentials fails with upstream_auth_error, not a crash', async () => {
    const source = createVertexTokenSource();
    await expect(source(testDeployment('vertex_ai', 'gemini-2.5-pro'))).rejects.toMatchObject({ code: 'upstream_auth_error' });
  });
});
