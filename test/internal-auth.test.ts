// The internal services answer only the gateway's own services: a direct gRPC call without the
// deployment's token (or with a wrong one) is refused UNAUTHENTICATED and reaches no provider and no
// ledger; the health service stays open for Kubernetes probes.
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { createInternalAuth, GRPC_CLIENT_OPTIONS, INTERNAL_TOKEN_HEADER } from '@sluice/common';
import {
  AccountingClient,
  AuthorizeRequest,
  CallType,
  type CompletePart,
  HealthCheckResponse_ServingStatus,
  HealthClient,
  PolicyClient,
  RouterClient,
} from '@sluice/proto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MASTER_KEY, type PolicyStack, startPolicyStack } from './helpers/policy-stack.js';

let stack: PolicyStack;
const address = (service: 'policy' | 'router' | 'accounting') => `127.0.0.1:${stack.stack.services[service].ports.grpc}`;

beforeAll(async () => {
  stack = await startPolicyStack('internalauth');
});

afterAll(async () => {
  await stack?.stop();
});

/** Client options for a caller with no token, a wrong one, or the deployment's own. */
function clientOptions(token: 'none' | 'wrong' | 'right') {
  if (token === 'none') return GRPC_CLIENT_OPTIONS;
  const auth = createInternalAuth(token === 'right' ? stack.backends.env.SLUICE_INTERNAL_TOKEN : 'a-wrong-token-of-enough-length');
  return { ...GRPC_CLIENT_OPTIONS, interceptors: auth.interceptors() };
}
const insecure = createInternalAuth(undefined).credentials();
const deadline = () => ({ deadline: new Date(Date.now() + 5_000) });

function complete(token: 'none' | 'wrong' | 'right'): Promise<{ code: number; parts: number }> {
  const client = new RouterClient(address('router'), insecure, clientOptions(token));
  return new Promise((resolve) => {
    let parts = 0;
    const call = client.complete(
      {
        requestId: `direct-${Math.random()}`,
        callType: CallType.CALL_TYPE_CHAT_COMPLETION,
        modelGroup: 'gpt-test',
        body: Buffer.from(JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })),
        stream: false,
        includeUsage: false,
        cacheNamespace: '',
        cache: undefined,
        traceparent: '',
        clientHeaders: {},
        owner: '',
        tags: [],
      },
      new Metadata(),
      deadline(),
    );
    call.on('data', (_part: CompletePart) => (parts += 1));
    call.on('error', (error: ServiceError) => {
      client.close();
      resolve({ code: error.code, parts });
    });
    call.on('end', () => {
      client.close();
      resolve({ code: status.OK, parts });
    });
  });
}

function unaryCode<Request>(invoke: (callback: (error: ServiceError | null) => void) => void): Promise<number> {
  return new Promise((resolve) => invoke((error) => resolve(error ? error.code : status.OK)));
}

const ledgerRows = async () => Number((await stack.backends.sql.query<{ rows: number }>('SELECT count(*)::bigint AS rows FROM spend_logs')).rows[0]!.rows);

describe('a direct call to an internal service', () => {
  test('router Complete without the token, or with a wrong one, is refused and reaches no provider and no ledger', async () => {
    const providerCalls = stack.fake.requests.length;
    const rows = await ledgerRows();
    for (const token of ['none', 'wrong'] as const) {
      expect(await complete(token)).toEqual({ code: status.UNAUTHENTICATED, parts: 0 });
    }
    expect(stack.fake.requests.length).toBe(providerCalls);
    // With the deployment's token the same call is answered (so the refusal above is the token's doing).
    const allowed = await complete('right');
    expect(allowed.code).toBe(status.OK);
    expect(allowed.parts).toBeGreaterThan(0);
    expect(stack.fake.requests.length).toBe(providerCalls + 1);
    expect(await ledgerRows()).toBe(rows);
  });

  test('policy Authorize and Admin, and accounting Spend, are refused without the token', async () => {
    for (const token of ['none', 'wrong'] as const) {
      const policy = new PolicyClient(address('policy'), insecure, clientOptions(token));
      const accounting = new AccountingClient(address('accounting'), insecure, clientOptions(token));
      const authorize = AuthorizeRequest.fromPartial({ requestId: 'direct', apiKey: MASTER_KEY, route: '/v1/chat/completions', model: 'gpt-test' });
      expect(await unaryCode((callback) => policy.authorize(authorize, new Metadata(), deadline(), callback))).toBe(status.UNAUTHENTICATED);
      const generate = { method: 'POST', route: '/key/generate', query: {}, bodyJson: Buffer.from('{}'), apiKey: MASTER_KEY, requestId: 'direct' };
      expect(await unaryCode((callback) => policy.admin(generate, new Metadata(), deadline(), callback))).toBe(status.UNAUTHENTICATED);
      const spend = { method: 'GET', route: '/spend/logs', query: {}, bodyJson: Buffer.alloc(0), apiKey: MASTER_KEY, requestId: 'direct' };
      expect(await unaryCode((callback) => accounting.spend(spend, new Metadata(), deadline(), callback))).toBe(status.UNAUTHENTICATED);
      policy.close();
      accounting.close();
    }
    // No key was made by the refused /key/generate.
    const keys = await stack.backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM api_keys');
    expect(keys.rows[0]!.count).toBe(0);
  });

  test('a token sent twice is refused too', async () => {
    const policy = new PolicyClient(address('policy'), insecure, GRPC_CLIENT_OPTIONS);
    const metadata = new Metadata();
    metadata.add(INTERNAL_TOKEN_HEADER, stack.backends.env.SLUICE_INTERNAL_TOKEN!);
    metadata.add(INTERNAL_TOKEN_HEADER, 'another-value-entirely-0000');
    const authorize = AuthorizeRequest.fromPartial({ requestId: 'twice', apiKey: MASTER_KEY, route: '/v1/models', checkOnly: true });
    expect(await unaryCode((callback) => policy.authorize(authorize, metadata, deadline(), callback))).toBe(status.UNAUTHENTICATED);
    policy.close();
  });

  test('the health service answers without the token, for Kubernetes probes', async () => {
    for (const service of ['policy', 'router', 'accounting'] as const) {
      const health = new HealthClient(address(service), insecure, GRPC_CLIENT_OPTIONS);
      const serving = await new Promise<number>((resolve, reject) =>
        health.check({ service: '' }, new Metadata(), deadline(), (error, response) => (error ? reject(error) : resolve(response.status))),
      );
      expect(serving).toBe(HealthCheckResponse_ServingStatus.SERVING);
      health.close();
    }
  });
});

test('a service started without a token and without SLUICE_INTERNAL_AUTH=none refuses to start, naming the setting', async () => {
  const { startService } = await import('@sluice/testing');
  const env = { ...stack.stack.envOf('router'), SLUICE_ROUTER_PORT: '0', SLUICE_ROUTER_HTTP_PORT: '0' };
  delete (env as Record<string, string | undefined>).SLUICE_INTERNAL_TOKEN;
  await expect(startService('router', env)).rejects.toThrow(/SLUICE_INTERNAL_TOKEN is not set/);
});
