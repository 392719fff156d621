import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '@sluice/testing';

export interface EmbeddedLauncher {
  url: string;
  child: ChildProcess;
  lines: string[];
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `npm start -- --embedded`: the four services in one process on PGlite and in-process stand-ins.
 * `embedded: false` leaves the flag out (the launcher then decides), `env` adds variables.
 */
export async function startEmbedded(configPath: string, options: { embedded?: boolean; env?: Record<string, string> } = {}): Promise<EmbeddedLauncher> {
  const flags = options.embedded === false ? [] : ['--embedded'];
  const child = spawn(process.execPath, [join(REPOSITORY_ROOT, 'packages/launcher/dist/main.js'), ...flags, '--config', configPath, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready:\n${lines.join('\n')}`));
    }, 60_000);
    const onData = (text: string) => {
      for (const line of text.split('\n').filter(Boolean)) {
        lines.push(line);
        const match = /Sluice is ready: (http:\/\/[^"\s]+)\/v1/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
  });
  return {
    url,
    child,
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
