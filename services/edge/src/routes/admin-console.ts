import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { GatewayError } from '@sluice/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// The admin console (packages/console) is a few static files built by Vite. They are read into memory
// once at start-up: the whole bundle is ~150 kB, and serving from memory needs no file-system access
// per request and no path joins that a crafted URL could escape.

export const CONSOLE_PREFIX = '/ui';

/** No inline script or style, nothing from another origin, no framing, no form posts elsewhere. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

// Vite names every file under assets/ after a hash of its content: such a file never changes.
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

interface ConsoleFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

/** The console's build output directory, wherever npm placed the workspace package. */
export function consoleDistDirectory(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@sluice/console/package.json')), 'dist');
  } catch {
    // Not installed (an image built without it): /ui then answers that the console is not built.
    return join(dirname(new URL(import.meta.url).pathname), 'console-not-installed');
  }
}

/**
 * Where the console is served from, or undefined when it is off: general_settings.disable_admin_ui in the
 * config file, or DISABLE_ADMIN_UI=true in the environment (the Helm chart's edge.adminUi: false).
 */
export function adminConsoleRoot(generalSettings: { disable_admin_ui?: boolean | undefined }, disableAdminUi: boolean): string | undefined {
  return generalSettings.disable_admin_ui === true || disableAdminUi ? undefined : consoleDistDirectory();
}

function readFiles(root: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  const walk = (directory: string) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const urlPath = relative(root, path).split(sep).join('/');
      const body = readFileSync(path);
      files.set(urlPath, {
        body,
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        cacheControl: urlPath.startsWith('assets/') ? IMMUTABLE : REVALIDATE,
      });
    }
  };
  try {
    walk(root);
  } catch {
    // Not built: /ui says so instead of the edge refusing to start.
  }
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: ConsoleFile) {
  reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cache-control', file.cacheControl)
    .header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.code(200).type(file.type).send(file.body);
}

/**
 * GET /ui, /ui/ and /ui/*: the console. Unknown paths outside assets/ get index.html (its pages are
 * hash routes, but a bookmarked /ui/keys should still open); a missing asset is a 404.
 */
export function adminConsoleRoutes(app: FastifyInstance, root: string): void {
  const files = readFiles(root);
  const index = files.get('index.html');
  const handler = async (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    if (!index) throw new GatewayError('not_found', 'The admin console is not built: run `npm run build`.');
    const path = request.params['*'] ?? '';
    const file = files.get(path);
    if (file) return send(request, reply, file);
    if (path.startsWith('assets/')) throw new GatewayError('not_found', `Unknown console file: ${path}`);
    return send(request, reply, index);
  };
  app.get(CONSOLE_PREFIX, handler);
  app.get(`${CONSOLE_PREFIX}/*`, handler);
}
