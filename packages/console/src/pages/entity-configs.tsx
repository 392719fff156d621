// What each admin entity looks like in the console, in terms of the admin API's routes and fields.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { BudgetBar, type Column } from '../components/data-table.js';
import { formatBudget, formatExpiry, formatLimits, formatModels } from '../view/format.js';
import type { FieldSpec } from '../view/form-body.js';
import type { EntityConfig, Row } from './entity-page.js';

const LIST_SIZE = 1000;
const MAX_PAGES = 20;

/** Every page of a paged list route (the console searches and pages in memory). */
async function loadAllPages(fetchPage: (page: number) => Promise<{ rows: Row[]; pages: number }>): Promise<Row[]> {
  const rows: Row[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const answer = await fetchPage(page);
    rows.push(...answer.rows);
    if (page >= answer.pages) break;
  }
  return rows;
}

const budgetColumn: Column<Row> = {
  label: 'Budget used',
  cell: (row) => <BudgetBar spend={row.spend} max={row.max_budget} spendText={formatBudget(row.spend ?? 0)} maxText={formatBudget(row.max_budget)} />,
};
const limitsColumn: Column<Row> = { label: 'Limits', cell: (row) => formatLimits(row) };
const modelsColumn: Column<Row> = { label: 'Models', cell: (row) => formatModels(row.models) };
const statusColumn: Column<Row> = {
  label: 'Status',
  cell: (row) => (row.blocked ? <span class="badge blocked">blocked</span> : <span class="badge ok">active</span>),
};

const limitFields: FieldSpec[] = [
  { name: 'models', label: 'Models', kind: 'list', hint: 'Comma-separated; empty allows every model.' },
  { name: 'max_budget', label: 'Max budget (USD)', kind: 'number' },
  { name: 'budget_duration', label: 'Budget period', kind: 'text', hint: 'e.g. 30d, 1mo; the budget resets every period.' },
  { name: 'rpm_limit', label: 'Requests per minute', kind: 'number' },
  { name: 'tpm_limit', label: 'Tokens per minute', kind: 'number' },
  { name: 'max_parallel_requests', label: 'Parallel requests', kind: 'number' },
];

export const keyConfig: EntityConfig = {
  noun: 'key',
  title: 'Keys',
  idOf: (row) => row.token,
  labelOf: (row) => row.key_alias || row.key_name,
  load: () =>
    loadAllPages(async (page) => {
      const answer = await api.get<{ keys: Row[]; total_pages: number }>('/key/list', { page, size: LIST_SIZE, return_full_object: true });
      return { rows: answer.keys, pages: answer.total_pages };
    }),
  columns: [
    { label: 'Alias', cell: (row) => <span><strong>{row.key_alias ?? '—'}</strong><br /><code class="muted">{row.key_name}</code></span> },
    { label: 'Team', cell: (row) => row.team_id ?? '' },
    { label: 'User', cell: (row) => row.user_id ?? '' },
    modelsColumn,
    budgetColumn,
    limitsColumn,
    statusColumn,
    { label: 'Expires', cell: (row) => formatExpiry(row.expires, Date.now()) },
  ],
  searchTexts: (row) => [row.key_alias, row.key_name, row.team_id, row.user_id, row.organization_id, ...(row.models ?? [])],
  createFields: [
    { name: 'key_alias', label: 'Alias', kind: 'text' },
    { name: 'team_id', label: 'Team', kind: 'text' },
    { name: 'user_id', label: 'User', kind: 'text' },
    { name: 'duration', label: 'Expires after', kind: 'text', hint: 'e.g. 90d; empty never expires.' },
    ...limitFields,
  ],
  create: async (body) => (await api.post<{ key: string }>('/key/generate', body)).key,
  editFields: [{ name: 'key_alias', label: 'Alias', kind: 'text' }, ...limitFields],
  update: async (row, body) => {
    await api.post('/key/update', { key: row.token, ...body });
  },
  block: async (row, blocked) => {
    await api.post(blocked ? '/key/block' : '/key/unblock', { key: row.token });
  },
  regenerate: async (row) => (await api.post<{ key: string }>(`/key/${encodeURIComponent(row.token)}/regenerate`, {})).key,
  remove: async (row) => {
    await api.post('/key/delete', { keys: [row.token] });
  },
  removeWarning: (row) => `Requests with ${row.key_alias || row.key_name} are refused at once. Its spend stays in the ledger.`,
};

