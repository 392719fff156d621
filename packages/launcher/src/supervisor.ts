import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Logger, SERVICE_NODE_FLAGS } from '@sluice/common';

const SERVICES = ['policy', 'router', 'accounting', 'edge'] as const;
type ServiceName = (typeof SERVICES)[number];

const STABLE_AFTER_MS = 10_000;
const RESTART_DELAY_MS = 1_000;
const READY_TIMEOUT_MS = 60_000;

function entryPoint(service: ServiceName): string {
  return fileURLToPath(import.meta.resolve(`@sluice/${service}/main`));
}

/**
 * Runs the four services as child processes. Before the gateway is ready, any child that exits ends the
 * whole run (a bad config must stop start-up, not loop); after that, a crashed child is restarted.
 * SIGINT/SIGTERM are passed on and the supervisor exits once every child has; SIGHUP is passed on.
 */
export async function supervise(env: NodeJS.ProcessEnv, edgeUrl: string, logger: Logger): Promise<void> {
  const children = new Map<ServiceName, ChildProcess>();
  let stopping = false;
  let ready = false;

  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children.values()) child.kill('SIGTERM');
    const wait = [...children.values()].map(
      (child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))),
    );
    void Promise.all(wait).then(() => process.exit(code));
  };

  const start = (service: ServiceName) => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, entryPoint(service)], { env, stdio: 'inherit' });
    children.set(service, child);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      if (!ready) {
        logger.error({ service, code, signal }, 'a service exited during start-up; stopping');
        stopAll(1);
        return;
      }
      const quick = Date.now() - startedAt < STABLE_AFTER_MS;
      logger.error({ service, code, signal }, `service exited; restarting in ${quick ? 5 : 1}s`);
      setTimeout(() => !stopping && start(service), quick ? 5 * RESTART_DELAY_MS : RESTART_DELAY_MS);
    });
  };

  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  // SIGHUP reloads the config in every service (they also watch the file); unhandled, it would end this process.
  process.on('SIGHUP', () => {
    for (const child of children.values()) child.kill('SIGHUP');
  });
  for (const service of SERVICES) start(service);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!stopping && Date.now() < deadline) {
    const ok = await fetch(`${edgeUrl}/health/readiness`).then((response) => response.ok, () => false);
    if (ok) {
      ready = true;
      logger.info(`Sluice is ready: ${edgeUrl}/v1`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!stopping) {
    logger.error('the gateway did not become ready within 60s; stopping');
    stopAll(1);
  }
}
