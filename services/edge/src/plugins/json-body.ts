import { isUtf8 } from 'node:buffer';
import { GatewayError } from '@sluice/common';
import type { FastifyInstance } from 'fastify';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../openai/json-nesting.js';

// A client that sends an oversized body is still writing when the answer is ready; if we closed the
// connection it would see a broken pipe instead of the 413. So the rest is read and thrown away (nothing
// is kept in memory), up to this much; past it the connection is cut.
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Every POST body is JSON, whatever content-type the client claims (curl -d sends form encoding). The
 * bytes are kept so the router receives exactly what the client sent.
 */
export function jsonBody(app: FastifyInstance, limitBytes: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    const parts: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(request.headers['content-length']) > limitBytes;
    payload.on('data', (part: Buffer) => {
      size += part.length;
      if (size > limitBytes) tooLarge = true;
      if (!tooLarge) parts.push(part);
      else parts.length = 0;
      if (size > DISCARD_LIMIT_BYTES) payload.destroy();
    });
    payload.on('error', () => done(new GatewayError('body_too_large'), undefined));
    payload.on('end', () => {
      if (tooLarge) {
        done(new GatewayError('body_too_large', `The request body is larger than ${limitBytes} bytes.`), undefined);
        return;
      }
      if (size === 0) {
        done(new GatewayError('invalid_json', 'The request body is empty.'), undefined);
        return;
      }
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      // The router forwards these very bytes: a lossy decode here would validate one text and send
      // another. JSON is UTF-8 (RFC 8259); isUtf8 is a native check.
      if (!isUtf8(bytes)) {
        done(new GatewayError('invalid_json', 'The request body is not valid UTF-8.'), undefined);
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        done(new GatewayError('invalid_json'), undefined);
        return;
      }
      if (jsonNestingExceeds(bytes, parsed)) {
        done(new GatewayError('invalid_request', `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep.`), undefined);
        return;
      }
      request.rawBody = bytes;
      done(null, parsed);
    });
  });
}
