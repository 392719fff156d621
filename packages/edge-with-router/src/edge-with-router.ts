import type { Backends, GatewayConfig, Logger, Settings, StartedService } from '@sluice/common';
import { startEdge } from '@sluice/edge';
import { startRouter } from '@sluice/router';

/**
 * The edge and the router in one process, on the real backends: completions call the router's code
 * directly instead of crossing the CompleteStream, which saves each request a second process to wake, an
 * encode and a decode on both sides, and HTTP/2 frames (see docs/architecture.md and docs/deploy-kubernetes.md, "Edge with router").
 * Policy and accounting stay separate services. The router keeps its gRPC port for its other calls and
 * for other edges; the edge's code still never reads a provider key, only the router's call path does.
 */
export async function startEdgeWithRouter(options: {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  backends?: Backends;
}): Promise<StartedService> {
  const { settings, config, logger } = options;
  const router = await startRouter({ settings, config, logger: logger.child({ service: 'router' }), ...(options.backends ? { backends: options.backends } : {}) });
  try {
    const edge = await startEdge({
      settings: { ...settings, routerAddress: `127.0.0.1:${router.grpcPort}` },
      config,
      logger,
      ...(options.backends ? { backends: options.backends } : {}),
      inProcessComplete: router.complete,
    });
    return {
      // The router's new model list first: it checks the most, and a refusal leaves both unchanged.
      async reload(next) {
        await router.reload(next);
        await edge.reload(next);
      },
      // The edge drains first, so every in-process call has ended before the router closes under it.
      shutdownSteps: (drainTimeoutMs) => [...edge.shutdownSteps(drainTimeoutMs), ...router.shutdownSteps(settings.shutdownTimeoutMs)],
    };
  } catch (error) {
    for (const step of router.shutdownSteps(0)) await step.run().catch(() => undefined);
    throw error;
  }
}
