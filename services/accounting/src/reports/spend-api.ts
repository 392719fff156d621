import { type ErrorCode, type Logger, openAiErrorBody, type SqlClient } from '@sluice/common';
import type { JsonCall, JsonResult } from '@sluice/proto';
import { type DailyColumn, type DailySum, queryDailySpend, queryDailyTagSpend } from './daily-spend-query.js';
import { type DayRange, lastDays, parseDayRange, ReportInputError } from './day-range.js';
import {
  allEndUsers,
  allTagNames,
  globalSpendEndUsers,
  globalSpendLogs,
  globalSpendProvider,
  globalSpendTags,
  globalSpendTeams,
  spendTags,
} from './breakdown-routes.js';
import { keyHashFilter } from './key-hash-filter.js';
import type { SpendFilters } from './spend-filters.js';
import { querySpendLogs } from './spend-logs-query.js';
import { nanosToUsd } from './usd.js';

// The spend routes of LiteLLM's proxy, answered from the ledger; the edge has already checked that the
// caller is an admin. Amounts are USD floats as LiteLLM returns them, with the exact integer nano-USD
// beside them (`*_nanos`) for anyone who needs to add them up, and micro-USD (`*_micros`, which has a
// fraction when the spend is not a whole micro-USD) for clients of earlier releases.

export interface SpendApiOptions {
  sql: SqlClient;
  keyPepper: string | undefined;
  logger: Logger;
  /** general_settings.master_key: a filter by it finds the rows recorded under MASTER_KEY_LABEL. */
  masterKey?: string;
}

const DEFAULT_LOG_LIMIT = 1_000;
const MAX_LOG_LIMIT = 100_000;
const DEFAULT_TOP_LIMIT = 100;
const DEFAULT_WINDOW_DAYS = 30;

type Query = Record<string, string>;

