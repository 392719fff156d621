import { expect, test } from 'vitest';
import { emptyLimitState } from '../entities/limit-state.js';
import type { KeyRecord } from '../keys/key-record.js';
import { allowedModelGroups, buildAccessGroups, modelAllowed } from './model-access.js';

const entity = (kind: 'key' | 'team' | 'organization', models: string[]) => ({
  kind,
  id: kind,
  version: 1,
  limits: { ...emptyLimitState(0), models },
});

function record(key: string[], team?: string[], organization?: string[]): KeyRecord {
  return {
    key: { ...entity('key', key), token: 't', retiredTokens: [], keyName: 'k', keyAlias: null, expiresMs: null, aliases: {}, allowedCacheControls: [] },
    user: undefined,
    team: team ? { ...entity('team', team), kind: 'team', alias: null } : undefined,
    organization: organization ? entity('organization', organization) : undefined,
  };
}

const accessGroups = buildAccessGroups({
  model_list: [
    { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o' }, model_info: { access_groups: ['premium'] } },
    { model_name: 'mini', litellm_params: { model: 'openai/gpt-4o-mini' } },
  ],
});
const configured = ['gpt-4o', 'mini'];

test('every owner that restricts models must allow the request', () => {
  expect(modelAllowed(record([]), ['mini'], accessGroups)).toBe(true);
  expect(modelAllowed(record(['mini']), ['gpt-4o'], accessGroups)).toBe(false);
  expect(modelAllowed(record([], ['mini']), ['gpt-4o'], accessGroups)).toBe(false);
  expect(modelAllowed(record(['gpt-4o'], [], ['mini']), ['gpt-4o'], accessGroups)).toBe(false);
  expect(modelAllowed(record(['*'], ['mini']), ['mini'], accessGroups)).toBe(true);
});

test('access groups, all-team-models, and the name the client sent', () => {
  expect(modelAllowed(record(['premium']), ['gpt-4o'], accessGroups)).toBe(true);
  expect(modelAllowed(record(['premium']), ['mini'], accessGroups)).toBe(false);
  expect(modelAllowed(record(['all-team-models'], ['mini']), ['mini'], accessGroups)).toBe(true);
  expect(modelAllowed(record(['all-team-models'], ['mini']), ['gpt-4o'], accessGroups)).toBe(false);
  // An alias routes "cheap" to mini; listing either name allows it.
  expect(modelAllowed(record(['cheap']), ['mini', 'cheap'], accessGroups)).toBe(true);
});

test('/v1/models lists what is allowed; "none" is not "all"', () => {
  expect(allowedModelGroups(record([]), configured, accessGroups)).toEqual([]);
  expect(allowedModelGroups(record(['premium']), configured, accessGroups)).toEqual(['gpt-4o']);
  expect(allowedModelGroups(record(['gpt-4o'], ['mini']), configured, accessGroups)).toEqual(['']);
});

test('wildcard deployments: restrictions apply to the name the client asked for, and a key may list a pattern', () => {
  // A key allowed only "mini" may not reach a wildcard deployment by asking for another name.
  expect(modelAllowed(record(['mini']), ['openai/gpt-5', 'openai/gpt-5'], accessGroups)).toBe(false);
  expect(modelAllowed(record(['openai/*']), ['openai/gpt-5', 'openai/gpt-5'], accessGroups)).toBe(true);
  expect(modelAllowed(record(['openai/*']), ['anthropic/claude-x', 'anthropic/claude-x'], accessGroups)).toBe(false);
  expect(modelAllowed(record(['openai/*']), ['openai/', 'openai/'], accessGroups)).toBe(false);
  expect(modelAllowed(record(['*-mini']), ['gpt-4o-mini'], accessGroups)).toBe(true);
  expect(modelAllowed(record(['a*b*c']), ['axxbyyc'], accessGroups)).toBe(true);
  expect(modelAllowed(record(['a*b*c']), ['axxcyyb'], accessGroups)).toBe(false);
});
