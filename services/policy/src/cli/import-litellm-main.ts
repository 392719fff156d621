import { createLogger, createPgSql, loadSettings, migrate } from '@sluice/common';
import { IMPORT_LITELLM_HELP, importLitellm, parseImportLitellmArguments } from './import-litellm.js';

// `npm run import-litellm -- --from postgres://… [--dry-run]`: the table goes to stdout, errors to stderr
// with exit code 2 (bad arguments) or 1 (a database).
let args;
try {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${IMPORT_LITELLM_HELP}\n`);
    process.exit(0);
  }
  args = parseImportLitellmArguments(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`import-litellm: ${(error as Error).message}\n\n${IMPORT_LITELLM_HELP}\n`);
  process.exit(2);
}

const settings = loadSettings();
if (!settings.databaseUrl) {
  process.stderr.write('import-litellm: DATABASE_URL (Sluice\'s database) is not set\n');
  process.exit(1);
}
const source = createPgSql({ url: args.from, maxConnections: 1 });
const target = createPgSql({ url: settings.databaseUrl, maxConnections: 1 });
try {
  // A fresh Sluice database gets its tables first, as a service starting would.
  await migrate(target, createLogger({ service: 'import-litellm', level: 'warn' }));
  const { report } = await importLitellm(source, target, args.dryRun);
  process.stdout.write(report);
} catch (error) {
  process.stderr.write(`import-litellm: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await Promise.all([source.close(), target.close()]);
}
