import { isSpace, locateModelMember, skipSpace } from '../openai-compatible/splice-openai-body.js';

/** The anthropic_version Vertex AI's Claude models take in the body. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

const VERSION_MEMBER = `"anthropic_version":${JSON.stringify(VERTEX_ANTHROPIC_VERSION)}`;
const OPEN_BRACE = 0x7b;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;

/**
 * The client's Messages bytes as Vertex takes them: the model is in the URL, so the `model` member is cut
 * out, and `anthropic_version` goes in first; every other byte (cache_control, thinking, documents, beta
 * fields) is the client's. Undefined when the bytes cannot be edited safely (the caller serializes).
 */
export function spliceVertexClaudeBody(raw: Buffer, body: Record<string, unknown>): Buffer | undefined {
  if (body.anthropic_version !== undefined) return undefined;
  const member = locateModelMember(raw, body);
  if (!member) return undefined;
  const open = skipSpace(raw, 0);
  if (raw[open] !== OPEN_BRACE) return undefined;
  let cutStart = member.keyStart;
  let cutEnd = skipSpace(raw, member.valueEnd);
  if (raw[cutEnd] === COMMA) cutEnd += 1;
  else {
    // The last member: the comma before it goes with it.
    let before = member.keyStart - 1;
    while (before > open && isSpace(raw[before])) before -= 1;
    if (raw[before] === COMMA) cutStart = before;
  }
  const rest = Buffer.concat([raw.subarray(open + 1, cutStart), raw.subarray(cutEnd)]);
  // Only the model was there: no comma after the version.
  const version = rest[skipSpace(rest, 0)] === CLOSE_BRACE ? VERSION_MEMBER : `${VERSION_MEMBER},`;
  return Buffer.concat([raw.subarray(0, open + 1), Buffer.from(version), rest]);
}

/** The parsed body as Vertex takes it, when the bytes could not be edited. */
export function vertexClaudeBody(body: Record<string, unknown>): Record<string, unknown> {
  const { model: _model, ...rest } = body;
  return { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest };
}
