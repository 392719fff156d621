import { performance } from 'node:perf_hooks';
import { Metadata } from '@grpc/grpc-js';
import { GRPC_CLIENT_OPTIONS, insecureCredentials } from '@sluice/common';
import { PolicyClient } from '@sluice/proto';
import { createTestBackends, startService, writeConfigFile } from '@sluice/testing';

const MASTER_KEY = 'sk-bench-master';

/** One policy process on the real Redis and Postgres answering Authorize from many callers: decisions/s. */
export async function measurePolicyDecisions(durationMs: number): Promise<number> {
  const backends = await createTestBackends('benchpolicy');
  const config = writeConfigFile({ model_list: [], general_settings: { master_key: MASTER_KEY } });
  const policy = await startService('policy', { ...backends.env, SLUICE_CONFIG: config, SLUICE_POLICY_PORT: '0', SLUICE_POLICY_HTTP_PORT: '0' });
  // Several channels so the client side is not the bottleneck.
  const clients = Array.from({ length: 4 }, () => new PolicyClient(`127.0.0.1:${policy.ports.grpc}`, insecureCredentials(), { ...GRPC_CLIENT_OPTIONS, 'grpc.use_local_subchannel_pool': 1 }));
  try {
    const authorize = (client: PolicyClient, index: number) =>
      new Promise<void>((resolve, reject) =>
        client.authorize(
          { requestId: `bench-${index}`, apiKey: MASTER_KEY, route: '/v1/chat/completions', adminRoute: false, model: 'bench-model', estimatedPromptTokens: 20, maxTokens: 0, endUser: '', cacheControls: [], checkOnly: false, traceparent: '' },
          new Metadata(),
          (error, decision) => (error ? reject(error) : decision.allowed ? resolve() : reject(new Error(decision.errorCode))),
        ),
      );
    let decisions = 0;
    const deadline = performance.now() + durationMs;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, worker) => {
        const client = clients[worker % clients.length]!;
        while (performance.now() < deadline) {
          await authorize(client, decisions);
          decisions += 1;
        }
      }),
    );
    return decisions / ((performance.now() - start) / 1000);
  } finally {
    for (const client of clients) client.close();
    policy.child.kill('SIGTERM');
    await policy.exited;
    await backends.cleanup();
  }
}
