// Router replicas started from one LiteLLM config against the real Redis (and one Complete call to any
// of them), for tests of the routing state replicas share.
import { createInternalAuth, createLogger, type ErrorCode, fromGrpcError, GRPC_CLIENT_OPTIONS, loadSettings, parseConfig, runShutdown } from '@sluice/common';
import { CallType, type CompletePart, RouterClient } from '@sluice/proto';
import { type RunningRouter, startRouter } from '@sluice/router';
import type { TestBackends } from '@sluice/testing';
import type { ServiceError } from '@grpc/grpc-js';

const logger = createLogger({ service: 'test', level: 'silent' });

export async function startRouterReplicas(backends: TestBackends, document: Record<string, unknown>, count = 2): Promise<RunningRouter[]> {
  const { config } = parseConfig(document, {});
  const settings = loadSettings({ ...backends.env, SLUICE_ROUTER_PORT: '0', SLUICE_ROUTER_HTTP_PORT: '0' });
  const routers: RunningRouter[] = [];
  for (let replica = 0; replica < count; replica += 1) routers.push(await startRouter({ settings, config, logger }));
  return routers;
}

export async function stopRouterReplicas(routers: RunningRouter[]): Promise<void> {
  for (const router of routers.splice(0)) await runShutdown(logger, router.shutdownSteps(1_000), 5_000);
}

export interface CompleteOutcome {
  /** The deployment that answered ('' when none did). */
  deployment: string;
  /** Our error code when the call failed. */
  error?: ErrorCode;
  retryAfterSeconds?: number;
}

export interface CompleteOptions {
  model: string;
  stream?: boolean;
  /** Cancels the call once its first part arrived. */
  cancelAfterStart?: boolean;
}

/** One Complete call to a replica. */
export function completeVia(backends: TestBackends, router: RunningRouter, options: CompleteOptions): Promise<CompleteOutcome> {
  const auth = createInternalAuth(backends.env.SLUICE_INTERNAL_TOKEN);
  const client = new RouterClient(`127.0.0.1:${router.grpcPort}`, auth.credentials(), { ...GRPC_CLIENT_OPTIONS, interceptors: auth.interceptors() });
  const stream = options.stream ?? false;
  return new Promise((resolve) => {
    let deployment = '';
    const call = client.complete({
      requestId: `replicas-${Math.random()}`,
      callType: CallType.CALL_TYPE_CHAT_COMPLETION,
      modelGroup: options.model,
      body: Buffer.from(JSON.stringify({ model: options.model, messages: [{ role: 'user', content: 'hi' }], stream })),
      stream,
      includeUsage: false,
      cacheNamespace: '',
      cache: undefined,
      traceparent: '',
      tags: [],
      clientHeaders: {},
      owner: '',
    });
    call.on('data', (part: CompletePart) => {
      if (part.part?.$case !== 'start') return;
      deployment = part.part.start.deploymentId;
      if (options.cancelAfterStart) call.cancel();
    });
    call.on('error', (error: ServiceError) => {
      client.close();
      if (options.cancelAfterStart && deployment !== '') return resolve({ deployment });
      const gateway = fromGrpcError(error, 'router_unavailable');
      resolve({ deployment, error: gateway.code, ...(gateway.details.retryAfterSeconds !== undefined ? { retryAfterSeconds: gateway.details.retryAfterSeconds } : {}) });
    });
    call.on('end', () => {
      client.close();
      resolve({ deployment });
    });
  });
}
