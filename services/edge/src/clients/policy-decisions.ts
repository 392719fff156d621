import { channelUsable, GatewayError, GRPC_STREAM_CHANNEL_OPTIONS, insecureCredentials, StreamPool } from '@sluice/common';
import { type AuthorizeRequest, type Decision, PolicyClient } from '@sluice/proto';

interface Waiting {
  resolve(decision: Decision): void;
  reject(error: GatewayError): void;
  deadline: number;
}

export interface PolicyDecisionsOptions {
  address: string;
  deadlineMs: number;
  streams: number;
  rotateAfterMs: number;
}

const SWEEP_MS = 25;

/**
 * Authorize over policy's AuthorizeStream: each decision is one message out and one back on a
 * long-lived stream, matched by request id. One timer checks every deadline, instead of one per call.
 */
export function createPolicyDecisions(options: PolicyDecisionsOptions) {
  const waiting = new Map<string, Waiting>();
  const credentials = insecureCredentials();
  const fail = (requestId: string, error: GatewayError) => {
    const entry = waiting.get(requestId);
    if (!entry) return;
    waiting.delete(requestId);
    pool.done(requestId);
    entry.reject(error);
  };
  const pool: StreamPool<AuthorizeRequest, Decision> = new StreamPool<AuthorizeRequest, Decision>({
    size: options.streams,
    rotateAfterMs: options.rotateAfterMs,
    connect() {
      const client = new PolicyClient(options.address, credentials, GRPC_STREAM_CHANNEL_OPTIONS);
      return { open: () => client.authorizeStream(), usable: () => channelUsable(client), close: () => client.close() };
    },
    isDrainNotice: (decision) => decision.requestId === '',
    onMessage(decision) {
      const entry = waiting.get(decision.requestId);
      if (!entry) return;
      waiting.delete(decision.requestId);
      pool.done(decision.requestId);
      entry.resolve(decision);
    },
    onLost(requestIds) {
      for (const requestId of requestIds) fail(requestId, new GatewayError('policy_unavailable'));
    },
  });
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [requestId, entry] of waiting) {
      if (entry.deadline <= now) fail(requestId, new GatewayError('policy_unavailable', 'The gateway timed out waiting for its policy service.'));
    }
  }, SWEEP_MS);
  sweeper.unref();

  return {
    authorize(request: AuthorizeRequest): Promise<Decision> {
      return new Promise((resolve, reject) => {
        waiting.set(request.requestId, { resolve, reject, deadline: Date.now() + options.deadlineMs });
        try {
          pool.send(request.requestId, request);
        } catch {
          fail(request.requestId, new GatewayError('policy_unavailable'));
        }
      });
    },
    close() {
      clearInterval(sweeper);
      pool.close();
    },
  };
}
