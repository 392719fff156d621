import { loadSettings } from '@sluice/common';
import { checkConfig } from './check-config.js';

// `npm run check-config -- config.yaml`: what start-up would make of the file, for CI before a rollout.
// Exit 0 when start-up would accept it, 1 when it would refuse, 2 on bad arguments.
const files = process.argv.slice(2).filter((arg) => arg !== '--');
if (files.length === 0 || files.includes('--help') || files.includes('-h')) {
  process.stderr.write('usage: npm run check-config -- FILE [FILE ...]\n');
  process.exit(files.length === 0 ? 2 : 0);
}
const settings = loadSettings();
let refused = 0;
for (const file of files) {
  const result = checkConfig(file, settings.env);
  process.stdout.write(`${file}\n`);
  for (const line of result.lines) process.stdout.write(`  ${line}\n`);
  if (result.ok) {
    process.stdout.write('  ok: start-up accepts this file\n');
  } else {
    refused += 1;
    process.stdout.write(`  refused: ${result.error!.replaceAll('\n', '\n    ')}\n`);
  }
}
process.exitCode = refused > 0 ? 1 : 0;
