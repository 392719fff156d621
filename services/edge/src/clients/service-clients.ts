import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { deadlineIn, fromGrpcError, GRPC_CLIENT_OPTIONS, type ErrorCode, type InternalAuth } from '@sluice/common';
import {
  AccountingClient,
  type AuthorizeRequest,
  type CompleteRequest,
  type Decision,
  HealthCheckResponse_ServingStatus,
  HealthClient,
  type JsonCall,
  type JsonResult,
  type ListModelsResponse,
  type ModelHealthResponse,
  type StoredResponse,
  type StoredResponseRequest,
  type ManageModelRequest,
  type ManageModelResponse,
  PolicyClient,
  RouterClient,
} from '@sluice/proto';
import { createPolicyDecisions } from './policy-decisions.js';
import { type InProcessComplete, inProcessRouterCall } from './in-process-router-calls.js';
import { createRouterCalls, type RouterCall } from './router-calls.js';

// The edge's view of the three services behind it: promise-returning calls with deadlines, and failures
// already turned into GatewayErrors with the right code. The two calls every request makes (a decision
// and a completion) travel as messages on long-lived multiplexed streams; the rest are plain calls.

export interface ServiceClients {
  authorize(request: AuthorizeRequest): Promise<Decision>;
  admin(call: JsonCall): Promise<JsonResult>;
  /** Gives a finished request's parallel slot back to policy; never rejects. */
  release(requestId: string): Promise<void>;
  /** Tells policy a decision goes unused: it gives back all it reserved. Never rejects. */
  abandon(requestId: string): void;
  /** Gives the unused part of a lease back to policy; never rejects. */
  returnLease(leaseId: string, unused: { requests: number; tokens: number; costNanos: number }): Promise<void>;
  /** Where leases policy recalls are reported (set once, by the edge's lease table). */
  onLeaseRecall(handler: (leaseIds: string[]) => void): void;
  spend(call: JsonCall): Promise<JsonResult>;
  complete(request: CompleteRequest): RouterCall;
  listModels(): Promise<ListModelsResponse>;
  /** GET /health: the router checks every deployment (or one model group's). */
  modelHealth(modelGroup: string): Promise<ModelHealthResponse>;
  /** Responses API objects the router stored, by id and the caller's key hash. */
  getStoredResponse(request: StoredResponseRequest): Promise<StoredResponse>;
  deleteStoredResponse(request: StoredResponseRequest): Promise<StoredResponse>;
  /** /model/new, /model/update, /model/delete: the router stores the model (and seals its keys). */
  manageModel(request: ManageModelRequest): Promise<ManageModelResponse>;
  /**
   * True when policy and router both answer their health checks, whatever they answer: one replica that
   * is draining, or a policy that lost Redis (and answers 503s the edge passes on), must not take every
   * edge out of its Service.
   */
  healthy(): Promise<boolean>;
  close(): void;
}

export interface ServiceAddresses {
  policy: string;
  router: string;
  accounting: string;
  policyDeadlineMs: number;
  /** Multiplexed streams (each on its own connection) to policy and to the router. */
  streams: number;
  /** Each stream moves to a fresh connection after this long, so load spreads over new replicas. */
  streamRotateMs: number;
  /** The internal token every call to the services carries. */
  auth: InternalAuth;
  /**
   * The router's call path when it runs in this process: completions skip the CompleteStream; the
   * router's other calls (models, health, stored responses) still go over gRPC.
   */
  inProcessComplete?: InProcessComplete;
}

