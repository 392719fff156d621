import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError, createLogger, listenFailureMessage, loadSettings, redactUrl } from '@sluice/common';
import { parseLauncherArguments, USAGE } from './arguments.js';
import { findServers } from './default-servers.js';
import { assignInternalPorts, ensurePortFree } from './internal-ports.js';
import { runEmbedded } from './embedded.js';
import { supervise } from './supervisor.js';

let args;
try {
  args = parseLauncherArguments(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const env: NodeJS.ProcessEnv = { ...process.env };
if (args.config) env.SLUICE_CONFIG = resolve(args.config);
if (args.port !== undefined) env.SLUICE_EDGE_PORT = String(args.port);
// The four processes authenticate their internal calls with a secret only they know, made afresh per run.
if (!env.SLUICE_INTERNAL_TOKEN && env.SLUICE_INTERNAL_AUTH !== 'none') env.SLUICE_INTERNAL_TOKEN = randomBytes(32).toString('base64url');
const logger = createLogger({ service: 'launcher', level: env.LOG_LEVEL ?? 'info' });

try {
  const configured = { databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, natsUrl: env.NATS_URL };
  // A data directory without DATABASE_URL asks for the embedded database kept on disk, whatever answers locally.
  const keepsData = loadSettings(env).dataDir !== undefined && !configured.databaseUrl;
  // REDIS_CLUSTER_NODES names a Redis Cluster, which every service connects to instead of REDIS_URL.
  const redisCluster = loadSettings(env).redisCluster;
  const servers = args.embedded || keepsData ? { ...configured, createdDatabase: false } : await findServers(configured, logger);
  const redisUrl = redisCluster ? undefined : servers.redisUrl;
  if (!args.embedded && servers.databaseUrl && (redisUrl || redisCluster) && servers.natsUrl) {
    env.DATABASE_URL = servers.databaseUrl;
    if (redisUrl) env.REDIS_URL = redisUrl;
    env.NATS_URL = servers.natsUrl;
    const picked = await assignInternalPorts(env);
    const settings = loadSettings(env);
    await ensurePortFree(settings.edge.host, settings.edge.port);
    logger.info(
      {
        postgres: redactUrl(servers.databaseUrl),
        redis: redisUrl ? redactUrl(redisUrl) : `cluster ${redisCluster!.nodes.map((node) => `${node.host}:${node.port}`).join(',')}`,
        nats: redactUrl(servers.natsUrl),
        ...(picked.length > 0 ? { internalPorts: Object.fromEntries(picked.map((name) => [name, Number(env[name])])) } : {}),
        ...(servers.createdDatabase ? { createdDatabase: 'sluice' } : {}),
      },
      'sluice starting: four services on Postgres, Redis and NATS',
    );
    await supervise(env, `http://${settings.edge.host}:${settings.edge.port}`, logger);
  } else {
    const settings = loadSettings({ ...env, DATABASE_URL: configured.databaseUrl });
    if (settings.dataDir && !settings.databaseUrl) {
      logger.info(
        { dataDir: resolve(settings.dataDir) },
        `sluice starting: embedded mode, one process on stand-ins; PGlite keeps keys and the ledger in ${resolve(settings.dataDir)} (SLUICE_DATA_DIR), so they survive a restart`,
      );
    } else {
      logger.info(
        'sluice starting: embedded mode, one process on stand-ins (PGlite or DATABASE_URL, in-process counters and event bus); set DATABASE_URL, REDIS_URL and NATS_URL to use real servers; nothing is kept across restarts unless SLUICE_DATA_DIR or DATABASE_URL is set',
      );
    }
    const url = await runEmbedded(settings, logger);
    logger.info(`Sluice is ready: ${url}/v1`);
  }
} catch (error) {
  const listenFailure = listenFailureMessage(error);
  if (error instanceof ConfigError) process.stderr.write(`sluice: ${error.message}\n`);
  else if (listenFailure) process.stderr.write(`sluice: ${listenFailure}\n`);
  else logger.fatal({ err: error }, 'sluice failed to start');
  process.exit(1);
}
