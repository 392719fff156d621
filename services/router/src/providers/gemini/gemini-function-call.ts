// Gemini 3 can stream a function call's arguments: `{name, willContinue: true}` opens the call,
// `{partialArgs: [{jsonPath, stringValue | numberValue | boolValue | nullValue, willContinue}]}` parts
// fill it (string values arrive in pieces to be concatenated), and an empty `{}` closes it.

export interface GeminiPartialArg {
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: unknown;
}

export interface GeminiFunctionCall {
  id?: string;
  name?: string;
  args?: Record<string, unknown>;
  partialArgs?: GeminiPartialArg[];
  willContinue?: boolean;
}

/** `$.a.b[0].c` → ['a', 'b', 0, 'c']. */
function pathSegments(jsonPath: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]/g;
  for (const match of jsonPath.replace(/^\$/, '').matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3]!);
  }
  return segments;
}

/** Applies one partial argument to the arguments object being built. */
export function applyPartialArg(target: Record<string, unknown>, partial: GeminiPartialArg): void {
  const segments = pathSegments(partial.jsonPath ?? '$');
  if (segments.length === 0) return;
  let node: Record<string | number, unknown> = target;
  for (let index = 0; index < segments.length - 1; index += 1) {
    const key = segments[index]!;
    const child = ownValue(node, key);
    if (child === undefined || child === null || typeof child !== 'object') {
      setOwn(node, key, typeof segments[index + 1] === 'number' ? [] : {});
    }
    node = ownValue(node, key) as Record<string | number, unknown>;
  }
  const last = segments.at(-1)!;
  if (partial.stringValue !== undefined) {
    const existing = ownValue(node, last);
    setOwn(node, last, (typeof existing === 'string' ? existing : '') + partial.stringValue);
  } else if (partial.numberValue !== undefined) setOwn(node, last, partial.numberValue);
  else if (partial.boolValue !== undefined) setOwn(node, last, partial.boolValue);
  else if ('nullValue' in partial) setOwn(node, last, null);
}

// The path comes from model output: "__proto__" or "constructor" in it names an argument, never the
// object's prototype.
function ownValue(node: Record<string | number, unknown>, key: string | number): unknown {
  return Object.hasOwn(node, key) ? node[key] : undefined;
}

function setOwn(node: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}
