import type { ServiceDefinition } from '@grpc/grpc-js';

// grpc-js serializes a message inside the call, and when the serializer throws it ends the whole call
// with INTERNAL. On a multiplexed stream that call carries every request of its connection, so one
// message with a value protobuf cannot hold (a uint32 above 2^32 - 1) would fail all of them. The
// stream methods therefore carry bytes that the sender encoded itself, where a failure is caught and
// belongs to one request only.

/** Thrown by `encodeMessage` for a message that protobuf cannot encode; names the cause. */
export class UnencodableMessageError extends Error {
  constructor(cause: unknown) {
    super(`message cannot be encoded: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'UnencodableMessageError';
  }
}

export interface MessageCodec<Message> {
  encode(message: Message): { finish(): Uint8Array };
}

/** The message's bytes, or an UnencodableMessageError. */
export function encodeMessage<Message>(codec: MessageCodec<Message>, message: Message): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(message).finish();
  } catch (error) {
    throw new UnencodableMessageError(error);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const passThrough = (bytes: Buffer): Buffer => bytes;

/**
 * The service definition with one method's responses passed through as bytes the handler encoded with
 * `encodeMessage`. Clients see no difference; the client side of such a stream is opened with
 * `Client.makeBidiStreamRequest` and the same pass-through serializer.
 */
export function preEncodedResponses(definition: ServiceDefinition, method: string): ServiceDefinition {
  const original = definition[method];
  if (!original) throw new Error(`service has no method ${method}`);
  return { ...definition, [method]: { ...original, responseSerialize: passThrough } };
}

export { passThrough as passEncodedBytes };
