import { createTestBackends, type Stack, type StackShape, startStack, writeConfigFile } from '@sluice/testing';
import type { Target } from '../target.js';

const MASTER_KEY = 'sk-bench-master';

/**
 * The full Sluice stack as it runs in production: four processes on the real Postgres, Redis and NATS
 * (or three, with the edge and the router in one: `sluice-edge-router`), a virtual key whose limits are
 * set high enough never to trigger (so every check still runs), usage events published and consumed.
 */
export async function startSluiceTarget(
  upstreamPort: number,
  nodeArguments: string[] = [],
  shape: StackShape = 'four-services',
): Promise<Target & { stack: Stack }> {
  const backends = await createTestBackends('bench');
  const config = writeConfigFile({
    model_list: [
      {
        model_name: 'bench-model',
        litellm_params: { model: 'openai/gpt-4o-mini', api_base: `http://127.0.0.1:${upstreamPort}/v1`, api_key: 'sk-bench-upstream' },
      },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  const stack = await startStack({ ...backends.env, SLUICE_CONFIG: config }, nodeArguments, shape);
  const response = await fetch(`${stack.edgeUrl}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key_alias: 'bench', rpm_limit: 100_000_000, tpm_limit: 100_000_000_000, max_budget: 1_000_000 }),
  });
  if (response.status !== 200) {
    await stack.stop();
    await backends.cleanup();
    throw new Error(`could not create the benchmark's virtual key: ${response.status} ${await response.text()}`);
  }
  const { key } = (await response.json()) as { key: string };
  return {
    name: shape === 'edge-with-router' ? 'sluice-edge-router' : 'sluice',
    origin: stack.edgeUrl,
    path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${key}` },
    model: 'bench-model',
    stack,
    // One process serves as both edge and router in the edge-with-router shape: counted once, as the edge.
    processes: () =>
      Object.fromEntries(
        Object.entries(stack.services)
          .filter(([name, service]) => name === 'edge' || service !== stack.services.edge)
          .map(([name, service]) => [name === 'edge' && shape === 'edge-with-router' ? 'edge+router' : name, service.child.pid!]),
      ),
    async stop() {
      await stack.stop();
      await backends.cleanup();
    },
  };
}
