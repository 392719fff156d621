import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthService, type HealthServer } from '@sluice/proto';
import type { Logger } from '../logger.js';
import type { InternalAuth } from './internal-auth.js';

export interface GrpcServiceBinding {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface RunningGrpcServer {
  port: number;
  /** Flips the standard health service (what Kubernetes gRPC probes and the edge's readiness ask). */
  setServing(serving: boolean): void;
  /** Stops accepting calls, waits for in-flight calls up to `timeoutMs`, then cancels the rest. */
  shutdown(timeoutMs: number): Promise<void>;
}

export const GRPC_SERVER_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
} as const;

export async function startGrpcServer(options: {
  host: string;
  port: number;
  services: GrpcServiceBinding[];
  logger: Logger;
  /** Every call but the health check must carry the deployment's internal token. */
  auth: InternalAuth;
  /**
   * Called when shutdown starts, before waiting for calls to end: long-lived multiplexed streams are
   * told the service is draining, so their clients stop sending on them and end them once idle.
   */
  onDrain?: () => void;
  /** The service's readiness; the health service answers NOT_SERVING whenever it is false. */
  ready?: () => boolean;
}): Promise<RunningGrpcServer> {
  const server = new Server({ ...GRPC_SERVER_OPTIONS, interceptors: options.auth.serverInterceptors() });
  let serving = true;
  const health: HealthServer = {
    check(_call, callback) {
      callback(null, {
        status: serving && (options.ready?.() ?? true) ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING,
      });
    },
  };
  server.addService(HealthService, health);
  for (const service of options.services) server.addService(service.definition, service.implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });

  return {
    port,
    setServing(value) {
      serving = value;
    },
    async shutdown(timeoutMs) {
      serving = false;
      options.onDrain?.();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          options.logger.warn({ timeoutMs }, 'grpc drain timed out; cancelling remaining calls');
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
