// The shape of /global/spend/report (one entry per UTC day) and what the Spend page derives from it:
// chart series per group and day, totals per group, and the per-key CSV of `npm run usage-report`.
import { formatUsdNanos } from './format.js';

export type SpendGrouping = 'team' | 'api_key' | 'model' | 'tag';

export interface SpendGroup {
  team_id?: string;
  team_name?: string;
  api_key?: string;
  key_alias?: string;
  model?: string;
  tag?: string;
  total_spend_micros: number;
  /** The exact amount (the ledger's unit); absent from older gateways, then taken from the micro-dollars. */
  total_spend_nanos?: number;
  total_input_tokens: number;
  total_output_tokens: number;
  /** Absent from gateways without the cached-token column; counted as 0. */
  total_cached_tokens?: number;
  total_requests: number;
  total_failures: number;
  metadata: Array<{ model?: string; provider?: string; spend_micros: number; total_tokens: number; requests: number }>;
}

export interface SpendDay {
  group_by_day: string;
  teams?: SpendGroup[];
  keys?: SpendGroup[];
  models?: SpendGroup[];
  tags?: SpendGroup[];
}

const LISTS: Record<SpendGrouping, 'teams' | 'keys' | 'models' | 'tags'> = { team: 'teams', api_key: 'keys', model: 'models', tag: 'tags' };

/** The group's id (what the ledger groups on) and the name to show for it. */
export function groupIdentity(group: SpendGroup, grouping: SpendGrouping): { id: string; label: string } {
  if (grouping === 'team') {
    const id = group.team_id ?? group.team_name ?? '';
    return { id, label: id === '' ? '(no team)' : id };
  }
  if (grouping === 'api_key') {
    const id = group.api_key ?? '';
    return { id, label: group.key_alias || (id === '' ? '(no key)' : `${id.slice(0, 10)}…`) };
  }
  if (grouping === 'tag') {
    const id = group.tag ?? '';
    return { id, label: id === '' ? '(untagged)' : id };
  }
  const id = group.model ?? '';
  return { id, label: id === '' ? '(none)' : id };
}

/** Every UTC day from `from` to `to` (YYYY-MM-DD), both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let time = Date.parse(`${from}T00:00:00Z`); time <= end && days.length <= 3_660; time += 86_400_000) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
}

export interface GroupTotal {
  id: string;
  label: string;
  spendMicros: number;
  requests: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
}

export interface SpendSeries {
  days: string[];
  /** Unix seconds of each day's start, uPlot's x values. */
  x: number[];
  /** One line per group, most spend first; values in USD per day (0 on days without spend). */
  series: Array<{ id: string; label: string; usd: number[] }>;
  totals: GroupTotal[];
  totalMicros: number;
}

/** Chart series and totals over a day range; at most `maxSeries` lines, the rest summed as "other". */
export function spendSeries(report: readonly SpendDay[], grouping: SpendGrouping, from: string, to: string, maxSeries = 8): SpendSeries {
  const days = daysBetween(from, to);
  const dayIndex = new Map(days.map((day, index) => [day, index]));
  const byGroup = new Map<string, { total: GroupTotal; micros: number[] }>();
  for (const day of report) {
    const index = dayIndex.get(day.group_by_day.slice(0, 10));
    if (index === undefined) continue;
    for (const group of day[LISTS[grouping]] ?? []) {
      const { id, label } = groupIdentity(group, grouping);
      let entry = byGroup.get(id);
      if (!entry) {
        entry = {
          total: { id, label, spendMicros: 0, requests: 0, failures: 0, inputTokens: 0, outputTokens: 0 },
          micros: days.map(() => 0),
        };
        byGroup.set(id, entry);
      }
      if (label !== entry.total.label && grouping === 'api_key' && group.key_alias) entry.total.label = label;
      entry.micros[index] = entry.micros[index]! + group.total_spend_micros;
      entry.total.spendMicros += group.total_spend_micros;
      entry.total.requests += group.total_requests;
      entry.total.failures += group.total_failures;
      entry.total.inputTokens += group.total_input_tokens;
      entry.total.outputTokens += group.total_output_tokens;
    }
  }
  const ranked = [...byGroup.values()].sort((a, b) => b.total.spendMicros - a.total.spendMicros || a.total.id.localeCompare(b.total.id));
  const shown = ranked.slice(0, maxSeries);
  const rest = ranked.slice(maxSeries);
  const series = shown.map((entry) => ({ id: entry.total.id, label: entry.total.label, usd: entry.micros.map((micros) => micros / 1_000_000) }));
  if (rest.length > 0) {
    const other = days.map((_, index) => rest.reduce((sum, entry) => sum + entry.micros[index]!, 0));
    series.push({ id: '\u0000other', label: `${rest.length} more`, usd: other.map((micros) => micros / 1_000_000) });
  }
  return {
    days,
    x: days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1_000),
    series,
    totals: ranked.map((entry) => entry.total),
    totalMicros: ranked.reduce((sum, entry) => sum + entry.total.spendMicros, 0),
  };
}

const CSV_HEADERS = ['key_alias', 'key_hash', 'requests', 'failures', 'tokens_in', 'tokens_out', 'cached_tokens', 'cost_usd', 'models'];

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The per-key CSV that `npm run usage-report -- --format csv` prints for the same days, built from
 * /global/spend/report?group_by=api_key: one row per key, most spend first, exact nine-decimal dollars.
 */
export function usageReportCsv(report: readonly SpendDay[]): string {
  const keys = new Map<string, { alias: string; requests: number; failures: number; input: number; output: number; cached: number; nanos: number; models: Set<string> }>();
  for (const day of report) {
    for (const group of day.keys ?? []) {
      const hash = group.api_key ?? '';
      let key = keys.get(hash);
      if (!key) {
        key = { alias: '', requests: 0, failures: 0, input: 0, output: 0, cached: 0, nanos: 0, models: new Set() };
        keys.set(hash, key);
      }
      // The report keeps the greatest alias a key had over the range, as SQL's max() does.
      if ((group.key_alias ?? '') > key.alias) key.alias = group.key_alias ?? '';
      key.requests += group.total_requests;
      key.failures += group.total_failures;
      key.input += group.total_input_tokens;
      key.output += group.total_output_tokens;
      key.cached += group.total_cached_tokens ?? 0;
      key.nanos += group.total_spend_nanos ?? Math.round(group.total_spend_micros * 1000);
      for (const split of group.metadata) if (split.model) key.models.add(split.model);
    }
  }
  const rows = [...keys]
    .sort((a, b) => b[1].nanos - a[1].nanos || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([hash, key]) => [
      key.alias,
      hash,
      String(key.requests),
      String(key.failures),
      String(key.input),
      String(key.output),
      String(key.cached),
      formatUsdNanos(key.nanos),
      [...key.models].sort().join(' '),
    ]);
  return [CSV_HEADERS, ...rows].map((line) => line.map(csvCell).join(',')).join('\n') + '\n';
}

/**
 * Stacked bars, top series first: series k is drawn as the sum of series k..n-1, so drawing them in
 * order leaves each group's own amount visible as its band, and the first group sits on top.
 */
export function stackFromTop(values: ReadonlyArray<readonly number[]>): number[][] {
  const stacked = values.map((line) => [...line]);
  for (let index = stacked.length - 2; index >= 0; index -= 1) {
    stacked[index] = stacked[index]!.map((value, day) => value + stacked[index + 1]![day]!);
  }
  return stacked;
}
