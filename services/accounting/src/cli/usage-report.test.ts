import { describe, expect, test } from 'vitest';
import type { KeyUsage } from '../reports/usage-by-key-query.js';
import { formatUsageReport, parseUsageReportArguments } from './usage-report.js';

const rows: KeyUsage[] = [
  { key_hash: 'a'.repeat(64), key_alias: 'team, "prod"', requests: 12, failures: 1, prompt_tokens: 1_000, completion_tokens: 250, cached_tokens: 400, spend_nanos: 12_345_678_250, models: ['gpt-large', 'gpt-small'] },
  { key_hash: 'b'.repeat(64), key_alias: '', requests: 3, failures: 0, prompt_tokens: 30, completion_tokens: 9, cached_tokens: 0, spend_nanos: 7_250, models: [] },
];

describe('usage report', () => {
  test('CSV: a header, one row per key, exact dollars to the nano-dollar, quoting where needed', () => {
    expect(formatUsageReport(rows, 'csv')).toBe(
      [
        'key_alias,key_hash,requests,failures,tokens_in,tokens_out,cached_tokens,cost_usd,models',
        `"team, ""prod""",${'a'.repeat(64)},12,1,1000,250,400,12.345678250,gpt-large gpt-small`,
        `,${'b'.repeat(64)},3,0,30,9,0,0.000007250,`,
        '',
      ].join('\n'),
    );
  });

  test('table: aligned columns and a total line', () => {
    const lines = formatUsageReport(rows, 'table').trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^key_alias\s+key_hash\s+requests\s+failures\s+tokens_in\s+tokens_out\s+cached_tokens\s+cost_usd\s+models$/);
    expect(lines[5]!.split(/\s+/)).toEqual(['TOTAL', '15', '1', '1030', '259', '400', '12.345685500']);
    // Right-aligned numbers: the cost column ends at the same place on every line.
    const costEnd = (line: string, cost: string) => line.indexOf(cost) + cost.length;
    expect(costEnd(lines[2]!, '12.345678250')).toBe(costEnd(lines[3]!, '0.000007250'));
  });

  const now = new Date('2026-11-21T23:59:00Z');

  test('arguments: no date means the last 7 days up to today (UTC)', () => {
    expect(parseUsageReportArguments([], now)).toEqual({ range: { from: '2026-11-15', to: '2026-11-21' }, format: 'table' });
    expect(parseUsageReportArguments(['--format', 'csv'], new Date('2026-03-02T00:00:00Z'))).toEqual({ range: { from: '2026-02-24', to: '2026-03-02' }, format: 'csv' });
  });

  test('arguments: --date is one day, and only alone', () => {
    expect(parseUsageReportArguments(['--date', '2026-11-03'], now).range).toEqual({ from: '2026-11-03', to: '2026-11-03' });
    expect(() => parseUsageReportArguments(['--date', '2026-11-31'], now)).toThrow(/--date/);
    expect(() => parseUsageReportArguments(['--date', '2026-11-03', '--from', '2026-11-01'], now)).toThrow(/--date/);
    expect(() => parseUsageReportArguments(['--date', '2026-11-03', '--to', '2026-11-04'], now)).toThrow(/--date/);
  });

  test('arguments: --from alone runs to today; --to needs --from', () => {
    expect(parseUsageReportArguments(['--from', '2026-11-01'], now).range).toEqual({ from: '2026-11-01', to: '2026-11-21' });
    expect(() => parseUsageReportArguments(['--to', '2026-11-01'], now)).toThrow(/--to needs --from/);
    expect(() => parseUsageReportArguments(['--from', '2026-11-22'], now)).toThrow(/after/);
    expect(() => parseUsageReportArguments(['--day', '2026-11-01'], now)).toThrow(/day/);
  });

  test('arguments: --from and --to valid and in order; table or csv', () => {
    expect(parseUsageReportArguments(['--from', '2026-11-01', '--to', '2026-11-21'])).toEqual({ range: { from: '2026-11-01', to: '2026-11-21' }, format: 'table' });
    expect(parseUsageReportArguments(['--from', '2026-11-01', '--to', '2026-11-01', '--format', 'csv']).format).toBe('csv');
    expect(() => parseUsageReportArguments(['--from', '2026-02-30', '--to', '2026-03-01'])).toThrow(/--from/);
    expect(() => parseUsageReportArguments(['--from', '2026-11-21', '--to', '2026-11-01'])).toThrow(/after/);
    expect(() => parseUsageReportArguments(['--from', '2026-11-01', '--to', '2026-11-21', '--format', 'xml'])).toThrow(/format/);
  });
});
