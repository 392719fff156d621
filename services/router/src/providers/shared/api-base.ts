/** Splits a configured api_base into origin and path prefix, without a trailing slash. */
export function splitApiBase(apiBase: string): { origin: string; basePath: string } {
  const url = new URL(apiBase);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}
