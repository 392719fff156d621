export { startAccounting, type AccountingOptions, type RunningAccounting } from './accounting-service.js';
export { parseUsageReportArguments, USAGE_REPORT_HELP, usageReport, type UsageReportArguments } from './cli/usage-report.js';
// The spend routes' handler and the daily usage query, for the ledger benchmark (bench/src/ledger).
export { createSpendApi } from './reports/spend-api.js';
export { queryUsageByKey } from './reports/usage-by-key-query.js';
