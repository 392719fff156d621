import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// PGlite is Postgres in one process: two processes on one data directory would corrupt it. The
// embedded gateway writes its pid here while it runs; another gateway or the usage report refuses the
// directory while that process is alive (a stale file from a killed process is ignored).

const LOCK_FILE = 'sluice-embedded.pid';

/** The pid of a live process holding the directory, if any. */
export function dataDirHolder(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** Takes the directory for this process; the returned function gives it back. */
export function claimDataDir(dataDir: string): () => void {
  const holder = dataDirHolder(dataDir);
  if (holder !== undefined) throw new Error(`SLUICE_DATA_DIR ${dataDir} is in use by process ${holder}; stop it first`);
  const path = join(dataDir, LOCK_FILE);
  writeFileSync(path, `${process.pid}\n`);
  return () => rmSync(path, { force: true });
}
