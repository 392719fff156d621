import { createLogger, createMemoryUsageBus } from '@sluice/common';
import type { AuthorizeRequest, Decision, JsonCall } from '@sluice/proto';
import { expect, test } from 'vitest';
import { buildApp } from '../app.js';
import type { ServiceClients } from '../clients/service-clients.js';
import { InflightRequests } from '../proxy/inflight-requests.js';
import { EdgeMetrics } from '../observability/edge-metrics.js';

// The edge's half of the spend routes, with policy and accounting replaced by recording stand-ins: who
// may call them, and what reaches accounting.

const logger = createLogger({ service: 'edge', level: 'silent' });

function decision(allowed: boolean, isAdmin: boolean, errorCode = ''): Decision {
  const none = { limit: 0, remaining: 0, resetSeconds: 0 };
  return {
    allowed,
    errorCode,
    message: '',
    retryAfterSeconds: 0,
    identity: allowed
      ? { keyHash: 'h', keyAlias: 'a', teamId: '', teamAlias: '', userId: '', organizationId: '', isAdmin, isMasterKey: isAdmin, keyName: 'sk-...1234', tags: [] }
      : undefined,
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

function appWith(answer: Decision) {
  const authorized: AuthorizeRequest[] = [];
  const forwarded: JsonCall[] = [];
  const clients = {
    authorize: async (request: AuthorizeRequest) => {
      authorized.push(request);
      return answer;
    },
    spend: async (call: JsonCall) => {
      forwarded.push(call);
      return { status: 200, bodyJson: Buffer.from('[{"model":"m","total_spend":1.5}]') };
    },
  } as unknown as ServiceClients;
  const publisher = createMemoryUsageBus(logger).publisher;
  const inflight = new InflightRequests();
  const app = buildApp(
    {
      clients,
      publisher,
      logger,
      options: { bodyLimitBytes: 1024, keyHeader: undefined, recordMessages: false, responseCache: { enabled: false, namespacePerTeam: false } },
      inflight,
      leases: undefined,
      state: { draining: false },
      observability: { metrics: new EdgeMetrics({ modelGroups: [], inflight, publisher }), tracer: undefined, logger, logMessages: false },
    },
    logger,
  );
  return { app, authorized, forwarded };
}

test('an admin key reaches accounting with the route and query, and gets its answer as is', async () => {
  const { app, authorized, forwarded } = appWith(decision(true, true));
  const response = await app.inject({ method: 'GET', url: '/global/spend/models?start_date=2026-11-01&end_date=2026-11-21&limit=5', headers: { authorization: 'Bearer sk-admin' } });
  expect(response.statusCode).toBe(200);
  expect(response.json()).toEqual([{ model: 'm', total_spend: 1.5 }]);
  expect(authorized).toMatchObject([{ apiKey: 'sk-admin', adminRoute: true, route: '/global/spend/models', checkOnly: true }]);
  expect(forwarded).toMatchObject([{ method: 'GET', route: '/global/spend/models', query: { start_date: '2026-11-01', end_date: '2026-11-21', limit: '5' }, apiKey: '' }]);
});

test("policy's admin_only refusal (a key that is neither admin nor given get_spend_routes) is 403, and accounting is never asked", async () => {
  const { app, forwarded } = appWith(decision(false, false, 'admin_only'));
  const response = await app.inject({ method: 'GET', url: '/spend/logs', headers: { authorization: 'Bearer sk-user' } });
  expect(response.statusCode).toBe(403);
  expect(response.json().error.code).toBe('admin_only');
  expect(forwarded).toEqual([]);
});

test('a refused or missing key is 401', async () => {
  const refused = appWith(decision(false, false, 'invalid_api_key'));
  const response = await refused.app.inject({ method: 'GET', url: '/global/spend/report', headers: { authorization: 'Bearer sk-wrong' } });
  expect(response.statusCode).toBe(401);
  expect(refused.forwarded).toEqual([]);
  const missing = await refused.app.inject({ method: 'GET', url: '/global/spend/keys' });
  expect(missing.statusCode).toBe(401);
  expect(missing.json().error.code).toBe('missing_api_key');
});
