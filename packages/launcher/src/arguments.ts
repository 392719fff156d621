import { parseArgs } from 'node:util';

export interface LauncherArguments {
  config: string | undefined;
  port: number | undefined;
  embedded: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm start -- [--config PATH] [--port N] [--embedded]

  --config PATH   LiteLLM-format config file (model_list, general_settings, ...)
  --port N        port of the OpenAI-compatible API (default 4000)
  --embedded      run on in-process stand-ins even if Postgres, Redis and NATS are reachable

Environment: DATABASE_URL, REDIS_URL, NATS_URL select the servers. When none is set and nothing answers
on their default local ports, Sluice runs in one process on embedded stand-ins. SLUICE_DATA_DIR (without
DATABASE_URL) runs embedded with the database kept in that directory across restarts.`;

export function parseLauncherArguments(argv: string[]): LauncherArguments {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      embedded: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, got "${values.port}"`);
  }
  return { config: values.config, port, embedded: values.embedded ?? false, help: values.help ?? false };
}
