// Regenerates packages/proto/src/gen from proto/*.proto with buf + ts-proto (both from node_modules).
// With --check, generates into a temporary folder and fails when the committed code differs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const genDir = 'packages/proto/src/gen';
const check = process.argv.includes('--check');

// Through node: the package's launcher script picks the platform binary, and does not depend on the
// executable bit npm may or may not have set on it.
function buf(args) {
  execFileSync(process.execPath, [join(root, 'node_modules/@bufbuild/buf/bin/buf'), ...args], { cwd: root, stdio: 'inherit' });
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(dir, path))
    .sort();
}

if (!check) {
  rmSync(join(root, genDir), { recursive: true, force: true });
  buf(['generate', 'proto', '--template', 'proto/buf.gen.yaml']);
  process.exit(0);
}

const scratch = mkdtempSync(join(tmpdir(), 'sluice-proto-'));
try {
  buf(['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', scratch]);
  const fresh = join(scratch, genDir);
  const committed = join(root, genDir);
  const freshFiles = listFiles(fresh);
  const committedFiles = listFiles(committed);
  const drift = [];
  for (const file of new Set([...freshFiles, ...committedFiles])) {
    const a = existsSync(join(fresh, file)) ? readFileSync(join(fresh, file), 'utf8') : null;
    const b = existsSync(join(committed, file)) ? readFileSync(join(committed, file), 'utf8') : null;
    if (a !== b) drift.push(file);
  }
  if (drift.length > 0) {
    console.error(`generated protobuf code is out of date (${drift.join(', ')}): run npm run proto:gen`);
    process.exit(1);
  }
  console.log(`generated protobuf code matches proto/ (${freshFiles.length} files)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
