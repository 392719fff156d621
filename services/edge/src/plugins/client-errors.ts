import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type ErrorCode, errorSpec, openAiErrorBody } from '@sluice/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

// Errors Fastify (or Node's HTTP parser) answers before a route or the error handler ever runs: a
// request line or headers that cannot be parsed, headers too large, a client too slow, a URL that
// cannot be decoded. They get the same OpenAI body as every other error.

function clientErrorCode(error: NodeJS.ErrnoException): { code: ErrorCode; message?: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW') return { code: 'headers_too_large' };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') return { code: 'request_timeout' };
  return { code: 'invalid_request', message: 'The request is not valid HTTP.' };
}

/** Fastify's clientErrorHandler: the socket is all there is, so the response is written by hand. */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer (as in Node's and Fastify's own handlers).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { code, message } = clientErrorCode(error);
    const status = errorSpec(code).http;
    const body = JSON.stringify(openAiErrorBody(code, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Fastify's frameworkErrors: a URL that cannot be decoded, a path parameter too long. */
export function frameworkErrors(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_BAD_URL' ? 'The request URL is not valid.' : 'The request URL is too long.';
  request.errorCode = 'invalid_request';
  void reply.code(400).type('application/json').send(openAiErrorBody('invalid_request', message));
}
