import { Client } from '@grpc/grpc-js';
import {
  channelUsable,
  encodeMessage,
  GatewayError,
  GRPC_STREAM_CHANNEL_OPTIONS,
  type InternalAuth,
  isErrorCode,
  passEncodedBytes,
  StreamPool,
  UnencodableMessageError,
} from '@sluice/common';
import { type CompletePart, type CompleteRequest, type CompleteStreamParts, CompleteStreamRequest, RouterService } from '@sluice/proto';

const COMPLETE_STREAM = RouterService.completeStream;

/** One request's parts as they arrive; `cancel` aborts it at the router (and the provider). */
export interface RouterCall extends AsyncIterable<CompletePart> {
  cancel(): void;
}

export interface RouterCallsOptions {
  address: string;
  streams: number;
  rotateAfterMs: number;
  auth: InternalAuth;
}

/** Parts waiting to be read by one request, in order, then its end or its error. */
class PartQueue implements RouterCall {
  private readonly parts: CompletePart[] = [];
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly onCancel: () => void) {}

  push(parts: CompletePart[], last: boolean): void {
    for (const part of parts) {
      const value = part.part;
      if (value?.$case === 'failure') {
        const { code, message, retryAfterSeconds, param } = value.failure;
        this.fail(
          new GatewayError(isErrorCode(code) ? code : 'upstream_error', message || undefined, {
            ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
            ...(param ? { param } : {}),
          }),
        );
        return;
      }
      this.parts.push(part);
    }
    if (last) this.ended = true;
    this.notify();
  }

  fail(error: Error): void {
    if (this.ended || this.error) return;
    this.error = error;
    this.notify();
  }

  cancel(): void {
    if (this.ended || this.error) return;
    this.onCancel();
    this.fail(new Error('cancelled'));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CompletePart> {
    let index = 0;
    for (;;) {
      while (index < this.parts.length) yield this.parts[index++]!;
      if (this.error) throw this.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

/** Complete over the router's CompleteStream: every request a message on a long-lived stream. */
export function createRouterCalls(options: RouterCallsOptions) {
  const calls = new Map<string, PartQueue>();
  const pool: StreamPool<CompleteStreamRequest, CompleteStreamParts> = new StreamPool<CompleteStreamRequest, CompleteStreamParts>({
    size: options.streams,
    rotateAfterMs: options.rotateAfterMs,
    connect() {
      const client = new Client(options.address, options.auth.credentials(), {
        ...GRPC_STREAM_CHANNEL_OPTIONS,
        interceptors: options.auth.interceptors(),
      });
      return {
        open: () => client.makeBidiStreamRequest(COMPLETE_STREAM.path, passEncodedBytes, COMPLETE_STREAM.responseDeserialize),
        usable: () => channelUsable(client),
        close: () => client.close(),
      };
    },
    encode: (message) => encodeMessage(CompleteStreamRequest, message),
    isDrainNotice: (message) => message.requestId === '',
    onMessage(message) {
      const call = calls.get(message.requestId);
      if (!call) return;
      call.push(message.parts, message.last);
      if (message.last) {
        calls.delete(message.requestId);
        pool.done(message.requestId);
      }
    },
    onLost(requestIds) {
      for (const requestId of requestIds) {
        calls.get(requestId)?.fail(new GatewayError('router_unavailable'));
        calls.delete(requestId);
      }
    },
  });

  return {
    complete(request: CompleteRequest): RouterCall {
      const requestId = request.requestId;
      const call = new PartQueue(() => {
        pool.sendFollowUp(requestId, { kind: { $case: 'cancelRequestId', cancelRequestId: requestId } });
        calls.delete(requestId);
        pool.done(requestId);
      });
      calls.set(requestId, call);
      try {
        pool.send(requestId, { kind: { $case: 'start', start: request } });
      } catch (error) {
        calls.delete(requestId);
        call.fail(
          error instanceof UnencodableMessageError
            ? new GatewayError('invalid_request', 'The request has a value out of range for the gateway.')
            : new GatewayError('router_unavailable'),
        );
      }
      return call;
    },
    close() {
      pool.close();
    },
  };
}
