import { mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A directory laid out and updated the way the kubelet updates a ConfigMap or Secret volume: the files
 * live in a timestamped directory, `..data` points at it, and each visible name is a symlink through
 * `..data`. An update writes a new directory and swaps `..data` with one rename, so readers see the old
 * files or the new ones, never a mix.
 */
export class ProjectedVolume {
  readonly dir: string;
  private generation = 0;

  constructor(files: Record<string, string>) {
    this.dir = mkdtempSync(join(tmpdir(), 'sluice-volume-'));
    const target = this.writeGeneration(files);
    symlinkSync(target, join(this.dir, '..data'));
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(this.dir, name));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Replaces every file at once (names must be the ones the volume started with). */
  update(files: Record<string, string>): void {
    const previous = readlinkSync(join(this.dir, '..data'));
    const target = this.writeGeneration(files);
    symlinkSync(target, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    rmSync(join(this.dir, previous), { recursive: true, force: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writeGeneration(files: Record<string, string>): string {
    this.generation += 1;
    const name = `..2026_${String(this.generation).padStart(4, '0')}`;
    mkdirSync(join(this.dir, name));
    for (const [file, content] of Object.entries(files)) writeFileSync(join(this.dir, name, file), content);
    return name;
  }
}
