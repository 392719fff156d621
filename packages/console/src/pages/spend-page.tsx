import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { SpendChart } from '../components/spend-chart.js';
import { formatCount, formatUsd, formatUsdExact } from '../view/format.js';
import { type GroupTotal, type SpendDay, type SpendGrouping, spendSeries, usageReportCsv } from '../view/spend-report.js';

const GROUPINGS: Array<{ value: SpendGrouping; label: string }> = [
  { value: 'team', label: 'Team' },
  { value: 'api_key', label: 'Key' },
  { value: 'model', label: 'Model' },
  { value: 'tag', label: 'Tag' },
];

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

export function SpendPage() {
  const [to, setTo] = useState(isoDay(Date.now()));
  const [from, setFrom] = useState(isoDay(Date.now() - 13 * 86_400_000));
  const [grouping, setGrouping] = useState<SpendGrouping>('team');
  const [report, setReport] = useState<SpendDay[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (from > to) {
      setError('The first day is after the last one.');
      return;
    }
    setError(undefined);
    api.get<SpendDay[]>('/global/spend/report', { start_date: from, end_date: to, group_by: grouping }).then(setReport, (failure: Error) => setError(failure.message));
  }, [from, to, grouping]);

  const series = useMemo(() => (report ? spendSeries(report, grouping, from, to) : undefined), [report, grouping, from, to]);
  const label = GROUPINGS.find((entry) => entry.value === grouping)!.label;

  const download = async () => {
    try {
      const byKey = await api.get<SpendDay[]>('/global/spend/report', { start_date: from, end_date: to, group_by: 'api_key' });
      const url = URL.createObjectURL(new Blob([usageReportCsv(byKey)], { type: 'text/csv' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `sluice-usage-${from}-${to}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1_000);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Spend</h1>
        <button type="button" onClick={download}>Download CSV</button>
      </div>
      <div class="toolbar">
        <label>
          <span>From</span>
          <input type="date" value={from} max={to} onChange={(event) => setFrom((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          <span>To</span>
          <input type="date" value={to} min={from} onChange={(event) => setTo((event.target as HTMLInputElement).value)} />
        </label>
        <div class="segmented" role="group" aria-label="Group by">
          {GROUPINGS.map((entry) => (
            <button type="button" aria-pressed={grouping === entry.value} onClick={() => setGrouping(entry.value)}>
              {entry.label}
            </button>
          ))}
        </div>
      </div>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {series ? (
        <>
          <p class="total">
            Total <strong data-testid="spend-total">{formatUsd(series.totalMicros)}</strong> <span class="muted">(exactly ${formatUsdExact(series.totalMicros)})</span>
          </p>
          {series.series.length > 0 ? <SpendChart data={series} title={`Daily spend per ${label.toLowerCase()}`} /> : <p class="muted">No spend in these days.</p>}
          <DataTable<GroupTotal>
            caption={`Spend per ${label.toLowerCase()}`}
            rowKey={(row) => row.id}
            rows={series.totals}
            empty="No spend in these days."
            columns={[
              { label, cell: (row) => row.label },
              { label: 'Requests', numeric: true, cell: (row) => formatCount(row.requests) },
              { label: 'Failures', numeric: true, cell: (row) => formatCount(row.failures) },
              { label: 'Tokens in', numeric: true, cell: (row) => formatCount(row.inputTokens) },
              { label: 'Tokens out', numeric: true, cell: (row) => formatCount(row.outputTokens) },
              { label: 'Spend (USD)', numeric: true, cell: (row) => formatUsdExact(row.spendMicros) },
            ]}
          />
        </>
      ) : null}
    </section>
  );
}
