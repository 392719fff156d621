import { readFileSync } from 'node:fs';
import { GatewayError } from '@sluice/common';
import { createRequire } from 'node:module';
import type { GoogleAuth } from 'google-auth-library';
import type { Deployment } from '../provider-adapter.js';

/** Gives the OAuth bearer token for a Vertex AI deployment (cached and refreshed by google-auth-library). */
export type VertexTokenSource = (deployment: Deployment) => Promise<string>;

export interface ServiceAccountCredentials {
  type?: string;
  project_id?: string;
  client_email?: string;
  private_key?: string;
}

/** vertex_credentials is the service account JSON itself, or the path of a file holding it. */
export function readVertexCredentials(value: string): ServiceAccountCredentials {
  const text = value.trimStart().startsWith('{') ? value : readFileSync(value, 'utf8');
  return JSON.parse(text) as ServiceAccountCredentials;
}

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * One GoogleAuth client per deployment, made on first use; it fetches a token from Google's OAuth
 * endpoint and reuses it until shortly before it expires, so the request path rarely waits on it.
 * Credentials come only from the deployment's config (vertex_credentials), never from the environment.
 */
export function createVertexTokenSource(): VertexTokenSource {
  const clients = new Map<string, GoogleAuth>();
  return async (deployment) => {
    let auth = clients.get(deployment.id);
    if (!auth) {
      const raw = deployment.params.vertex_credentials;
      if (!raw) throw new GatewayError('upstream_auth_error', 'The deployment has no vertex_credentials.');
      // Loaded on first use: only Vertex AI deployments need Google's auth library.
      const { GoogleAuth: Auth } = createRequire(import.meta.url)('google-auth-library') as typeof import('google-auth-library');
      auth = new Auth({ credentials: readVertexCredentials(raw), scopes: [SCOPE] });
      clients.set(deployment.id, auth);
    }
    try {
      const token = await auth.getAccessToken();
      if (!token) throw new Error('no token');
      return token;
    } catch {
      throw new GatewayError('upstream_auth_error', 'Could not get a Vertex AI access token for this deployment.');
    }
  };
}
