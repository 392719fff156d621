import { describe, expect, test } from 'vitest';
import { bodyFromForm, type FieldSpec, formFromEntity } from './form-body.js';
import { formatErrorRate, groupDeployments, groupHealth } from './model-groups.js';
import { filterRequests, requestRow, type SpendLog } from './request-rows.js';

const log: SpendLog = {
  request_id: 'r1',
  api_key: 'f'.repeat(64),
  spend_micros: 36_460,
  total_tokens: 379,
  prompt_tokens: 300,
  completion_tokens: 79,
  startTime: '2026-11-20T10:00:00.000Z',
  endTime: '2026-11-20T10:00:01.250Z',
  completionStartTime: '2026-11-20T10:00:00.180Z',
  model: 'gpt-4.1-nano',
  model_id: 'dep-1',
  model_group: 'gpt-small',
  custom_llm_provider: 'openai',
  api_base: 'api.openai.com',
  team_id: 'platform',
  status: 'success',
  metadata: { user_api_key_alias: 'billing', http_status: 200 },
};

describe('requests', () => {
  test('a ledger row as the list shows it: alias, deployment, latency and time to first token', () => {
    expect(requestRow(log)).toEqual({
      id: 'r1',
      time: '2026-11-20T10:00:00.000Z',
      keyHash: 'f'.repeat(64),
      keyAlias: 'billing',
      team: 'platform',
      modelGroup: 'gpt-small',
      deployment: 'openai/gpt-4.1-nano (dep-1)',
      status: 'success',
      httpStatus: 200,
      tokens: { prompt: 300, completion: 79, total: 379 },
      costMicros: 36_460,
      latencyMs: 1_250,
      ttftMs: 180,
    });
    const anonymous = requestRow({ ...log, metadata: {}, completionStartTime: null });
    expect(anonymous.keyAlias).toBe('ffffffffff…');
    expect(anonymous.ttftMs).toBeUndefined();
  });

  test('model and status filters', () => {
    const rows = [requestRow(log), requestRow({ ...log, request_id: 'r2', status: 'failure', model_group: 'gpt-large' })];
    expect(filterRequests(rows, { model: '', status: '' })).toHaveLength(2);
    expect(filterRequests(rows, { model: 'gpt-large', status: '' }).map((row) => row.id)).toEqual(['r2']);
    expect(filterRequests(rows, { model: '', status: 'success' }).map((row) => row.id)).toEqual(['r1']);
    expect(filterRequests(rows, { model: 'gpt-large', status: 'success' })).toEqual([]);
  });
});

describe('forms', () => {
  const fields: FieldSpec[] = [
    { name: 'key_alias', label: 'Alias', kind: 'text' },
    { name: 'models', label: 'Models', kind: 'list' },
    { name: 'max_budget', label: 'Max budget', kind: 'number' },
    { name: 'rpm_limit', label: 'RPM', kind: 'number' },
  ];

  test('create leaves empty fields out; edit sends them as null (remove) and an empty list as []', () => {
    const values = { key_alias: ' billing ', models: 'gpt-4o, gpt-4o-mini  x', max_budget: '2.5', rpm_limit: '' };
    expect(bodyFromForm(fields, values, 'create')).toEqual({ key_alias: 'billing', models: ['gpt-4o', 'gpt-4o-mini', 'x'], max_budget: 2.5 });
    expect(bodyFromForm(fields, { ...values, models: '' }, 'edit')).toEqual({ key_alias: 'billing', models: [], max_budget: 2.5, rpm_limit: null });
  });

  test('a bad number or a missing required field is refused before any call', () => {
    expect(() => bodyFromForm(fields, { max_budget: 'ten' }, 'create')).toThrow(/Max budget must be a number/);
    expect(() => bodyFromForm(fields, { rpm_limit: '-1' }, 'create')).toThrow(/RPM/);
    expect(() => bodyFromForm([{ name: 'organization_alias', label: 'Name', kind: 'text', required: true }], {}, 'create')).toThrow(/Name is required/);
  });

  test('an entity back into form text', () => {
    expect(formFromEntity(fields, { key_alias: null, models: ['a', 'b'], max_budget: 25, rpm_limit: undefined })).toEqual({ key_alias: '', models: 'a, b', max_budget: '25', rpm_limit: '' });
  });
});

describe('models', () => {
  const deployment = (name: string, id: string, coolingDown: boolean, requests: number, failures: number) => ({
    model_name: name,
    litellm_params: { model: `openai/${id}` },
    model_info: { id, cooling_down: coolingDown, recent_requests: requests, recent_failures: failures },
  });

  test('deployments grouped by model name with their cooldowns and error rate', () => {
    const groups = groupDeployments([deployment('b', 'b1', false, 5, 0), deployment('a', 'a1', true, 10, 4), deployment('a', 'a2', false, 10, 0)]);
    expect(groups.map((group) => [group.name, group.deployments.length, group.coolingDown, group.requests, group.failures])).toEqual([
      ['a', 2, 1, 20, 4],
      ['b', 1, 0, 5, 0],
    ]);
    expect(groups.map(groupHealth)).toEqual(['degraded', 'up']);
    expect(groupHealth(groupDeployments([deployment('c', 'c1', true, 1, 1)])[0]!)).toBe('down');
  });

  test('error rate', () => {
    expect(formatErrorRate(4, 20)).toBe('20%');
    expect(formatErrorRate(1, 24)).toBe('4.2%');
    expect(formatErrorRate(0, 20)).toBe('0%');
    expect(formatErrorRate(0, 0)).toBe('—');
  });
});
