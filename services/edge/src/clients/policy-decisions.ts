import { Client } from '@grpc/grpc-js';
import {
  channelUsable,
  encodeMessage,
  passEncodedBytes,
  GatewayError,
  GRPC_STREAM_CHANNEL_OPTIONS,
  type InternalAuth,
  StreamPool,
  UnencodableMessageError,
} from '@sluice/common';
import { AuthorizeRequest, type Decision, PolicyService } from '@sluice/proto';

const AUTHORIZE_STREAM = PolicyService.authorizeStream;

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
  auth: InternalAuth;
  /** Called for a request whose decision will not be used (deadline passed, stream lost): policy gives back its holds. */
  abandon(requestId: string): void;
  /** Policy recalled these leases (a message of its own on the stream). */
  recall(leaseIds: string[]): void;
}

const SWEEP_MS = 25;

/**
 * Authorize over policy's AuthorizeStream: each decision is one message out and one back on a
 * long-lived stream, matched by request id. One timer checks every deadline, instead of one per call.
 */
export function createPolicyDecisions(options: PolicyDecisionsOptions) {
  const waiting = new Map<string, Waiting>();
  const fail = (requestId: string, error: GatewayError, sent = true) => {
    const entry = waiting.get(requestId);
    if (!entry) return;
    waiting.delete(requestId);
    pool.done(requestId);
    entry.reject(error);
    // Policy may have reserved for it already, or be about to: tell it the decision goes unused.
    if (sent) options.abandon(requestId);
  };
  const pool: StreamPool<AuthorizeRequest, Decision> = new StreamPool<AuthorizeRequest, Decision>({
    size: options.streams,
    rotateAfterMs: options.rotateAfterMs,
    connect() {
      const client = new Client(options.address, options.auth.credentials(), {
        ...GRPC_STREAM_CHANNEL_OPTIONS,
        interceptors: options.auth.interceptors(),
      });
      return {
        open: () => client.makeBidiStreamRequest(AUTHORIZE_STREAM.path, passEncodedBytes, AUTHORIZE_STREAM.responseDeserialize),
        usable: () => channelUsable(client),
        close: () => client.close(),
      };
    },
    encode: (request) => encodeMessage(AuthorizeRequest, request),
    isDrainNotice: (decision) => decision.requestId === '' && decision.recalledLeaseIds.length === 0,
    onMessage(decision) {
      if (decision.recalledLeaseIds.length > 0) return options.recall(decision.recalledLeaseIds);
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
        } catch (error) {
          // Nothing was sent, so nothing was reserved.
          if (error instanceof UnencodableMessageError) {
            fail(request.requestId, new GatewayError('invalid_request', 'The request has a value out of range for the gateway.'), false);
          } else {
            fail(request.requestId, new GatewayError('policy_unavailable'), false);
          }
        }
      });
    },
    close() {
      clearInterval(sweeper);
      pool.close();
    },
  };
}
