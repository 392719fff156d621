// The body an OpenAI-compatible provider gets is the client's with our model name (and, for streams,
// usage asked for). When the client's bytes allow it, only the model's value is replaced in them: no
// copy of the parsed body, no JSON.stringify, and the provider gets the bytes the client sent.

const MODEL_KEY = Buffer.from('"model"');
const STREAM_OPTIONS = Buffer.from(',"stream_options":{"include_usage":true}');
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;

export function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export function skipSpace(raw: Buffer, index: number): number {
  while (isSpace(raw[index])) index += 1;
  return index;
}

/** Where the one top-level `"model"` member sits in the client's bytes. */
export interface ModelMember {
  keyStart: number;
  valueStart: number;
  valueEnd: number;
}

/**
 * The `"model"` member of `raw` (already parsed as `body`), or undefined when the bytes cannot be edited
 * safely. Safe means: exactly one `"model"` key in the bytes, no `\u00XX` escape anywhere (so the
 * top-level key cannot be spelled some other way), and its value written exactly as JSON.stringify
 * writes the parsed one.
 */
export function locateModelMember(raw: Buffer, body: Record<string, unknown>): ModelMember | undefined {
  const current = body.model;
  if (typeof current !== 'string') return undefined;
  if (raw.indexOf('\\u00') !== -1) return undefined;
  // A real quote cannot follow a backslash outside a string in valid JSON, and inside one every quote is
  // escaped: each unescaped `"model"` followed by a colon is a key named model.
  let keyStart = -1;
  let valueStart = -1;
  for (let at = raw.indexOf(MODEL_KEY); at !== -1; at = raw.indexOf(MODEL_KEY, at + MODEL_KEY.length)) {
    if (at > 0 && raw[at - 1] === BACKSLASH) continue;
    const colon = skipSpace(raw, at + MODEL_KEY.length);
    if (raw[colon] !== COLON) continue;
    if (valueStart !== -1) return undefined;
    keyStart = at;
    valueStart = skipSpace(raw, colon + 1);
  }
  if (valueStart === -1) return undefined;
  const written = JSON.stringify(current);
  const valueEnd = valueStart + Buffer.byteLength(written);
  if (raw.toString('utf8', valueStart, valueEnd) !== written) return undefined;
  const after = raw[skipSpace(raw, valueEnd)];
  if (after !== COMMA && after !== CLOSE_BRACE) return undefined;
  return { keyStart, valueStart, valueEnd };
}

/**
 * The client's body (`raw`, already parsed as `body`) with `model` as its model, and for a stream with
 * `stream_options.include_usage` added when absent; undefined when the bytes cannot be spliced safely
 * (see locateModelMember; the caller then serializes the parsed body).
 */
export function spliceOpenAiBody(raw: Buffer, body: Record<string, unknown>, model: string, stream: boolean, gatewayFields: readonly string[]): Buffer | undefined {
  for (const field of gatewayFields) if (field in body) return undefined;
  let addStreamOptions = false;
  if (stream) {
    const options = body.stream_options;
    if (options === undefined) addStreamOptions = true;
    else if (typeof options !== 'object' || options === null || (options as { include_usage?: unknown }).include_usage !== true) return undefined;
  }
  const member = locateModelMember(raw, body);
  if (!member) return undefined;
  const { valueStart, valueEnd } = member;

  const replacement = Buffer.from(JSON.stringify(model));
  if (!addStreamOptions) return Buffer.concat([raw.subarray(0, valueStart), replacement, raw.subarray(valueEnd)]);
  // Added last, where spreading the parsed body would have put it.
  let end = raw.length - 1;
  while (end > valueEnd && isSpace(raw[end])) end -= 1;
  if (raw[end] !== CLOSE_BRACE) return undefined;
  return Buffer.concat([raw.subarray(0, valueStart), replacement, raw.subarray(valueEnd, end), STREAM_OPTIONS, raw.subarray(end)]);
}
