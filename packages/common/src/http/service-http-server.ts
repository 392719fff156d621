import { createServer, type Server } from 'node:http';

export interface ServiceHttpServerOptions {
  host: string;
  port: number;
  /** Readiness: true when the service can do its work (its own dependencies answer). */
  ready(): boolean | Promise<boolean>;
  /** Prometheus text exposition, when the service has metrics. */
  metrics?(): Promise<string>;
}

export interface RunningHttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The small HTTP side of a gRPC service: liveness (never depends on a backend), readiness, and metrics,
 * on their own port so probes and scrapes never queue behind request traffic.
 */
export async function startServiceHttpServer(options: ServiceHttpServerOptions): Promise<RunningHttpServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      response.end(body);
    };
    if (path === '/health/liveliness' || path === '/health/liveness') {
      send(200, '"I\'m alive!"');
      return;
    }
    if (path === '/health/readiness') {
      Promise.resolve(options.ready()).then(
        (ok) => send(ok ? 200 : 503, JSON.stringify({ status: ok ? 'healthy' : 'unhealthy' })),
        () => send(503, JSON.stringify({ status: 'unhealthy' })),
      );
      return;
    }
    if (path === '/metrics' && options.metrics) {
      options.metrics().then(
        (text) => send(200, text, 'text/plain; version=0.0.4; charset=utf-8'),
        () => send(500, ''),
      );
      return;
    }
    send(404, JSON.stringify({ error: { message: 'Not found.', type: 'invalid_request_error', param: null, code: 'not_found' } }));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
