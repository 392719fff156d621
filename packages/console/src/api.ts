// The console's one way to the gateway: same origin, the admin key as a bearer token, OpenAI-shaped
// errors turned into exceptions whose message is the gateway's own.
import { signedInKey } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function call<T>(method: 'GET' | 'POST', path: string, options: { query?: Query; body?: unknown; key?: string }): Promise<T> {
  const key = options.key ?? signedInKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'The gateway could not be reached.', undefined);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body as { error?: { message?: string; code?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.message ?? `HTTP ${response.status}`, error?.code);
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, query?: Query, key?: string) => call<T>('GET', path, { query, key }),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, { body }),
};
