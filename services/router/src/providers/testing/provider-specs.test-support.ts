// Validators for request bodies built from the providers' own published definitions in ../shared/specs:
// OpenAI's OpenAPI document, Bedrock Runtime's Smithy model and Gemini's protos.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '@sluice/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const SPECS = join(SHARED_DIR, 'specs');

/** OpenAPI 3.1 that still says `nullable: true`: rewrite to type arrays so Ajv 2020 reads it. */
function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (key !== 'nullable') out[key] = rewriteNullable(value);
  if ((node as { nullable?: boolean }).nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (!out.type) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

let openAiAjv: Ajv2020 | undefined;

/** Errors of `body` against an OpenAI request schema (components.schemas.<name>); empty when valid. */
export function openAiSchemaErrors(schemaName: string, body: unknown): string[] {
  if (!openAiAjv) {
    const document = rewriteNullable(parse(readFileSync(join(SPECS, 'openai-openapi.yaml'), 'utf8'))) as Record<string, unknown>;
    openAiAjv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    openAiAjv.addSchema({ $id: 'openai', components: document.components }, 'openai');
  }
  const validate = openAiAjv.getSchema(`openai#/components/schemas/${schemaName}`)!;
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

interface SmithyShape {
  type: string;
  members?: Record<string, { target: string; traits?: Record<string, unknown> }>;
  member?: { target: string };
  value?: { target: string };
}

let smithy: Record<string, SmithyShape> | undefined;

/** Errors of `value` against a Bedrock Runtime shape (HTTP-bound members such as modelId are not in bodies). */
export function bedrockShapeErrors(shapeId: string, value: unknown, path = ''): string[] {
  smithy ??= (JSON.parse(readFileSync(join(SPECS, 'bedrock-runtime.smithy.json'), 'utf8')) as { shapes: Record<string, SmithyShape> }).shapes;
  const id = shapeId.includes('#') ? shapeId : `com.amazonaws.bedrockruntime#${shapeId}`;
  const prelude: Record<string, string> = {
    'smithy.api#String': 'string',
    'smithy.api#Integer': 'integer',
    'smithy.api#Long': 'long',
    'smithy.api#Float': 'double',
    'smithy.api#Double': 'double',
    'smithy.api#Boolean': 'boolean',
    'smithy.api#Document': 'document',
    'smithy.api#Blob': 'blob',
  };
  const shape: SmithyShape = smithy[id] ?? { type: prelude[id] ?? 'unknown' };
  const fail = (message: string) => [`${path || '/'}: ${message}`];
  switch (shape.type) {
    case 'structure':
    case 'union': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return fail(`expected an object for ${id}`);
      const members = shape.members ?? {};
      const errors: string[] = [];
      const keys = Object.keys(value);
      if (shape.type === 'union' && keys.length !== 1) errors.push(`${path}: a ${id} union needs exactly one member, got ${keys.join(',')}`);
      for (const key of keys) {
        const member = members[key];
        if (!member || member.traits?.['smithy.api#httpLabel']) errors.push(`${path}/${key}: not a member of ${id}`);
        else errors.push(...bedrockShapeErrors(member.target, (value as Record<string, unknown>)[key], `${path}/${key}`));
      }
      for (const [key, member] of Object.entries(members)) {
        if (member.traits?.['smithy.api#required'] && !member.traits['smithy.api#httpLabel'] && !(key in value)) errors.push(`${path}/${key}: required by ${id}`);
      }
      return errors;
    }
    case 'list':
      if (!Array.isArray(value)) return fail(`expected a list for ${id}`);
      return value.flatMap((item, index) => bedrockShapeErrors(shape.member!.target, item, `${path}/${index}`));
    case 'map':
      if (!value || typeof value !== 'object') return fail(`expected a map for ${id}`);
      return Object.entries(value).flatMap(([key, item]) => bedrockShapeErrors(shape.value!.target, item, `${path}/${key}`));
    case 'string':
    case 'enum':
    case 'blob':
      return typeof value === 'string' ? [] : fail(`expected a string for ${id}`);
    case 'integer':
    case 'long':
      return Number.isInteger(value) ? [] : fail(`expected an integer for ${id}`);
    case 'double':
    case 'float':
      return typeof value === 'number' ? [] : fail(`expected a number for ${id}`);
    case 'boolean':
      return typeof value === 'boolean' ? [] : fail(`expected a boolean for ${id}`);
    case 'document':
      return [];
    default:
      return fail(`unknown shape ${id}`);
  }
}

interface ProtoField {
  type: string;
  repeated: boolean;
}

let protoMessages: Map<string, Map<string, ProtoField>> | undefined;
let protoEnums: Set<string> | undefined;

function loadProtos(): void {
  protoMessages = new Map();
  protoEnums = new Set();
  const dir = join(SPECS, 'gemini-proto');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.proto'))) {
    const text = readFileSync(join(dir, file), 'utf8').replace(/\/\/.*$/gm, '');
    const stack: Array<{ kind: string; name: string }> = [];
    for (const token of text.matchAll(/(message|enum|oneof)\s+(\w+)\s*\{|\{|\}|((?:repeated|optional)\s+)?(map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+/g)) {
      if (token[0] === '{') {
        // Option values, service bodies: nothing in them is a field.
        stack.push({ kind: 'block', name: '' });
        continue;
      }
      if (token[1]) {
        stack.push({ kind: token[1], name: token[2]! });
        if (token[1] === 'message') protoMessages.set(token[2]!, protoMessages.get(token[2]!) ?? new Map());
        if (token[1] === 'enum') protoEnums.add(token[2]!);
        continue;
      }
      if (token[0] === '}') {
        stack.pop();
        continue;
      }
      const innermost = stack.at(-1);
      if (!innermost || (innermost.kind !== 'message' && innermost.kind !== 'oneof')) continue;
      const owner = [...stack].reverse().find((entry) => entry.kind === 'message')!;
      const camel = token[5]!.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
      protoMessages.get(owner.name)!.set(camel, { type: token[4]!.split('.').at(-1)!, repeated: (token[3] ?? '').trim() === 'repeated' });
    }
  }
}

/** Errors of `value` against a Gemini proto message in its REST JSON form (lowerCamelCase fields). */
export function geminiMessageErrors(message: string, value: unknown, path = ''): string[] {
  if (!protoMessages) loadProtos();
  const fields = protoMessages!.get(message);
  if (!fields) return [`${path}: unknown message ${message}`];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${path || '/'}: expected an object for ${message}`];
  const errors: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    const field = fields.get(key);
    if (!field) {
      errors.push(`${path}/${key}: not a field of ${message}`);
      continue;
    }
    const items = field.repeated ? (Array.isArray(item) ? item : null) : [item];
    if (!items) {
      errors.push(`${path}/${key}: expected a list`);
      continue;
    }
    for (const [index, element] of items.entries()) {
      const at = field.repeated ? `${path}/${key}/${index}` : `${path}/${key}`;
      if (protoMessages!.has(field.type)) errors.push(...geminiMessageErrors(field.type, element, at));
      else if (protoEnums!.has(field.type) && typeof element !== 'string') errors.push(`${at}: expected an enum name`);
    }
  }
  return errors;
}
