import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('the committed generated code matches proto/', () => {
  // Throws (and fails the test) when buf + ts-proto would produce different files.
  const output = execFileSync(process.execPath, ['scripts/generate-proto.js', '--check'], { cwd: root, encoding: 'utf8' });
  expect(output).toMatch(/matches proto/);
});
