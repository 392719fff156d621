import { describe, expect, test } from 'vitest';
import { daysBetween, type SpendDay, type SpendGroup, spendSeries, stackFromTop, usageReportCsv } from './spend-report.js';

function group(fields: Partial<SpendGroup> & { micros: number; models?: string[] }): SpendGroup {
  const { micros, models = ['gpt-small'], ...rest } = fields;
  return {
    total_spend_micros: micros,
    total_input_tokens: 100,
    total_output_tokens: 10,
    total_cached_tokens: 4,
    total_requests: 2,
    total_failures: 1,
    metadata: models.map((model, index) => ({ model, spend_micros: index === 0 ? micros : 0, total_tokens: 110, requests: 2 })),
    ...rest,
  };
}

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const byKey: SpendDay[] = [
  { group_by_day: '2026-11-18T00:00:00+00:00', keys: [group({ api_key: A, key_alias: 'team, "prod"', micros: 12_000_000, models: ['gpt-small', 'gpt-large'] }), group({ api_key: B, key_alias: '', micros: 7 })] },
  { group_by_day: '2026-11-20T00:00:00+00:00', keys: [group({ api_key: A, key_alias: 'team, "prod"', micros: 345_678 })] },
];

describe('chart series', () => {
  test('every day of the range, zero where a group spent nothing, USD per day, most spend first', () => {
    const series = spendSeries(byKey, 'api_key', '2026-11-17', '2026-11-20');
    expect(series.days).toEqual(['2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20']);
    expect(series.x[1]! - series.x[0]!).toBe(86_400);
    expect(series.x[0]).toBe(Date.parse('2026-11-17T00:00:00Z') / 1000);
    expect(series.series.map((line) => line.label)).toEqual(['team, "prod"', `${B.slice(0, 10)}…`]);
    expect(series.series[0]!.usd).toEqual([0, 12, 0, 0.345678]);
    expect(series.series[1]!.usd).toEqual([0, 0.000007, 0, 0]);
  });

  test('totals are sums of integer micro-USD, so they match /spend/* to the micro-dollar', () => {
    const series = spendSeries(byKey, 'api_key', '2026-11-17', '2026-11-20');
    expect(series.totalMicros).toBe(12_345_685);
    expect(series.totals[0]).toMatchObject({ id: A, spendMicros: 12_345_678, requests: 4, failures: 2, inputTokens: 200, outputTokens: 20 });
  });

  test('days outside the range are left out; groups past the limit are one "more" line', () => {
    const teams: SpendDay[] = [
      { group_by_day: '2026-11-10T00:00:00+00:00', teams: [group({ team_id: 'old', micros: 99 })] },
      { group_by_day: '2026-11-18T00:00:00+00:00', teams: ['t1', 't2', 't3', ''].map((team, index) => group({ team_id: team, team_name: team, micros: (4 - index) * 1_000_000 })) },
    ];
    const series = spendSeries(teams, 'team', '2026-11-18', '2026-11-18', 2);
    expect(series.series.map((line) => line.label)).toEqual(['t1', 't2', '2 more']);
    expect(series.series[2]!.usd).toEqual([3]);
    expect(series.totals.map((total) => total.label)).toEqual(['t1', 't2', 't3', '(no team)']);
    expect(series.totalMicros).toBe(10_000_000);
  });

  test('tags: a line per tag, untagged requests under "(untagged)"', () => {
    const tags: SpendDay[] = [{ group_by_day: '2026-11-18T00:00:00+00:00', tags: [group({ tag: 'prod', micros: 3 }), group({ tag: '', micros: 1 })] }];
    const series = spendSeries(tags, 'tag', '2026-11-18', '2026-11-18');
    expect(series.series.map((line) => [line.label, line.usd])).toEqual([['prod', [0.000003]], ['(untagged)', [0.000001]]]);
  });

  test('stacked bars: each series is drawn as itself plus every series after it, the first on top', () => {
    expect(stackFromTop([[1, 0, 2], [3, 1, 0], [0.5, 0, 0]])).toEqual([[4.5, 1, 2], [3.5, 1, 0], [0.5, 0, 0]]);
    expect(stackFromTop([])).toEqual([]);
  });

  test('daysBetween includes both ends and crosses month ends', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    expect(daysBetween('2026-12-02', '2026-12-01')).toEqual([]);
  });
});

describe('CSV', () => {
  test('the same text as `npm run usage-report -- --format csv`: header, a row per key, exact dollars, quoting', () => {
    expect(usageReportCsv(byKey)).toBe(
      [
        'key_alias,key_hash,requests,failures,tokens_in,tokens_out,cached_tokens,cost_usd,models',
        `"team, ""prod""",${A},4,2,200,20,8,12.345678000,gpt-large gpt-small`,
        `,${B},2,1,100,10,4,0.000007000,gpt-small`,
        '',
      ].join('\n'),
    );
  });

  test('no spend: only the header', () => {
    expect(usageReportCsv([])).toBe('key_alias,key_hash,requests,failures,tokens_in,tokens_out,cached_tokens,cost_usd,models\n');
  });
});
