import { type ClientReadableStream, Metadata, type ServiceError } from '@grpc/grpc-js';
import { deadlineIn, fromGrpcError, GRPC_CLIENT_OPTIONS, insecureCredentials, type ErrorCode } from '@sluice/common';
import {
  AccountingClient,
  type AuthorizeRequest,
  type CompletePart,
  type CompleteRequest,
  type Decision,
  HealthCheckResponse_ServingStatus,
  HealthClient,
  type JsonCall,
  type JsonResult,
  type ListModelsResponse,
  PolicyClient,
  RouterClient,
} from '@sluice/proto';

// The edge's view of the three services behind it: promise-returning calls with deadlines, and failures
// already turned into GatewayErrors with the right code.

export interface ServiceClients {
  authorize(request: AuthorizeRequest): Promise<Decision>;
  admin(call: JsonCall): Promise<JsonResult>;
  /** Gives a finished request's parallel slot back to policy; never rejects. */
  release(requestId: string): Promise<void>;
  spend(call: JsonCall): Promise<JsonResult>;
  complete(request: CompleteRequest): ClientReadableStream<CompletePart>;
  listModels(): Promise<ListModelsResponse>;
  /** True when policy and router both answer their health checks. */
  healthy(): Promise<boolean>;
  close(): void;
}

export interface ServiceAddresses {
  policy: string;
  router: string;
  accounting: string;
  policyDeadlineMs: number;
}

const ADMIN_DEADLINE_MS = 30_000;
const HEALTH_DEADLINE_MS = 1_000;

function unary<Request, Response>(
  invoke: (
    request: Request,
    metadata: Metadata,
    options: { deadline: Date },
    callback: (error: ServiceError | null, response: Response) => void,
  ) => unknown,
  request: Request,
  deadlineMs: number,
  unavailable: ErrorCode,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    invoke(request, new Metadata(), { deadline: deadlineIn(deadlineMs) }, (error, response) =>
      error ? reject(fromGrpcError(error, unavailable)) : resolve(response),
    );
  });
}

export function createServiceClients(addresses: ServiceAddresses): ServiceClients {
  const credentials = insecureCredentials();
  const policy = new PolicyClient(addresses.policy, credentials, GRPC_CLIENT_OPTIONS);
  const router = new RouterClient(addresses.router, credentials, GRPC_CLIENT_OPTIONS);
  const accounting = new AccountingClient(addresses.accounting, credentials, GRPC_CLIENT_OPTIONS);
  const policyHealth = new HealthClient(addresses.policy, credentials, GRPC_CLIENT_OPTIONS);
  const routerHealth = new HealthClient(addresses.router, credentials, GRPC_CLIENT_OPTIONS);

  const check = (client: HealthClient) =>
    new Promise<boolean>((resolve) => {
      client.check({ service: '' }, new Metadata(), { deadline: deadlineIn(HEALTH_DEADLINE_MS) }, (error, response) =>
        resolve(!error && response.status === HealthCheckResponse_ServingStatus.SERVING),
      );
    });

  return {
    authorize: (request) =>
      unary((r, m, o, c) => policy.authorize(r, m, o, c), request, addresses.policyDeadlineMs, 'policy_unavailable'),
    admin: (call) => unary((r, m, o, c) => policy.admin(r, m, o, c), call, ADMIN_DEADLINE_MS, 'policy_unavailable'),
    async release(requestId) {
      // The usage event releases the slot as well, so a lost call only delays it.
      await unary((r, m, o, c) => policy.release(r, m, o, c), { requestId }, addresses.policyDeadlineMs, 'policy_unavailable').catch(
        () => undefined,
      );
    },
    spend: (call) => unary((r, m, o, c) => accounting.spend(r, m, o, c), call, ADMIN_DEADLINE_MS, 'service_unavailable'),
    complete: (request) => router.complete(request),
    listModels: () => unary((r, m, o, c) => router.listModels(r, m, o, c), {}, HEALTH_DEADLINE_MS * 5, 'router_unavailable'),
    healthy: async () => (await Promise.all([check(policyHealth), check(routerHealth)])).every(Boolean),
    close() {
      for (const client of [policy, router, accounting, policyHealth, routerHealth]) client.close();
    },
  };
}
