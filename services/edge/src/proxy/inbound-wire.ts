import { anthropicErrorBody, type ErrorCode, openAiErrorBody } from '@sluice/common';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error shape of the route's clients; OpenAI's when unset. */
    errorFormat?: ErrorFormat;
  }
}

export type ErrorFormat = 'openai' | 'anthropic';

/**
 * What differs between the inbound formats at the edge: the error body clients of the route read, and
 * how a stream ends. Events themselves come from the router already in the client's format.
 */
export interface InboundWire {
  errorFormat: ErrorFormat;
  /** Written after the last event of a stream that ended normally, if the format has such a marker. */
  done: Buffer | undefined;
  /** A terminal error event after the stream started. */
  streamError(code: ErrorCode, message: string): Buffer;
}

export const OPENAI_WIRE: InboundWire = {
  errorFormat: 'openai',
  done: Buffer.from('data: [DONE]\n\n'),
  streamError: (code, message) => Buffer.from(`data: ${JSON.stringify(openAiErrorBody(code, message))}\n\n`),
};

/** Anthropic Messages: message_stop ends a stream; an `error` event may follow a 200. */
export const ANTHROPIC_WIRE: InboundWire = {
  errorFormat: 'anthropic',
  done: undefined,
  streamError: (code, message) => Buffer.from(`event: error\ndata: ${JSON.stringify(anthropicErrorBody(code, message))}\n\n`),
};

/**
 * OpenAI Responses: response.completed (or .incomplete / .failed) ends a stream, without [DONE]; a
 * failure after the start is the API's own `error` event.
 */
export const RESPONSES_WIRE: InboundWire = {
  errorFormat: 'openai',
  done: undefined,
  streamError: (code, message) => Buffer.from(`event: error\ndata: ${JSON.stringify({ type: 'error', code, message, param: null, sequence_number: 0 })}\n\n`),
};

/** The error body for a route's clients. */
export function errorBodyFor(format: ErrorFormat | undefined, code: ErrorCode, message?: string, param: string | null = null): object {
  return format === 'anthropic' ? anthropicErrorBody(code, message) : openAiErrorBody(code, message, param);
}
