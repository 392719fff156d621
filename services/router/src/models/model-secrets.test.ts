import { describe, expect, test } from 'vitest';
import { ModelSecrets } from './model-secrets.js';

describe('model secrets (AES-256-GCM)', () => {
  test('a sealed value opens with the same key, never shows the plain text, and differs each time', () => {
    const secrets = new ModelSecrets('salt-key-for-tests');
    const plain = JSON.stringify({ model: 'openai/gpt-4o', api_key: 'sk-provider-secret' });
    const first = secrets.seal(plain);
    expect(first).not.toContain('sk-provider-secret');
    expect(secrets.seal(plain)).not.toBe(first);
    expect(secrets.open(first)).toBe(plain);
  });

  test('another key, or a changed byte, does not open', () => {
    const sealed = new ModelSecrets('one').seal('{"api_key":"sk-x"}');
    expect(() => new ModelSecrets('two').open(sealed)).toThrow();
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => new ModelSecrets('one').open(`v1:${bytes.toString('base64')}`)).toThrow();
  });
});
