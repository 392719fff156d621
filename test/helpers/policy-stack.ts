// A whole stack for the policy tests, with a fake OpenAI provider, an admin client for the master key,
// and (on request) a second policy replica with its own edge, as two pods behind a load balancer.
import { limitStateNamespace } from '@sluice/common';
import {
  createTestBackends,
  type FakeProvider,
  replayOpenAiFixture,
  type ServiceProcess,
  type Stack,
  startFakeProvider,
  startService,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';

export const MASTER_KEY = 'sk-policy-test-master';
export const FIXTURE = 'openai__chat__openai-text';
/** What the recording reports: non-streaming and streaming answers. */
export const RECORDED_USAGE = { prompt: 16, completion: 363 };
export const RECORDED_STREAM_USAGE = { prompt: 16, completion: 300 };
/** gpt-test's price in the config below, micro-USD per token. */
export const PRICE = { input: 10, output: 100 };

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface PolicyStack {
  backends: TestBackends;
  fake: FakeProvider;
  stack: Stack;
  /** Edge URLs: [0] is the stack's edge; more after addReplica(). */
  edges: string[];
  extra: ServiceProcess[];
  /** A config file like this stack's, with other general_settings (for a replica configured differently). */
  configWith(generalSettings: Record<string, unknown>): string;
  /** Starts another policy process and an edge that uses it; returns the new edge's URL. */
  addReplica(env?: Record<string, string>, edgeEnv?: Record<string, string>): Promise<string>;
  admin(method: 'GET' | 'POST', path: string, body?: unknown, key?: string, edge?: string): Promise<Reply>;
  chat(key: string, body?: Record<string, unknown>, edge?: string): Promise<Reply>;
  stop(): Promise<void>;
}

export async function request(url: string, init: RequestInit): Promise<Reply> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (an SSE stream): keep the text.
  }
  return { status: response.status, headers: response.headers, body };
}

export async function startPolicyStack(
  label: string,
  options: { env?: Record<string, string>; generalSettings?: Record<string, unknown>; policyEnv?: Record<string, string> } = {},
): Promise<PolicyStack> {
  const fake = await startFakeProvider(replayOpenAiFixture(FIXTURE));
  const backends = await createTestBackends(label);
  const configWith = (generalSettings: Record<string, unknown>) => writeConfigFile({
    model_list: [
      {
        model_name: 'gpt-test',
        litellm_params: {
          model: 'openai/gpt-4.1-nano',
          api_base: `${fake.url}/v1`,
          api_key: 'sk-upstream',
          input_cost_per_token: PRICE.input / 1_000_000,
          output_cost_per_token: PRICE.output / 1_000_000,
        },
      },
      {
        model_name: 'other-model',
        litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${fake.url}/v1`, api_key: 'sk-upstream' },
      },
    ],
    general_settings: { master_key: MASTER_KEY, ...generalSettings },
  });
  const config = configWith(options.generalSettings ?? {});
  const env = { ...backends.env, SLUICE_CONFIG: config, ...options.env };
  const stack = await startStack(env);
  if (options.policyEnv) {
    // Restart policy with its own extra environment (e.g. Redis through a proxy), on the same ports.
    await stack.kill('policy', 'SIGTERM');
    Object.assign(stack.envOf('policy'), options.policyEnv);
    await stack.restart('policy');
  }
  const extra: ServiceProcess[] = [];
  const edges = [stack.edgeUrl];

  const admin = (method: 'GET' | 'POST', path: string, body?: unknown, key = MASTER_KEY, edge = edges[0]!) =>
    request(`${edge}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  return {
    backends,
    fake,
    stack,
    edges,
    extra,
    configWith,
    async addReplica(replicaEnv = {}, edgeEnv = {}) {
      const policy = await startService('policy', {
        ...stack.envOf('policy'),
        SLUICE_POLICY_PORT: '0',
        SLUICE_POLICY_HTTP_PORT: '0',
        ...replicaEnv,
      });
      extra.push(policy);
      const edge = await startService('edge', {
        ...stack.envOf('edge'),
        SLUICE_EDGE_PORT: '0',
        SLUICE_EDGE_METRICS_PORT: '0',
        SLUICE_POLICY_ADDRESS: `127.0.0.1:${policy.ports.grpc}`,
        ...edgeEnv,
      });
      extra.push(edge);
      const url = `http://127.0.0.1:${edge.ports.edge}`;
      edges.push(url);
      return url;
    },
    admin,
    chat: (key, body = {}, edge = edges[0]!) =>
      request(`${edge}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'Invent a holiday' }], ...body }),
      }),
    async stop() {
      await Promise.all(
        extra.map(async (service) => {
          if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
          const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
          await service.exited;
          clearTimeout(timer);
        }),
      );
      await stack.stop();
      await fake.close();
      await backends.cleanup();
    },
  };
}

/** Limit-state keys of this run whose name starts with `segment` (after the prefix and the limit namespace). */
async function limitKeys(backends: TestBackends, segment: string): Promise<number> {
  const redis = backends.redis();
  const prefix = backends.env.SLUICE_REDIS_PREFIX!;
  let cursor = '0';
  let count = 0;
  do {
    // SCAN matches full key names, so the pattern carries the prefix the client would otherwise add.
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}${limitStateNamespace(prefix)}${segment}*`, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/** Waits until every usage event has been settled: no hold left in Redis for this run. */
export function holdsLeft(backends: TestBackends): Promise<number> {
  return limitKeys(backends, 'h:');
}

/** Requests the edge abandoned: each leaves a marker, which a decision made after it finds. */
export function abandonMarkers(backends: TestBackends): Promise<number> {
  return limitKeys(backends, 'x:');
}
