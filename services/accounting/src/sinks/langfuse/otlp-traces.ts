import { createHash } from 'node:crypto';
import type { TraceRow } from './trace-row.js';

// One request = one OTLP span that Langfuse reads as a trace holding one generation: the span is the
// trace's root, and `langfuse.observation.type = generation` makes it the generation. Attribute names
// follow Langfuse's OpenTelemetry property mapping (`langfuse.trace.*`, `langfuse.observation.*`,
// `user.id`, `session.id`). Ids are derived from the request, so a retried export updates the same
// trace instead of adding a second one.
//
// The body is OTLP/HTTP JSON as Langfuse's API describes it: attribute values are only stringValue,
// intValue, doubleValue or boolValue, so structured values (usage, cost, tags, prompts) travel as JSON
// text, which is also what Langfuse's own SDKs send.

export interface OtlpAttribute {
  key: string;
  value: { stringValue: string } | { intValue: number } | { doubleValue: number } | { boolValue: boolean };
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code: number; message?: string };
}

export interface OtlpTraceRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ scope: { name: string; version: string }; spans: OtlpSpan[] }>;
  }>;
}

export interface OtlpOptions {
  /** Send prompts and responses (message logging on). */
  messages: boolean;
  serviceVersion: string;
}

const SPAN_KIND_CLIENT = 3;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const NANOS_PER_USD = 1_000_000_000;

const hex = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** The client's metadata.trace_id when it names one (so its requests share a trace), else the request. */
export function traceIdFor(row: Pick<TraceRow, 'trace_id' | 'request_id'>): string {
  const source = row.trace_id || row.request_id;
  const compact = source.replaceAll('-', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(compact) && !/^0+$/.test(compact) ? compact : hex(source, 32);
}

export function spanIdFor(requestId: string): string {
  return hex(`span:${requestId}`, 16);
}

const text = (key: string, value: string): OtlpAttribute => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): OtlpAttribute => ({ key, value: { intValue: value } });
const bool = (key: string, value: boolean): OtlpAttribute => ({ key, value: { boolValue: value } });
const json = (key: string, value: unknown): OtlpAttribute => text(key, JSON.stringify(value));

function nanos(date: Date): string {
  return `${date.getTime()}000000`;
}

function level(row: TraceRow): string {
  if (row.status === 'failure') return 'ERROR';
  if (row.status === 'cancelled') return 'WARNING';
  return 'DEFAULT';
}

function usageDetails(row: TraceRow): Record<string, number> {
  const usage: Record<string, number> = {
    input: row.prompt_tokens,
    output: row.completion_tokens,
    total: row.prompt_tokens + row.completion_tokens,
  };
  if (row.cached_tokens > 0) usage.cache_read_input_tokens = row.cached_tokens;
  if (row.reasoning_tokens > 0) usage.reasoning_tokens = row.reasoning_tokens;
  return usage;
}

/** The span for one ledger row. */
export function toSpan(row: TraceRow, options: OtlpOptions): OtlpSpan {
  const failed = row.status === 'failure';
  const attributes: OtlpAttribute[] = [
    text('langfuse.trace.name', `sluice-${row.call_type || 'request'}`),
    text('langfuse.observation.type', 'generation'),
    text('langfuse.observation.model.name', row.model || row.model_group),
    json('langfuse.observation.usage_details', usageDetails(row)),
    json('langfuse.observation.cost_details', { total: row.cost_nanos / NANOS_PER_USD }),
    text('langfuse.observation.level', level(row)),
  ];
  if (row.model_parameters && Object.keys(row.model_parameters).length > 0) {
    attributes.push(json('langfuse.observation.model.parameters', row.model_parameters));
  }
  if (row.first_token_time) attributes.push(text('langfuse.observation.completion_start_time', row.first_token_time.toISOString()));
  if (row.error_code) attributes.push(text('langfuse.observation.status_message', row.error_code));
  const user = row.end_user || row.user_id;
  if (user) attributes.push(text('user.id', user));
  if (row.session_id) attributes.push(text('session.id', row.session_id));
  if (row.tags.length > 0) attributes.push(json('langfuse.trace.tags', row.tags));

  // Who called, as LiteLLM's Langfuse logger reports it, on the trace (for filtering) ...
  const caller: Array<[string, string]> = [
    ['key_alias', row.key_alias],
    ['key_hash', row.key_hash],
    ['team_id', row.team_id],
    ['user_id', row.user_id],
    ['organization_id', row.organization_id],
    ['end_user', row.end_user],
  ];
  for (const [key, value] of caller) if (value) attributes.push(text(`langfuse.trace.metadata.${key}`, value));
  for (const [key, value] of Object.entries(row.metadata ?? {})) attributes.push(text(`langfuse.trace.metadata.${key}`, String(value)));
  // ... and how it was served, on the generation.
  attributes.push(
    text('langfuse.observation.metadata.request_id', row.request_id),
    text('langfuse.observation.metadata.model_group', row.model_group),
    text('langfuse.observation.metadata.status', row.status),
    int('langfuse.observation.metadata.http_status', row.http_status),
    int('langfuse.observation.metadata.attempts', row.attempts),
    bool('langfuse.observation.metadata.stream', row.stream),
    bool('langfuse.observation.metadata.cache_hit', row.cache_hit),
    bool('langfuse.observation.metadata.usage_estimated', row.usage_estimated),
  );
  for (const [key, value] of [
    ['provider', row.provider],
    ['deployment_id', row.deployment_id],
    ['api_base', row.api_base_host],
    ['key_alias', row.key_alias],
  ] as const) {
    if (value) attributes.push(text(`langfuse.observation.metadata.${key}`, value));
  }

  if (options.messages) {
    if (row.messages !== null && row.messages !== undefined) {
      attributes.push(json('langfuse.observation.input', row.messages), json('langfuse.trace.input', row.messages));
    }
    if (row.response !== null && row.response !== undefined) {
      attributes.push(json('langfuse.observation.output', row.response), json('langfuse.trace.output', row.response));
    }
  }

  return {
    traceId: traceIdFor(row),
    spanId: spanIdFor(row.request_id),
    name: row.generation_name || `sluice-${row.call_type || 'request'}`,
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: nanos(row.start_time),
    endTimeUnixNano: nanos(row.end_time),
    attributes,
    status: failed ? { code: STATUS_ERROR, message: row.error_code || 'failure' } : { code: STATUS_OK },
  };
}

/** One OTLP export request for a set of ledger rows. */
export function toOtlpTraceRequest(rows: readonly TraceRow[], options: OtlpOptions): OtlpTraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: [text('service.name', 'sluice'), text('service.version', options.serviceVersion)] },
        scopeSpans: [{ scope: { name: 'sluice-accounting', version: options.serviceVersion }, spans: rows.map((row) => toSpan(row, options)) }],
      },
    ],
  };
}
