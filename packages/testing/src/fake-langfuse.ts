import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { SHARED_DIR } from './repository-paths.js';

// A local stand-in for Langfuse's OpenTelemetry endpoint (POST /api/public/otel/v1/traces): it checks
// Basic auth, checks every body against Langfuse's published API description (the OpenAPI file and the
// fern definitions it is generated from, in ../shared/specs), records what it accepted, and can be told
// to fail for a while.

const SPECS_DIR = join(SHARED_DIR, 'specs');
const OTEL_PATH = '/api/public/otel/v1/traces';

type Validate = (body: unknown) => string[];

/**
 * OpenAPI 3.0's `nullable: true` in JSON Schema terms: `null` joins the allowed types (next to a `$ref`,
 * as an alternative), and a schema without a type already allows null.
 */
function withoutNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutNullable);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, withoutNullable(value)]));
  if (nullable !== true) return out;
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  if (typeof out.$ref === 'string') {
    const { $ref, ...others } = out;
    return { ...others, anyOf: [{ $ref }, { type: 'null' }] };
  }
  return out;
}

/** Validates a body against the OpenAPI request schema of the OTLP endpoint. */
function openApiValidator(): Validate {
  const spec = parse(readFileSync(join(SPECS_DIR, 'langfuse-openapi.yml'), 'utf8'), { maxAliasCount: -1 }) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, { schema: object }> } } }>;
    components: object;
  };
  const schema = spec.paths[OTEL_PATH]!.post.requestBody.content['application/json']!.schema;
  const ajv = new Ajv({ strict: false, allErrors: true, formats: { double: true } });
  const validate = ajv.compile(withoutNullable({ ...schema, components: spec.components }) as object);
  return (body) => (validate(body) ? [] : (validate.errors ?? []).map((error) => `openapi ${error.instancePath || '/'} ${error.message ?? ''}`));
}

type FernProperty = string | { type: string };
interface FernDefinitions {
  types: Record<string, { properties: Record<string, FernProperty> }>;
  service: { endpoints: { exportTraces: { request: { body: { properties: Record<string, FernProperty> } } } } };
}

/**
 * Validates against the fern definitions, more strictly than the OpenAPI file (which allows any extra
 * property): every object may only carry the properties its fern type declares, with their types.
 */
function fernValidator(): Validate {
  const fern = parse(readFileSync(join(SPECS_DIR, 'langfuse-fern-opentelemetry.yml'), 'utf8')) as FernDefinitions;
  const typeOf = (property: FernProperty) => (typeof property === 'string' ? property : property.type);

  const check = (value: unknown, type: string, path: string, errors: string[]): void => {
    const generic = /^(optional|list)<(.+)>$/.exec(type);
    if (generic) {
      if (generic[1] === 'optional') {
        if (value !== undefined && value !== null) check(value, generic[2]!, path, errors);
        return;
      }
      if (!Array.isArray(value)) errors.push(`fern ${path} must be a list`);
      else value.forEach((item, index) => check(item, generic[2]!, `${path}[${index}]`, errors));
      return;
    }
    switch (type) {
      case 'unknown':
        return;
      case 'string':
        if (typeof value !== 'string') errors.push(`fern ${path} must be a string`);
        return;
      case 'integer':
        if (!Number.isInteger(value)) errors.push(`fern ${path} must be an integer`);
        return;
      case 'double':
        if (typeof value !== 'number') errors.push(`fern ${path} must be a number`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') errors.push(`fern ${path} must be a boolean`);
        return;
    }
    const definition = fern.types[type];
    if (!definition) {
      errors.push(`fern ${path}: unknown type ${type}`);
      return;
    }
    checkObject(value, definition.properties, path, errors);
  };

  const checkObject = (value: unknown, properties: Record<string, FernProperty>, path: string, errors: string[]) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      errors.push(`fern ${path} must be an object`);
      return;
    }
    for (const [name, item] of Object.entries(value)) {
      const property = properties[name];
      if (!property) errors.push(`fern ${path}.${name} is not a declared property`);
      else check(item, typeOf(property), `${path}.${name}`, errors);
    }
  };

  const body = fern.service.endpoints.exportTraces.request.body.properties;
  return (value) => {
    const errors: string[] = [];
    checkObject(value, body, 'body', errors);
    return errors;
  };
}

/** Both validators; an empty list means the body is what Langfuse documents. */
export function langfuseOtlpValidator(): Validate {
  const openApi = openApiValidator();
  const fern = fernValidator();
  return (body) => [...openApi(body), ...fern(body)];
}

export interface LangfuseBatch {
  headers: IncomingHttpHeaders;
  body: {
    resourceSpans: Array<{
      resource?: { attributes?: Array<{ key: string; value: Record<string, unknown> }> };
      scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; name: string; attributes: Array<{ key: string; value: Record<string, unknown> }>; status?: { code?: number } }> }>;
    }>;
  };
}

export interface FakeLangfuse {
  url: string;
  /** Accepted exports, in arrival order. */
  batches: LangfuseBatch[];
  /** Requests refused: wrong auth, invalid body, or a programmed failure. */
  refused: Array<{ status: number; reason: string }>;
  /** Bodies that did not match the spec (also answered 400). */
  invalid: string[][];
  /** Answer every request with this status until told otherwise (undefined = accept). */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export async function startFakeLangfuse(options: { publicKey: string; secretKey: string }): Promise<FakeLangfuse> {
  const validate = langfuseOtlpValidator();
  const expected = `Basic ${Buffer.from(`${options.publicKey}:${options.secretKey}`).toString('base64')}`;
  const batches: LangfuseBatch[] = [];
  const refused: FakeLangfuse['refused'] = [];
  const invalid: string[][] = [];
  let failure: number | undefined;
  const sockets = new Set<Socket>();

  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const answer = (status: number, body: unknown, reason?: string) => {
        if (reason) refused.push({ status, reason });
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'POST' || request.url !== OTEL_PATH) return answer(404, { message: 'not found' }, `${request.method} ${request.url}`);
      if (request.headers.authorization !== expected) return answer(401, { message: 'Invalid credentials' }, 'auth');
      if (failure !== undefined) return answer(failure, { message: 'programmed failure' }, 'programmed');
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return answer(415, { message: 'json only' }, 'content-type');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        return answer(400, { message: 'invalid json' }, 'json');
      }
      const errors = validate(body);
      if (errors.length > 0) {
        invalid.push(errors);
        return answer(400, { message: errors.join('; ') }, 'schema');
      }
      batches.push({ headers: request.headers, body: body as LangfuseBatch['body'] });
      answer(200, {});
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    batches,
    refused,
    invalid,
    failWith(status) {
      failure = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Every span the fake accepted, with its attributes as a plain object. */
export function acceptedSpans(fake: FakeLangfuse) {
  return fake.batches.flatMap((batch) =>
    batch.body.resourceSpans.flatMap((resource) =>
      (resource.scopeSpans ?? []).flatMap((scope) =>
        (scope.spans ?? []).map((span) => ({
          ...span,
          attributeMap: Object.fromEntries(span.attributes.map((attribute) => [attribute.key, Object.values(attribute.value)[0]])),
        })),
      ),
    ),
  );
}
