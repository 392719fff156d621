import { parseArgs } from 'node:util';
import type { SqlClient } from '@sluice/common';
import { type DayRange, parseDayRange } from '../reports/day-range.js';
import { type KeyUsage, queryUsageByKey } from '../reports/usage-by-key-query.js';
import { formatUsd } from '../reports/usd.js';

export const USAGE_REPORT_HELP = `Usage: npm run usage-report -- --from YYYY-MM-DD --to YYYY-MM-DD [--format table|csv]

One row per key over the UTC days from --from to --to, both included: requests, failures, tokens in and
out, cost in USD, and the models used. Reads the ledger in DATABASE_URL.`;

export type ReportFormat = 'table' | 'csv';

export interface UsageReportArguments {
  range: DayRange;
  format: ReportFormat;
}

export function parseUsageReportArguments(argv: string[]): UsageReportArguments {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'table' } },
    strict: true,
  });
  if (values.from === undefined || values.to === undefined) throw new Error('--from and --to are required');
  const format = values.format;
  if (format !== 'table' && format !== 'csv') throw new Error(`--format must be "table" or "csv", got "${format}"`);
  return { range: parseDayRange(values.from, values.to, '--from', '--to'), format };
}

const HEADERS = ['key_alias', 'key_hash', 'requests', 'failures', 'tokens_in', 'tokens_out', 'cost_usd', 'models'];

function cells(usage: KeyUsage): string[] {
  return [
    usage.key_alias,
    usage.key_hash,
    String(usage.requests),
    String(usage.failures),
    String(usage.prompt_tokens),
    String(usage.completion_tokens),
    formatUsd(usage.spend_micros),
    usage.models.join(' '),
  ];
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The report as text: an aligned table with a total line, or RFC 4180 CSV (one header line). */
export function formatUsageReport(rows: readonly KeyUsage[], format: ReportFormat): string {
  const body = rows.map(cells);
  if (format === 'csv') return [HEADERS, ...body].map((line) => line.map(csvCell).join(',')).join('\n') + '\n';
  const total = rows.reduce(
    (sum, row) => ({
      requests: sum.requests + row.requests,
      failures: sum.failures + row.failures,
      prompt: sum.prompt + row.prompt_tokens,
      completion: sum.completion + row.completion_tokens,
      micros: sum.micros + row.spend_micros,
    }),
    { requests: 0, failures: 0, prompt: 0, completion: 0, micros: 0 },
  );
  const footer = ['TOTAL', '', String(total.requests), String(total.failures), String(total.prompt), String(total.completion), formatUsd(total.micros), ''];
  const lines = [HEADERS, ...body, footer];
  const widths = HEADERS.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const render = (line: string[]) =>
    line.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [render(HEADERS), rule, ...body.map(render), rule, render(footer)].join('\n') + '\n';
}

export async function usageReport(sql: SqlClient, args: UsageReportArguments): Promise<string> {
  return formatUsageReport(await queryUsageByKey(sql, args.range), args.format);
}
