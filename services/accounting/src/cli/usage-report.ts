import { parseArgs } from 'node:util';
import type { SqlClient } from '@sluice/common';
import { type DayRange, lastDays, parseDay, parseDayRange } from '../reports/day-range.js';
import { type KeyUsage, queryUsageByKey } from '../reports/usage-by-key-query.js';
import { formatNanosUsd } from '../reports/usd.js';

const DEFAULT_DAYS = 7;

export const USAGE_REPORT_HELP = `Usage: npm run usage-report -- [--date YYYY-MM-DD | --from YYYY-MM-DD [--to YYYY-MM-DD]] [--format table|csv]

One row per key over UTC days: requests, failures, tokens in and out, cached tokens, cost in USD, and the
models used. Without a date, the last ${DEFAULT_DAYS} days up to today; --date for one day; --from and --to
for a range, both included (--to defaults to today). Reads the ledger in DATABASE_URL.`;

export type ReportFormat = 'table' | 'csv';

export interface UsageReportArguments {
  range: DayRange;
  format: ReportFormat;
}

/** `now` decides what "today" is (UTC), for the defaults. */
export function parseUsageReportArguments(argv: string[], now: Date = new Date()): UsageReportArguments {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, to: { type: 'string' }, date: { type: 'string' }, format: { type: 'string', default: 'table' } },
    strict: true,
  });
  const format = values.format;
  if (format !== 'table' && format !== 'csv') throw new Error(`--format must be "table" or "csv", got "${format}"`);
  if (values.date !== undefined) {
    if (values.from !== undefined || values.to !== undefined) throw new Error('--date is one day: give it alone, or --from and --to');
    const day = parseDay(values.date, '--date');
    return { range: { from: day, to: day }, format };
  }
  if (values.from === undefined) {
    if (values.to !== undefined) throw new Error('--to needs --from');
    return { range: lastDays(DEFAULT_DAYS, now), format };
  }
  return { range: parseDayRange(values.from, values.to ?? lastDays(1, now).to, '--from', '--to'), format };
}

const HEADERS = ['key_alias', 'key_hash', 'requests', 'failures', 'tokens_in', 'tokens_out', 'cached_tokens', 'cost_usd', 'models'];

function cells(usage: KeyUsage): string[] {
  return [
    usage.key_alias,
    usage.key_hash,
    String(usage.requests),
    String(usage.failures),
    String(usage.prompt_tokens),
    String(usage.completion_tokens),
    String(usage.cached_tokens),
    formatNanosUsd(usage.spend_nanos),
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
      cached: sum.cached + row.cached_tokens,
      nanos: sum.nanos + row.spend_nanos,
    }),
    { requests: 0, failures: 0, prompt: 0, completion: 0, cached: 0, nanos: 0 },
  );
  const footer = ['TOTAL', '', String(total.requests), String(total.failures), String(total.prompt), String(total.completion), String(total.cached), formatNanosUsd(total.nanos), ''];
  const lines = [HEADERS, ...body, footer];
  const widths = HEADERS.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const render = (line: string[]) =>
    line.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [render(HEADERS), rule, ...body.map(render), rule, render(footer)].join('\n') + '\n';
}

export async function usageReport(sql: SqlClient, args: UsageReportArguments): Promise<string> {
  return formatUsageReport(await queryUsageByKey(sql, args.range), args.format);
}
