// Postgres text and jsonb cannot hold U+0000. A client chooses some of the strings a usage event carries
// (`user`, tags, metadata), and a batch travels as one json or jsonb parameter, so one NUL would make Postgres
// refuse the whole batch, and with it the spend of every request in it. JSON.stringify writes NUL as the
// escape \u0000; a backslash escaped before "u0000" is text, not that escape, so only an odd run counts.
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** A value as the JSON text of a json or jsonb query parameter, without the NULs Postgres refuses. */
export function jsonbParameter(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replace(NUL_ESCAPE, '$1') : json;
}
