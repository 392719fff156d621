import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'tsconfig.base.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (tsconfig.base.json)');
    dir = parent;
  }
  return dir;
}

/** The repository root. */
export const REPOSITORY_ROOT = findRepositoryRoot();

/** ../shared next to the repository: specs, recorded provider traffic and reference notes. */
export const SHARED_DIR = resolve(REPOSITORY_ROOT, '..', 'shared');
