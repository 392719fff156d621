import { performance } from 'node:perf_hooks';
import { createInternalAuth, GRPC_STREAM_CHANNEL_OPTIONS } from '@sluice/common';
import { type AuthorizeRequest, type Decision, PolicyClient } from '@sluice/proto';
import { createTestBackends, startService, writeConfigFile } from '@sluice/testing';

const MASTER_KEY = 'sk-bench-master';
const STREAMS = 4;
const IN_FLIGHT = 256;

/**
 * One policy process on the real Redis and Postgres answering decisions the way the edge asks for them
 * (AuthorizeStream, many in flight): decisions per second. The key is a generated one with RPM, TPM and
 * budget limits, so every decision runs the full reservation script.
 */
export async function measurePolicyDecisions(durationMs: number): Promise<number> {
  const backends = await createTestBackends('benchpolicy');
  const config = writeConfigFile({ model_list: [], general_settings: { master_key: MASTER_KEY } });
  const env = { ...backends.env, SLUICE_CONFIG: config, SLUICE_POLICY_PORT: '0', SLUICE_POLICY_HTTP_PORT: '0' };
  const policy = await startService('policy', env);
  const auth = createInternalAuth(backends.env.SLUICE_INTERNAL_TOKEN);
  const clients = Array.from(
    { length: STREAMS },
    () => new PolicyClient(`127.0.0.1:${policy.ports.grpc}`, auth.credentials(), { ...GRPC_STREAM_CHANNEL_OPTIONS, interceptors: auth.interceptors() }),
  );
  try {
    const key = await generateKey(clients[0]!);
    const waiting = new Map<string, () => void>();
    const streams = clients.map((client) => {
      const stream = client.authorizeStream();
      stream.on('data', (decision: Decision) => {
        // An empty request id is policy saying it is shutting down (at the end of the run).
        if (decision.requestId === '') return;
        if (!decision.allowed) throw new Error(`policy denied a benchmark request: ${JSON.stringify(decision)}`);
        waiting.get(decision.requestId)?.();
        waiting.delete(decision.requestId);
      });
      return stream;
    });
    let sequence = 0;
    const authorize = () =>
      new Promise<void>((resolve) => {
        const requestId = `bench-${sequence++}`;
        waiting.set(requestId, resolve);
        const request: AuthorizeRequest = {
          requestId, apiKey: key, route: '/v1/chat/completions', adminRoute: false, model: 'bench-model', estimatedPromptTokens: 20,
          maxTokens: 64, endUser: '', cacheControls: [], checkOnly: false, traceparent: '',
    choices: 1, tags: [], leaseOnly: false, leaseRequests: 0,
        };
        streams[sequence % STREAMS]!.write(request);
      });
    let decisions = 0;
    const deadline = performance.now() + durationMs;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < deadline) {
          await authorize();
          decisions += 1;
        }
      }),
    );
    const rate = decisions / ((performance.now() - start) / 1000);
    for (const stream of streams) stream.end();
    return rate;
  } finally {
    for (const client of clients) client.close();
    policy.child.kill('SIGTERM');
    await policy.exited;
    await backends.cleanup();
  }
}

async function generateKey(client: PolicyClient): Promise<string> {
  const { Metadata } = await import('@grpc/grpc-js');
  const result = await new Promise<{ status: number; bodyJson: Buffer }>((resolve, reject) =>
    client.admin(
      {
        method: 'POST',
        route: '/key/generate',
        query: {},
        bodyJson: Buffer.from(JSON.stringify({ key_alias: 'bench', rpm_limit: 1_000_000_000, tpm_limit: 1_000_000_000_000, max_budget: 1_000_000 })),
        apiKey: MASTER_KEY,
        requestId: 'bench-key',
      },
      new Metadata(),
      (error, response) => (error ? reject(error) : resolve(response)),
    ),
  );
  if (result.status !== 200) throw new Error(`cannot create the benchmark key: ${result.status} ${result.bodyJson.toString()}`);
  return (JSON.parse(result.bodyJson.toString()) as { key: string }).key;
}
