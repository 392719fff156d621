export { startAccounting, type AccountingOptions, type RunningAccounting } from './accounting-service.js';
export { parseUsageReportArguments, USAGE_REPORT_HELP, usageReport, type UsageReportArguments } from './cli/usage-report.js';