function optional(query: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = query[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

function positiveInteger(query: Query, name: string, fallback: number, max: number): number {
  const raw = optional(query, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ReportInputError(`'${name}' must be a positive integer.`, name);
  return Math.min(value, max);
}

/** start_date / end_date, both or neither; neither gives `fallback`. */
function dateRange(query: Query, fallback: DayRange | undefined): DayRange | undefined {
  const start = optional(query, 'start_date');
  const end = optional(query, 'end_date');
  if (start === undefined && end === undefined) return fallback;
  if (start === undefined) throw new ReportInputError("'start_date' is required with 'end_date'.", 'start_date');
  if (end === undefined) throw new ReportInputError("'end_date' is required with 'start_date'.", 'end_date');
  return parseDayRange(start, end, 'start_date', 'end_date');
}

function filters(query: Query, pepper: string | undefined, masterKey: string | undefined): SpendFilters {
  const apiKey = optional(query, 'api_key');
  return {
    keyHash: apiKey === undefined ? undefined : keyHashFilter(apiKey, pepper, masterKey),
    teamId: optional(query, 'team_id'),
    userId: optional(query, 'user_id', 'internal_user_id'),
  };
}

/** LiteLLM's summarized /spend/logs: per day, the total and its split by key, user and model. */
function summarizeByDay(sums: readonly DailySum[]) {
  const add = (map: Map<string, number>, name: string, nanos: number) => map.set(name, (map.get(name) ?? 0) + nanos);
  const usd = (map: Map<string, number>) => Object.fromEntries([...map].map(([name, nanos]) => [name, nanosToUsd(nanos)]));
  const days = new Map<string, { nanos: number; keys: Map<string, number>; users: Map<string, number>; models: Map<string, number> }>();
  for (const sum of sums) {
    let day = days.get(sum.day);
    if (!day) {
      day = { nanos: 0, keys: new Map(), users: new Map(), models: new Map() };
      days.set(sum.day, day);
    }
    day.nanos += sum.spend_nanos;
    add(day.keys, sum.key_hash, sum.spend_nanos);
    add(day.users, sum.user_id, sum.spend_nanos);
    add(day.models, sum.model_group, sum.spend_nanos);
  }
  return [...days].map(([startTime, day]) => ({
    ...usd(day.keys),
    startTime,
    spend: nanosToUsd(day.nanos),
    spend_micros: day.nanos / 1000,
    spend_nanos: day.nanos,
    users: usd(day.users),
    models: usd(day.models),
  }));
}

interface Grouping {
  column: DailyColumn;
  /** The list's name in each day's entry, and the group's name field(s). */
  list: string;
  name: (sum: DailySum) => Record<string, string>;
  /** What each group is split by in its `metadata`. */
  split: DailyColumn;
}

const GROUPINGS: Record<string, Grouping> = {
  team: { column: 'team_id', list: 'teams', name: (sum) => ({ team_name: sum.team_id, team_id: sum.team_id }), split: 'model_group' },
  api_key: { column: 'key_hash', list: 'keys', name: (sum) => ({ api_key: sum.key_hash, key_alias: sum.key_alias }), split: 'model_group' },
  user: { column: 'user_id', list: 'users', name: (sum) => ({ user_id: sum.user_id }), split: 'model_group' },
  model: { column: 'model_group', list: 'models', name: (sum) => ({ model: sum.model_group }), split: 'provider' },
  provider: { column: 'provider', list: 'providers', name: (sum) => ({ provider: sum.provider }), split: 'model_group' },
  tag: { column: 'tag', list: 'tags', name: (sum) => ({ tag: sum.tag }), split: 'model_group' },
};
GROUPINGS.key = GROUPINGS.api_key!;

interface GroupTotal {
  names: Record<string, string>;
  spend_nanos: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  requests: number;
  failures: number;
  metadata: Array<Record<string, unknown>>;
}

/** /global/spend/report: per day, the chosen groups with their totals and their split. */
function reportByDay(sums: readonly DailySum[], grouping: Grouping) {
  const days = new Map<string, Map<string, GroupTotal>>();
  for (const sum of sums) {
    const groups = days.get(sum.day) ?? new Map<string, GroupTotal>();
    days.set(sum.day, groups);
    const id = sum[grouping.column];
    let group = groups.get(id);
    if (!group) {
      group = { names: grouping.name(sum), spend_nanos: 0, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, requests: 0, failures: 0, metadata: [] };
      groups.set(id, group);
    }
    if (grouping.column === 'key_hash' && sum.key_alias) group.names.key_alias = sum.key_alias;
    group.spend_nanos += sum.spend_nanos;
    group.prompt_tokens += sum.prompt_tokens;
    group.completion_tokens += sum.completion_tokens;
    group.cached_tokens += sum.cached_tokens;
    group.requests += sum.requests;
    group.failures += sum.failures;
    const splitName = grouping.split === 'provider' ? 'provider' : 'model';
    group.metadata.push({
      [splitName]: sum[grouping.split],
      spend: nanosToUsd(sum.spend_nanos),
      spend_micros: sum.spend_nanos / 1000,
      spend_nanos: sum.spend_nanos,
      total_tokens: sum.prompt_tokens + sum.completion_tokens,
      requests: sum.requests,
    });
  }
  return [...days].map(([day, groups]) => ({
    group_by_day: `${day}T00:00:00+00:00`,
    [grouping.list]: [...groups.values()].map((group) => ({
      ...group.names,
      total_spend: nanosToUsd(group.spend_nanos),
      total_spend_micros: group.spend_nanos / 1000,
      total_spend_nanos: group.spend_nanos,
      total_input_tokens: group.prompt_tokens,
      total_output_tokens: group.completion_tokens,
      total_cached_tokens: group.cached_tokens,
      total_requests: group.requests,
      total_failures: group.failures,
      metadata: group.metadata,
    })),
  }));
}

/** Top spenders over a range (default: the last 30 days, as LiteLLM's views). */
function topSpend(sums: readonly DailySum[], column: 'key_hash' | 'model_group', limit: number) {
  const totals = new Map<string, { alias: string; nanos: number }>();
  for (const sum of sums) {
    const total = totals.get(sum[column]) ?? { alias: '', nanos: 0 };
    total.nanos += sum.spend_nanos;
    if (sum.key_alias) total.alias = sum.key_alias;
    totals.set(sum[column], total);
  }
  return [...totals]
    .sort((a, b) => b[1].nanos - a[1].nanos || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([id, total]) =>
      column === 'key_hash'
        ? { api_key: id, key_alias: total.alias, key_name: null, total_spend: nanosToUsd(total.nanos), total_spend_micros: total.nanos / 1000, total_spend_nanos: total.nanos }
        : { model: id, total_spend: nanosToUsd(total.nanos), total_spend_micros: total.nanos / 1000, total_spend_nanos: total.nanos },
    );
}

function reply(status: number, body: unknown): JsonResult {
  return { status, bodyJson: Buffer.from(JSON.stringify(body)) };
}

function failure(code: ErrorCode, message?: string, param: string | null = null): JsonResult {
  const status = code === 'not_found' ? 404 : code === 'invalid_request' ? 400 : 500;
  return reply(status, openAiErrorBody(code, message, param));
}

/** The Accounting.Spend handler: one JsonCall in, one JSON answer out. */
export function createSpendApi(options: SpendApiOptions) {
  const { sql, keyPepper, logger, masterKey } = options;

  /** A JSON object body (LiteLLM's POST /global/spend/end_users); none is an empty one. */
  function bodyObject(bytes: Uint8Array): Record<string, unknown> {
    if (bytes.length === 0) return {};
    const body: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (body === null) return {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new ReportInputError('The body must be a JSON object.', 'body');
    return body as Record<string, unknown>;
  }

  async function answer(route: string, query: Query, body: Uint8Array): Promise<JsonResult> {
    switch (route) {
      case '/spend/tags':
        return reply(200, await spendTags(sql, dateRange(query, undefined)));
      case '/global/spend/tags':
        return reply(200, await globalSpendTags(sql, dateRange(query, lastDays(DEFAULT_WINDOW_DAYS))!, optional(query, 'tags')));
      case '/global/spend/all_tag_names':
        return reply(200, await allTagNames(sql));
      case '/global/all_end_users':
        return reply(200, await allEndUsers(sql));
      case '/global/spend/teams':
        return reply(200, await globalSpendTeams(sql));
      case '/global/spend/provider': {
        // As LiteLLM: both dates are required here.
        const range = dateRange(query, undefined);
        if (!range) throw new ReportInputError("'start_date' and 'end_date' are required.", 'start_date');
        return reply(200, await globalSpendProvider(sql, range));
      }
      case '/global/spend/logs': {
        const apiKey = optional(query, 'api_key');
        return reply(200, await globalSpendLogs(sql, apiKey === undefined ? undefined : keyHashFilter(apiKey, keyPepper, masterKey)));
      }
      case '/global/spend/end_users': {
        const filter = bodyObject(body);
        for (const name of Object.keys(filter)) {
          if (name !== 'startTime' && name !== 'endTime' && name !== 'api_key') throw new ReportInputError(`Unknown parameter: '${name}'.`, name);
        }
        const apiKey = filter.api_key;
        if (apiKey !== undefined && apiKey !== null && typeof apiKey !== 'string') throw new ReportInputError("'api_key' must be a string.", 'api_key');
        return reply(
          200,
          await globalSpendEndUsers(sql, {
            startTime: filter.startTime,
            endTime: filter.endTime,
            keyHash: typeof apiKey === 'string' && apiKey !== '' ? keyHashFilter(apiKey, keyPepper, masterKey) : undefined,
          }),
        );
      }
      case '/spend/logs': {
        const requestId = optional(query, 'request_id');
        const range = dateRange(query, undefined);
        const spendFilters = filters(query, keyPepper, masterKey);
        if (range && requestId === undefined && optional(query, 'summarize') !== 'false') {
          return reply(200, summarizeByDay(await queryDailySpend(sql, range, ['key_hash', 'user_id', 'model_group'], spendFilters)));
        }
        const limit = positiveInteger(query, 'limit', DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT);
        return reply(200, await querySpendLogs(sql, { ...spendFilters, requestId, range, limit }));
      }
      case '/global/spend/report': {
        const range = dateRange(query, lastDays(DEFAULT_WINDOW_DAYS))!;
        const groupBy = optional(query, 'group_by') ?? 'team';
        const grouping = Object.hasOwn(GROUPINGS, groupBy) ? GROUPINGS[groupBy] : undefined;
        if (!grouping) {
          return failure('invalid_request', `'group_by' must be one of team, api_key, user, model, provider, tag; got "${groupBy}".`, 'group_by');
        }
        const sums =
          groupBy === 'tag'
            ? await queryDailyTagSpend(sql, range, filters(query, keyPepper, masterKey))
            : await queryDailySpend(sql, range, [grouping.column, grouping.split], filters(query, keyPepper, masterKey));
        return reply(200, reportByDay(sums, grouping));
      }
      case '/global/spend/keys':
      case '/global/spend/models': {
        const range = dateRange(query, lastDays(DEFAULT_WINDOW_DAYS))!;
        const column = route === '/global/spend/keys' ? 'key_hash' : 'model_group';
        const limit = positiveInteger(query, 'limit', DEFAULT_TOP_LIMIT, MAX_LOG_LIMIT);
        const sums = await queryDailySpend(sql, range, [column], filters(query, keyPepper, masterKey), { perDay: false });
        return reply(200, topSpend(sums, column, limit));
      }
      default:
        return failure('not_found', `Unknown spend route: ${route}`);
    }
  }

  return async function spend(call: JsonCall): Promise<JsonResult> {
    try {
      return await answer(call.route.replace(/^\/v1(?=\/)/, ''), call.query, call.bodyJson);
    } catch (error) {
      if (error instanceof ReportInputError) return failure('invalid_request', error.message, error.param);
      if (error instanceof SyntaxError) return failure('invalid_request', 'The body is not valid JSON.', 'body');
      logger.error({ err: error, route: call.route }, 'spend report failed');
      return failure('internal_error');
    }
  };
}

