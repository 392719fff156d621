import { describe, expect, test } from 'vitest';
import type { Deployment } from '../providers/provider-adapter.js';
import { publicApiBase, redactSecrets } from './redact-endpoint.js';

const deployment = (overrides: Partial<Deployment> = {}): Deployment => ({
  id: 'd1',
  modelGroup: 'g',
  provider: 'openai',
  model: 'm',
  apiBase: 'https://user:p4ssw0rd@llm.internal:8443/v1?api-key=querysecret',
  apiBaseHost: 'llm.internal:8443',
  apiKey: 'custom-key-without-prefix',
  params: { model: 'openai/m', extra_headers: { 'x-gateway-token': 'tok-12345678' } },
  info: {},
  ...overrides,
});

describe('publicApiBase', () => {
  test('keeps scheme, host and path; drops user info, query and fragment', () => {
    expect(publicApiBase('https://user:p4ssw0rd@llm.internal:8443/v1?api-key=x#frag')).toBe('https://llm.internal:8443/v1');
    expect(publicApiBase('http://127.0.0.1:8000/')).toBe('http://127.0.0.1:8000');
    expect(publicApiBase('not a url')).toBe('');
  });
});

describe('redactSecrets', () => {
  test("removes the deployment's own secrets and anything shaped like a key", () => {
    const text = [
      'key custom-key-without-prefix rejected',
      'Incorrect API key provided: sk-proj-abc***wxyz',
      'header tok-12345678',
      'base p4ssw0rd and api-key=querysecret',
      'Authorization: Bearer eyJhbGciOi.payload.sig',
      'google AIzaSyD-1234567890abcdef',
    ].join('; ');
    const out = redactSecrets(text, deployment());
    for (const secret of ['custom-key-without-prefix', 'sk-proj', 'tok-12345678', 'p4ssw0rd', 'querysecret', 'eyJhbGciOi', 'AIzaSy']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('Incorrect API key provided: [redacted]');
  });

  test('leaves ordinary error text alone and caps its length', () => {
    expect(redactSecrets('upstream_error: model overloaded', deployment())).toBe('upstream_error: model overloaded');
    expect(redactSecrets('x'.repeat(2_000), deployment({ apiKey: undefined }))).toHaveLength(500);
  });
});
