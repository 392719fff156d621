import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { formatCount, formatMs, formatTime, formatUsdExact } from '../view/format.js';
import { filterRequests, type RequestRow, requestRow, type SpendLog } from '../view/request-rows.js';

const LIMIT = 200;

export function RequestsPage() {
  const [logs, setLogs] = useState<SpendLog[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [key, setKey] = useState('');
  const [team, setTeam] = useState('');
  const [model, setModel] = useState('');
  const [status, setStatus] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const timer = setTimeout(() => {
      api.get<SpendLog[]>('/spend/logs', { summarize: false, limit: LIMIT, api_key: key.trim(), team_id: team.trim() }).then(
        (answer) => {
          setLogs(answer);
          setError(undefined);
        },
        (failure: Error) => setError(failure.message),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [key, team, tick]);

  const rows = useMemo(() => (logs ?? []).map(requestRow), [logs]);
  const models = useMemo(() => [...new Set(rows.map((row) => row.modelGroup))].sort(), [rows]);
  const statuses = useMemo(() => [...new Set(rows.map((row) => row.status))].sort(), [rows]);
  const shown = filterRequests(rows, { model, status });

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Requests</h1>
        <button type="button" onClick={() => setTick(tick + 1)}>Refresh</button>
      </div>
      <div class="toolbar">
        <label>
          <span>Key (value or hash)</span>
          <input value={key} onInput={(event) => setKey((event.target as HTMLInputElement).value)} autoComplete="off" />
        </label>
        <label>
          <span>Team</span>
          <input value={team} onInput={(event) => setTeam((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          <span>Model</span>
          <select value={model} onChange={(event) => setModel((event.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {models.map((name) => <option value={name}>{name}</option>)}
          </select>
        </label>
        <label>
          <span>Status</span>
          <select value={status} onChange={(event) => setStatus((event.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {statuses.map((name) => <option value={name}>{name}</option>)}
          </select>
        </label>
      </div>
      {error ? <p class="error" role="alert">{error}</p> : null}
      <p class="muted">The latest {LIMIT} requests in the ledger, newest first. Only metadata: prompts are stored only when message logging is on.</p>
      {logs ? (
        <DataTable<RequestRow>
          caption="Latest requests"
          rowKey={(row) => row.id}
          rows={shown}
          empty="No requests."
          columns={[
            { label: 'Time (UTC)', cell: (row) => formatTime(row.time) },
            { label: 'Key', cell: (row) => row.keyAlias },
            { label: 'Model', cell: (row) => row.modelGroup },
            { label: 'Deployment', cell: (row) => <span class="muted">{row.deployment}</span> },
            { label: 'Status', cell: (row) => <span class={`badge ${row.status === 'success' ? 'ok' : 'blocked'}`}>{row.status}{row.httpStatus ? ` ${row.httpStatus}` : ''}</span> },
            { label: 'Tokens', numeric: true, cell: (row) => `${formatCount(row.tokens.prompt)} → ${formatCount(row.tokens.completion)}` },
            { label: 'Cost (USD)', numeric: true, cell: (row) => formatUsdExact(row.costMicros) },
            { label: 'Latency', numeric: true, cell: (row) => formatMs(row.latencyMs) },
            { label: 'TTFT', numeric: true, cell: (row) => formatMs(row.ttftMs) },
          ]}
        />
      ) : null}
    </section>
  );
}