function TeamMembers(props: { team: Row; refresh: () => void }) {
  const [members, setMembers] = useState<Row[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState('user');
  const load = () =>
    api.get<{ team_info: { members_with_roles: Row[] } }>('/team/info', { team_id: props.team.team_id }).then(
      (answer) => setMembers(answer.team_info.members_with_roles),
      (failure: Error) => setError(failure.message),
    );
  useEffect(() => void load(), [props.team.team_id]);
  const change = async (what: () => Promise<unknown>) => {
    try {
      await what();
      setError(undefined);
      await load();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <div>
      {error ? <p class="error" role="alert">{error}</p> : null}
      <ul class="members">
        {(members ?? []).map((member) => (
          <li key={member.user_id}>
            <span>{member.user_id}{member.user_email ? ` (${member.user_email})` : ''} <span class="badge">{member.role}</span></span>
            <button type="button" class="danger" aria-label={`Remove ${member.user_id}`} onClick={() => change(() => api.post('/team/member_delete', { team_id: props.team.team_id, user_id: member.user_id }))}>Remove</button>
          </li>
        ))}
        {members && members.length === 0 ? <li class="muted">No members.</li> : null}
      </ul>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (userId.trim() === '') return;
          void change(() => api.post('/team/member_add', { team_id: props.team.team_id, member: [{ user_id: userId.trim(), role }] })).then(() => setUserId(''));
        }}
      >
        <label>
          <span>User id</span>
          <input value={userId} onInput={(event) => setUserId((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          <span>Role</span>
          <select value={role} onChange={(event) => setRole((event.target as HTMLSelectElement).value)}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" class="primary">Add member</button>
      </form>
    </div>
  );
}

export const teamConfig: EntityConfig = {
  noun: 'team',
  title: 'Teams',
  idOf: (row) => row.team_id,
  labelOf: (row) => row.team_alias || row.team_id,
  load: () => api.get<Row[]>('/team/list'),
  columns: [
    { label: 'Team', cell: (row) => <span><strong>{row.team_alias ?? row.team_id}</strong><br /><code class="muted">{row.team_id}</code></span> },
    { label: 'Organisation', cell: (row) => row.organization_id ?? '' },
    modelsColumn,
    budgetColumn,
    limitsColumn,
    statusColumn,
  ],
  searchTexts: (row) => [row.team_id, row.team_alias, row.organization_id],
  createFields: [
    { name: 'team_id', label: 'Team id', kind: 'text', hint: 'Generated when empty.' },
    { name: 'team_alias', label: 'Name', kind: 'text' },
    { name: 'organization_id', label: 'Organisation', kind: 'text' },
    ...limitFields,
  ],
  create: async (body) => {
    await api.post('/team/new', body);
    return undefined;
  },
  editFields: [{ name: 'team_alias', label: 'Name', kind: 'text' }, ...limitFields],
  update: async (row, body) => {
    await api.post('/team/update', { team_id: row.team_id, ...body });
  },
  block: async (row, blocked) => {
    await api.post(blocked ? '/team/block' : '/team/unblock', { team_id: row.team_id });
  },
  remove: async (row) => {
    await api.post('/team/delete', { team_ids: [row.team_id] });
  },
  removeWarning: (row) => `Deleting ${row.team_alias || row.team_id} also deletes all of its keys.`,
  details: (row, refresh) => <TeamMembers team={row} refresh={refresh} />,
  detailsLabel: 'Members',
};

function UserTeams(props: { user: Row }) {
  const [teams, setTeams] = useState<Row[] | undefined>();
  const [keys, setKeys] = useState<Row[]>([]);
  useEffect(() => {
    api.get<{ teams: Row[]; keys: Row[] }>('/user/info', { user_id: props.user.user_id }).then(
      (answer) => {
        setTeams(answer.teams);
        setKeys(answer.keys ?? []);
      },
      () => setTeams([]),
    );
  }, [props.user.user_id]);
  return (
    <div>
      <h3>Teams</h3>
      <ul class="members">
        {(teams ?? []).map((team) => <li key={team.team_id}>{team.team_alias ?? team.team_id}</li>)}
        {teams && teams.length === 0 ? <li class="muted">In no team.</li> : null}
      </ul>
      <h3>Keys</h3>
      <ul class="members">
        {keys.map((key) => <li key={key.token}>{key.key_alias ?? key.key_name}</li>)}
        {keys.length === 0 ? <li class="muted">No keys.</li> : null}
      </ul>
    </div>
  );
}

export const userConfig: EntityConfig = {
  noun: 'user',
  title: 'Users',
  idOf: (row) => row.user_id,
  labelOf: (row) => row.user_alias || row.user_email || row.user_id,
  load: () =>
    loadAllPages(async (page) => {
      const answer = await api.get<{ users: Row[]; total_pages: number }>('/user/list', { page, page_size: 100 });
      return { rows: answer.users, pages: answer.total_pages };
    }),
  columns: [
    { label: 'User', cell: (row) => <span><strong>{row.user_alias ?? row.user_id}</strong><br /><span class="muted">{row.user_email ?? ''}</span></span> },
    { label: 'Role', cell: (row) => row.user_role },
    { label: 'Organisation', cell: (row) => row.organization_id ?? '' },
    modelsColumn,
    budgetColumn,
    limitsColumn,
  ],
  searchTexts: (row) => [row.user_id, row.user_alias, row.user_email, row.user_role, row.organization_id],
  createFields: [
    { name: 'user_id', label: 'User id', kind: 'text', hint: 'Generated when empty.' },
    { name: 'user_email', label: 'Email', kind: 'text' },
    { name: 'user_role', label: 'Role', kind: 'select', options: ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] },
    { name: 'teams', label: 'Teams', kind: 'list' },
    ...limitFields,
  ],
  create: async (body) => {
    // The console creates keys on the Keys page, where the value is shown once.
    await api.post('/user/new', { ...body, auto_create_key: false });
    return undefined;
  },
  editFields: [{ name: 'user_alias', label: 'Name', kind: 'text' }, ...limitFields],
  update: async (row, body) => {
    await api.post('/user/update', { user_id: row.user_id, ...body });
  },
  remove: async (row) => {
    await api.post('/user/delete', { user_ids: [row.user_id] });
  },
  removeWarning: (row) => `Deleting ${row.user_email || row.user_id} also deletes all of their keys.`,
  details: (row) => <UserTeams user={row} />,
  detailsLabel: 'Teams',
};

function OrganizationTeams(props: { organization: Row }) {
  const [teams, setTeams] = useState<Row[] | undefined>();
  useEffect(() => {
    api.get<{ teams: Row[] }>('/organization/info', { organization_id: props.organization.organization_id }).then(
      (answer) => setTeams(answer.teams),
      () => setTeams([]),
    );
  }, [props.organization.organization_id]);
  return (
    <ul class="members">
      {(teams ?? []).map((team) => <li key={team.team_id}>{team.team_alias ?? team.team_id} <span class="muted">{formatBudget(team.spend ?? 0)}</span></li>)}
      {teams && teams.length === 0 ? <li class="muted">No teams.</li> : null}
    </ul>
  );
}

export const organizationConfig: EntityConfig = {
  noun: 'organisation',
  title: 'Organisations',
  idOf: (row) => row.organization_id,
  labelOf: (row) => row.organization_alias || row.organization_id,
  load: () => api.get<Row[]>('/organization/list'),
  columns: [
    { label: 'Organisation', cell: (row) => <span><strong>{row.organization_alias}</strong><br /><code class="muted">{row.organization_id}</code></span> },
    modelsColumn,
    budgetColumn,
    limitsColumn,
    statusColumn,
  ],
  searchTexts: (row) => [row.organization_id, row.organization_alias],
  createFields: [
    { name: 'organization_id', label: 'Organisation id', kind: 'text', hint: 'Generated when empty.' },
    { name: 'organization_alias', label: 'Name', kind: 'text', required: true },
    ...limitFields,
  ],
  create: async (body) => {
    await api.post('/organization/new', body);
    return undefined;
  },
  editFields: limitFields,
  update: async (row, body) => {
    await api.post('/organization/update', { organization_id: row.organization_id, ...body });
  },
  remove: async (row) => {
    await api.post('/organization/delete', { organization_ids: [row.organization_id] });
  },
  removeWarning: (row) => `${row.organization_alias} can be deleted only once no team belongs to it.`,
  details: (row) => <OrganizationTeams organization={row} />,
  detailsLabel: 'Teams',
};
