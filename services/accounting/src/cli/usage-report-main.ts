import { createPgSql, loadSettings } from '@sluice/common';
import { parseUsageReportArguments, USAGE_REPORT_HELP, usageReport } from './usage-report.js';

// `npm run usage-report -- --from 2026-11-01 --to 2026-11-21 --format csv`: the report goes to stdout,
// errors to stderr with exit code 2 (bad arguments) or 1 (database).
let args;
try {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${USAGE_REPORT_HELP}\n`);
    process.exit(0);
  }
  args = parseUsageReportArguments(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`usage-report: ${(error as Error).message}\n\n${USAGE_REPORT_HELP}\n`);
  process.exit(2);
}

const settings = loadSettings();
if (!settings.databaseUrl) {
  process.stderr.write('usage-report: DATABASE_URL is not set\n');
  process.exit(1);
}
const sql = createPgSql({ url: settings.databaseUrl, maxConnections: 1 });
try {
  process.stdout.write(await usageReport(sql, args));
} catch (error) {
  process.stderr.write(`usage-report: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await sql.close();
}
