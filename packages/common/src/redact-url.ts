// Backend URLs carry passwords (redis://:secret@host, nats://user:secret@host, postgres://...): any URL
// that goes into a log line goes through this first.

/** The URL without its user info; a comma-separated list (NATS servers) URL by URL. */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((part) => {
      try {
        const parsed = new URL(part.trim());
        if (parsed.username === '' && parsed.password === '') return part;
        parsed.username = '';
        parsed.password = '';
        return parsed.toString();
      } catch {
        // Not parseable as a URL: drop anything that looks like user info all the same.
        return part.replace(/\/\/[^/@]*@/, '//');
      }
    })
    .join(',');
}
