import { expect, test } from 'vitest';
import { routeAllowed, routesForKeyType } from './route-access.js';

const chat = { route: '/v1/chat/completions', admin: false, method: 'POST' };
const keyInfo = { route: '/key/info', admin: true, method: 'GET' };
const keyGenerate = { route: '/key/generate', admin: true, method: 'POST' };

test('an empty list allows everything; routes match with or without /v1 and by prefix', () => {
  expect(routeAllowed([], keyGenerate)).toBe(true);
  expect(routeAllowed(['/chat/completions'], chat)).toBe(true);
  expect(routeAllowed(['/v1/chat/completions'], { ...chat, route: '/chat/completions' })).toBe(true);
  expect(routeAllowed(['/v1/embeddings'], chat)).toBe(false);
  expect(routeAllowed(['/key/*'], keyInfo)).toBe(true);
  expect(routeAllowed(['/team/*'], keyInfo)).toBe(false);
});

test("key types: llm_api only LLM routes, management only admin routes, read_only only reads", () => {
  expect(routeAllowed(routesForKeyType('llm_api'), chat)).toBe(true);
  expect(routeAllowed(routesForKeyType('llm_api'), keyInfo)).toBe(false);
  expect(routeAllowed(routesForKeyType('management'), chat)).toBe(false);
  expect(routeAllowed(routesForKeyType('management'), keyGenerate)).toBe(true);
  expect(routeAllowed(routesForKeyType('read_only'), keyInfo)).toBe(true);
  expect(routeAllowed(routesForKeyType('read_only'), keyGenerate)).toBe(false);
  expect(routesForKeyType('default')).toEqual([]);
});
