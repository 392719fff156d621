import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseUsageReportArguments, USAGE_REPORT_HELP, usageReport } from '@sluice/accounting';
import { createPgSql, loadSettings, type Sql } from '@sluice/common';
import { dataDirHolder } from './data-dir-lock.js';
import { createPgliteSql } from './pglite-sql.js';

// `npm run usage-report`: the report from DATABASE_URL, or, for an embedded deployment, from the PGlite
// database in SLUICE_DATA_DIR while the gateway is stopped (PGlite cannot be shared by two processes; a
// running gateway answers the same numbers at /global/spend/report). Report on stdout, errors on stderr
// with exit code 2 (bad arguments) or 1 (database).
let args;
try {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${USAGE_REPORT_HELP}\nWithout DATABASE_URL it reads the embedded database in SLUICE_DATA_DIR.\n`);
    process.exit(0);
  }
  args = parseUsageReportArguments(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`usage-report: ${(error as Error).message}\n\n${USAGE_REPORT_HELP}\n`);
  process.exit(2);
}

const settings = loadSettings();
let sql: Sql;
if (settings.databaseUrl) {
  sql = createPgSql({ url: settings.databaseUrl, maxConnections: 1 });
} else if (settings.dataDir) {
  const dataDir = resolve(settings.dataDir);
  if (!existsSync(dataDir)) {
    process.stderr.write(`usage-report: SLUICE_DATA_DIR ${dataDir} does not exist\n`);
    process.exit(1);
  }
  const holder = dataDirHolder(dataDir);
  if (holder !== undefined) {
    process.stderr.write(`usage-report: the gateway (process ${holder}) is running on ${dataDir}; stop it first, or ask it: GET /global/spend/report\n`);
    process.exit(1);
  }
  sql = await createPgliteSql(dataDir);
} else {
  process.stderr.write('usage-report: set DATABASE_URL, or SLUICE_DATA_DIR for an embedded deployment\n');
  process.exit(1);
}
try {
  process.stdout.write(await usageReport(sql, args));
} catch (error) {
  process.stderr.write(`usage-report: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await sql.close();
}
