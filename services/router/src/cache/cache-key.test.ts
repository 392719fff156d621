import { CallType } from '@sluice/proto';
import { describe, expect, test } from 'vitest';
import { cacheKeyOf, requestHash } from './cache-key.js';

const CHAT = CallType.CALL_TYPE_CHAT_COMPLETION;
const base = {
  model: 'gpt-test',
  messages: [{ role: 'user', content: 'Invent a holiday' }],
  temperature: 0.2,
  tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
};

describe('requestHash', () => {
  test('an Anthropic beta header is part of the request; without one the hash is as before', () => {
    const messages = CallType.CALL_TYPE_ANTHROPIC_MESSAGES;
    const body = { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    expect(requestHash(messages, 'g', body, '')).toBe(requestHash(messages, 'g', body));
    expect(requestHash(messages, 'g', body, 'output-128k-2025-02-19')).not.toBe(requestHash(messages, 'g', body));
    expect(requestHash(messages, 'g', body, 'a')).not.toBe(requestHash(messages, 'g', body, 'b'));
  });

  test('is a SHA-256 hex digest', () => {
    expect(requestHash(CHAT, 'g', base)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('ignores how the answer is delivered, who asks, and gateway fields', () => {
    const hash = requestHash(CHAT, 'g', base);
    expect(
      requestHash(CHAT, 'g', {
        ...base,
        model: 'an-alias-of-g',
        stream: true,
        stream_options: { include_usage: true },
        user: 'end-user-7',
        metadata: { tags: ['a'] },
        cache: { ttl: 60 },
        store: true,
        service_tier: 'flex',
      }),
    ).toBe(hash);
  });

  test('does not depend on the order of fields at any depth, and a null field counts as absent', () => {
    const reordered = {
      tools: [{ function: { parameters: { properties: {}, type: 'object' }, name: 'lookup' }, type: 'function' }],
      temperature: 0.2,
      messages: [{ content: 'Invent a holiday', role: 'user' }],
      seed: null,
    };
    expect(requestHash(CHAT, 'g', reordered)).toBe(requestHash(CHAT, 'g', base));
  });

  test.each([
    ['the messages', { messages: [{ role: 'user', content: 'Invent a festival' }] }],
    ['the temperature', { temperature: 0.3 }],
    ['the tools', { tools: [] }],
    ['max_tokens', { max_tokens: 10 }],
    ['an unknown field', { some_new_parameter: 1 }],
    ['the response format', { response_format: { type: 'json_object' } }],
  ])('changes with %s', (_name, change) => {
    expect(requestHash(CHAT, 'g', { ...base, ...change })).not.toBe(requestHash(CHAT, 'g', base));
  });

  test('changes with the model group and the call type', () => {
    const hash = requestHash(CHAT, 'g', base);
    expect(requestHash(CHAT, 'other-group', base)).not.toBe(hash);
    expect(requestHash(CallType.CALL_TYPE_COMPLETION, 'g', base)).not.toBe(hash);
  });
});

describe('cacheKeyOf', () => {
  const hash = 'a'.repeat(64);

  test('is the hash alone without namespace or tenant', () => {
    expect(cacheKeyOf(hash, '', '')).toBe(hash);
  });

  test('puts the namespace first and the tenant next to the hash', () => {
    expect(cacheKeyOf(hash, 'prod', 'team/acme')).toBe(`prod:team/acme:${hash}`);
  });

  test('is printable ASCII whatever a team id or the configured namespace holds', () => {
    const key = cacheKeyOf(hash, 'prod\u00e9 ns', 'team/\u56e2\u961f\nnext:line');
    expect(key).toMatch(/^[\x21-\x7e]+$/);
    expect(key).toBe(`prod%C3%A9%20ns:team/%E5%9B%A2%E9%98%9F%0Anext%3Aline:${hash}`);
  });

  test("no namespace can make one tenant's key equal another tenant's", () => {
    // Team ids may hold colons and percent signs; namespaces may hold colons (the configured one).
    const tenants = ['team/a', 'team/a:team/b', 'team/b', 'team/a%3Ateam/b'];
    const namespaces = ['', 'team/a', 'team/a:team/b', 'x'];
    const seen = new Map<string, string>();
    for (const tenant of tenants) {
      for (const namespace of namespaces) {
        const key = cacheKeyOf(hash, namespace, tenant);
        const owner = seen.get(key);
        if (owner !== undefined) expect(owner).toBe(tenant);
        seen.set(key, tenant);
      }
    }
    expect(seen.size).toBe(tenants.length * namespaces.length);
  });
});
