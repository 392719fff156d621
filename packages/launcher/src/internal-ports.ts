import { createServer, type Server } from 'node:net';

// The launcher's children find each other by port, so the ports must be known before they start. With
// fixed defaults a second `npm start` on the same host (another --port) collided on them; the launcher
// owns these ports instead: any not set in the environment is a free one, picked here.
export const INTERNAL_PORT_VARIABLES = [
  'SLUICE_EDGE_METRICS_PORT',
  'SLUICE_POLICY_PORT',
  'SLUICE_POLICY_HTTP_PORT',
  'SLUICE_ROUTER_PORT',
  'SLUICE_ROUTER_HTTP_PORT',
  'SLUICE_ACCOUNTING_PORT',
  'SLUICE_ACCOUNTING_HTTP_PORT',
] as const;

function listenOnFreePort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

/**
 * Sets every internal port variable that is unset to a free port on `host`. All are held open together
 * so they differ; another program could still take one before the child binds it, a race the child
 * reports in one readable line.
 */
export async function assignInternalPorts(env: NodeJS.ProcessEnv, host = '127.0.0.1'): Promise<string[]> {
  const missing = INTERNAL_PORT_VARIABLES.filter((name) => env[name] === undefined || env[name] === '');
  const servers = await Promise.all(missing.map(() => listenOnFreePort(host)));
  missing.forEach((name, index) => {
    const address = servers[index]!.address();
    env[name] = String(typeof address === 'object' && address ? address.port : 0);
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return missing;
}

/**
 * Rejects with the listen error when the API port is taken. Checked before any child starts: otherwise
 * the launcher's readiness probe would find the other gateway on that port and call this one ready.
 */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const server = await new Promise<Server>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => resolve(probe));
  });
  await new Promise((resolve) => server.close(resolve));
}