const ADMIN_DEADLINE_MS = 30_000;
// A health check of every deployment waits for the slowest one (each has its own timeout, 30 s by default).
const MODEL_HEALTH_DEADLINE_MS = 90_000;
const HEALTH_DEADLINE_MS = 1_000;
/** An abandoned decision's holds expire on their own at worst; the call is worth a few seconds. */
const ABANDON_DEADLINE_MS = 5_000;

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
  const { auth } = addresses;
  const credentials = auth.credentials();
  const options = { ...GRPC_CLIENT_OPTIONS, interceptors: auth.interceptors() };
  const policy = new PolicyClient(addresses.policy, credentials, options);
  /** Tells policy a request's decision went unused, so it gives back at once what it reserved. */
  const abandon = (requestId: string) => {
    unary((r, m, o, c) => policy.release(r, m, o, c), { requestId, abandoned: true, leaseId: '', unusedRequests: 0, unusedTokens: 0, unusedCostNanos: 0 }, ABANDON_DEADLINE_MS, 'policy_unavailable').catch(
      () => undefined,
    );
  };
  let recall: (leaseIds: string[]) => void = () => undefined;
  const decisions = createPolicyDecisions({
    recall: (leaseIds) => recall(leaseIds),
    address: addresses.policy,
    deadlineMs: addresses.policyDeadlineMs,
    streams: addresses.streams,
    rotateAfterMs: addresses.streamRotateMs,
    auth,
    abandon,
  });
  const inProcess = addresses.inProcessComplete;
  const calls = inProcess
    ? { complete: (request: CompleteRequest) => inProcessRouterCall(inProcess, request), close() {} }
    : createRouterCalls({ address: addresses.router, streams: addresses.streams, rotateAfterMs: addresses.streamRotateMs, auth });
  const router = new RouterClient(addresses.router, credentials, options);
  const accounting = new AccountingClient(addresses.accounting, credentials, options);
  const policyHealth = new HealthClient(addresses.policy, credentials, options);
  const routerHealth = new HealthClient(addresses.router, credentials, options);

  const check = (client: HealthClient) =>
    new Promise<boolean>((resolve) => {
      client.check({ service: '' }, new Metadata(), { deadline: deadlineIn(HEALTH_DEADLINE_MS) }, (error, response) =>
        resolve(!error && response.status !== HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN),
      );
    });

  return {
    authorize: (request) => decisions.authorize(request),
    admin: (call) => unary((r, m, o, c) => policy.admin(r, m, o, c), call, ADMIN_DEADLINE_MS, 'policy_unavailable'),
    async release(requestId) {
      // The usage event releases the slot as well, so a lost call only delays it.
      await unary((r, m, o, c) => policy.release(r, m, o, c), { requestId, abandoned: false, leaseId: '', unusedRequests: 0, unusedTokens: 0, unusedCostNanos: 0 }, addresses.policyDeadlineMs, 'policy_unavailable').catch(
        () => undefined,
      );
    },
    async returnLease(leaseId, unused) {
      // A lease not given back frees itself at its end plus a margin; this only makes it sooner.
      await unary(
        (r, m, o, c) => policy.release(r, m, o, c),
        { requestId: '', abandoned: false, leaseId, unusedRequests: unused.requests, unusedTokens: unused.tokens, unusedCostNanos: unused.costNanos },
        ABANDON_DEADLINE_MS,
        'policy_unavailable',
      ).catch(() => undefined);
    },
    abandon,
    onLeaseRecall(handler) {
      recall = handler;
    },
    spend: (call) => unary((r, m, o, c) => accounting.spend(r, m, o, c), call, ADMIN_DEADLINE_MS, 'service_unavailable'),
    complete: (request) => calls.complete(request),
    listModels: () => unary((r, m, o, c) => router.listModels(r, m, o, c), {}, HEALTH_DEADLINE_MS * 5, 'router_unavailable'),
    modelHealth: (modelGroup) =>
      unary((r, m, o, c) => router.modelHealth(r, m, o, c), { modelGroup }, MODEL_HEALTH_DEADLINE_MS, 'router_unavailable'),
    getStoredResponse: (request) => unary((r, m, o, c) => router.getStoredResponse(r, m, o, c), request, ADMIN_DEADLINE_MS, 'router_unavailable'),
    deleteStoredResponse: (request) => unary((r, m, o, c) => router.deleteStoredResponse(r, m, o, c), request, ADMIN_DEADLINE_MS, 'router_unavailable'),
    manageModel: (request) => unary((r, m, o, c) => router.manageModel(r, m, o, c), request, ADMIN_DEADLINE_MS, 'router_unavailable'),
    healthy: async () => (await Promise.all([check(policyHealth), check(routerHealth)])).every(Boolean),
    close() {
      decisions.close();
      calls.close();
      for (const client of [policy, router, accounting, policyHealth, routerHealth]) client.close();
    },
  };
}
