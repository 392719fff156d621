import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMemoryUsageBus, loadSettings } from '@sluice/common';
import type { Decision, ListModelsResponse } from '@sluice/proto';
import { afterAll, describe, expect, test } from 'vitest';
import { buildApp } from '../app.js';
import type { ServiceClients } from '../clients/service-clients.js';
import { EdgeMetrics } from '../observability/edge-metrics.js';
import { InflightRequests } from '../proxy/inflight-requests.js';
import { adminConsoleRoot, CONSOLE_CSP } from './admin-console.js';

// The console's static files as the edge serves them (headers, caching, fallbacks, the off switch), and
// /model/info, the admin route the console's Models page reads, with policy and router as stand-ins.

const logger = createLogger({ service: 'edge', level: 'silent' });
const root = mkdtempSync(join(tmpdir(), 'sluice-console-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="/ui/assets/index-abc123.js"></script>');
writeFileSync(join(root, 'assets', 'index-abc123.js'), 'export const built = 1;');
writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function decision(isAdmin: boolean): Decision {
  const none = { limit: 0, remaining: 0, resetSeconds: 0 };
  return {
    allowed: true,
    errorCode: '',
    message: '',
    retryAfterSeconds: 0,
    identity: { keyHash: 'h', keyAlias: 'a', teamId: '', teamAlias: '', userId: '', organizationId: '', isAdmin, isMasterKey: isAdmin, keyName: 'sk-...1234', tags: [] },
    modelGroup: '',
    requests: none,
    tokens: none,
    allowedModels: [],
    reservedTokens: 0,
    reservedCostMicros: 0,
    reservedCostNanos: 0,
    holdsParallelSlot: false,
    requestId: '',
    lease: undefined,
    recalledLeaseIds: [],
  };
}

const MODELS: ListModelsResponse = {
  models: [
    {
      id: 'gpt-small',
      ownedBy: 'openai',
      mode: 'chat',
      deployments: [
        { id: 'd1', provider: 'openai', model: 'gpt-4.1-nano', apiBaseHost: 'a.example', coolingDown: true, cooldownRemainingMs: 4_000, recentRequests: 10, recentFailures: 4, dbModel: false },
        { id: 'd2', provider: 'azure', model: 'gpt-4.1-nano', apiBaseHost: 'b.example', coolingDown: false, cooldownRemainingMs: 0, recentRequests: 6, recentFailures: 0, dbModel: false },
      ],
    },
  ],
};

function appWith(adminConsoleRoot: string | undefined, isAdmin = true) {
  const clients = { authorize: async () => decision(isAdmin), listModels: async () => MODELS } as unknown as ServiceClients;
  const publisher = createMemoryUsageBus(logger).publisher;
  const inflight = new InflightRequests();
  return buildApp(
    {
      clients,
      publisher,
      logger,
      options: { bodyLimitBytes: 1024, keyHeader: undefined, recordMessages: false, responseCache: { enabled: false, namespacePerTeam: false }, adminConsoleRoot },
      inflight,
      leases: undefined,
      state: { draining: false },
      observability: { metrics: new EdgeMetrics({ modelGroups: [], inflight, publisher }), tracer: undefined, logger, logMessages: false },
    },
    logger,
  );
}

describe('the admin console at /ui', () => {
  const app = appWith(root);

  test('index.html: strict CSP, never cached without revalidation, no cookies', async () => {
    for (const url of ['/ui', '/ui/', '/ui/keys']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('/ui/assets/index-abc123.js');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(CONSOLE_CSP).not.toContain('unsafe-eval');
  });

  test('hashed assets are immutable for a year, revalidate with their ETag, and a missing one is a 404', async () => {
    const script = await app.inject({ method: 'GET', url: '/ui/assets/index-abc123.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('export const built = 1;');
    const css = await app.inject({ method: 'GET', url: '/ui/assets/index-abc123.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await app.inject({ method: 'GET', url: '/ui/assets/index-abc123.js', headers: { 'if-none-match': String(script.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const missing = await app.inject({ method: 'GET', url: '/ui/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  test('a path that climbs out of the directory gets index.html, never a file outside it', async () => {
    const response = await app.inject({ method: 'GET', url: '/ui/..%2F..%2Fetc%2Fpasswd' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('/ui/assets/index-abc123.js');
    expect(response.body).not.toContain('root:');
  });

  test('general_settings.disable_admin_ui: /ui is a 404 and the API still answers', async () => {
    const disabled = appWith(undefined);
    for (const url of ['/ui', '/ui/', '/ui/assets/index-abc123.js']) {
      const response = await disabled.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }
    expect((await disabled.inject({ method: 'GET', url: '/model/info', headers: { authorization: 'Bearer sk-admin' } })).statusCode).toBe(200);
  });

  test('off with general_settings.disable_admin_ui or DISABLE_ADMIN_UI=true; on by default, from the built package', () => {
    expect(adminConsoleRoot({ disable_admin_ui: true }, false)).toBeUndefined();
    expect(adminConsoleRoot({}, loadSettings({ DISABLE_ADMIN_UI: 'true' }).disableAdminUi)).toBeUndefined();
    expect(adminConsoleRoot({}, loadSettings({ DISABLE_ADMIN_UI: 'TRUE' }).disableAdminUi)).toBeUndefined();
    expect(loadSettings({}).disableAdminUi).toBe(false);
    expect(adminConsoleRoot({ disable_admin_ui: false }, false)).toMatch(/packages[/\\]console[/\\]dist$/);
  });

  test('a console that was never built says so with a 404, and the edge still starts', async () => {
    const unbuilt = appWith(join(root, 'missing'));
    const response = await unbuilt.inject({ method: 'GET', url: '/ui/' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toMatch(/npm run build/);
  });
});

describe('/model/info', () => {
  test('an admin gets every deployment in LiteLLM shape with cooldown and recent errors, no upstream secret', async () => {
    const response = await appWith(undefined).inject({ method: 'GET', url: '/model/info', headers: { authorization: 'Bearer sk-admin' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      data: [
        {
          model_name: 'gpt-small',
          litellm_params: { model: 'openai/gpt-4.1-nano' },
          model_info: { id: 'd1', mode: 'chat', provider: 'openai', api_base_host: 'a.example', cooling_down: true, cooldown_remaining_ms: 4_000, recent_requests: 10, recent_failures: 4, db_model: false },
        },
        {
          model_name: 'gpt-small',
          litellm_params: { model: 'azure/gpt-4.1-nano' },
          model_info: { id: 'd2', mode: 'chat', provider: 'azure', api_base_host: 'b.example', cooling_down: false, cooldown_remaining_ms: 0, recent_requests: 6, recent_failures: 0, db_model: false },
        },
      ],
    });
    expect((await appWith(undefined).inject({ method: 'GET', url: '/v1/model/info', headers: { authorization: 'Bearer sk-admin' } })).statusCode).toBe(200);
  });

  test('a key that is not an admin gets 403 admin_only; no key is 401', async () => {
    const app = appWith(undefined, false);
    const refused = await app.inject({ method: 'GET', url: '/model/info', headers: { authorization: 'Bearer sk-user' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('admin_only');
    expect((await app.inject({ method: 'GET', url: '/model/info' })).statusCode).toBe(401);
  });
});
