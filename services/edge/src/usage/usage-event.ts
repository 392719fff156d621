import type { IncomingHttpHeaders } from 'node:http';
import type { Identity, Start, Usage, UsageEvent, UsageStatus } from '@sluice/proto';

const MODEL_PARAMETERS = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'reasoning_effort',
] as const;
const MAX_METADATA_KEYS = 32;
const MAX_METADATA_VALUE = 512;

export interface UsageFacts {
  requestId: string;
  identity: Identity | undefined;
  callType: string;
  modelGroup: string;
  body: Record<string, unknown>;
  /** requestEndUser() and requestTags() of the request, as policy counted them. */
  endUser: string;
  tags: string[];
  stream: boolean;
  start: Start | undefined;
  usage: Usage;
  startTimeMs: number;
  firstTokenTimeMs: number;
  endTimeMs: number;
  overheadUs: number;
  status: UsageStatus;
  errorCode: string;
  httpStatus: number;
  /** Set only when message recording is on. */
  messagesJson: string;
  responseJson: string;
  traceparent: string;
  /** Admitted from a lease: which one, and the estimate taken from it. */
  lease?: { id: string; tokens: number; costNanos: number } | undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, MAX_METADATA_VALUE) : '';
}

const NO_TAGS: string[] = [];

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return text(Array.isArray(value) ? value[0] : value);
}

/**
 * The end user (LiteLLM's customer) as LiteLLM finds it: the x-litellm-customer-id header, then
 * x-litellm-end-user-id, then the body's OpenAI `user`. The ledger records it and policy counts it.
 */
export function requestEndUser(headers: IncomingHttpHeaders, body: Record<string, unknown>): string {
  return header(headers, 'x-litellm-customer-id') || header(headers, 'x-litellm-end-user-id') || text(body.user);
}

/** LiteLLM's x-litellm-tags header: tags (for tag routing and spend tracking), separated by commas. */
export function headerTags(value: string | string[] | undefined): string[] {
  if (value === undefined) return NO_TAGS;
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

/** The request's own tags: metadata.tags and the x-litellm-tags header, each once. */
export function requestTags(headers: IncomingHttpHeaders, body: Record<string, unknown>): string[] {
  const metadata = body.metadata;
  const listed = metadata && typeof metadata === 'object' && !Array.isArray(metadata) ? (metadata as Record<string, unknown>).tags : undefined;
  const fromBody = Array.isArray(listed) ? listed.filter((tag): tag is string => typeof tag === 'string') : NO_TAGS;
  const fromHeader = headerTags(headers['x-litellm-tags']);
  if (fromHeader.length === 0) return fromBody.length === 0 ? NO_TAGS : fromBody.slice(0, MAX_METADATA_KEYS);
  return [...new Set([...fromBody, ...fromHeader])].slice(0, MAX_METADATA_KEYS).map((tag) => tag.slice(0, MAX_METADATA_VALUE));
}

/** What the client attached in `metadata` (LiteLLM's tags, trace_id, session_id, generation_name). */
function readMetadata(body: Record<string, unknown>) {
  const metadata = body.metadata;
  const out = { traceId: '', sessionId: '', generationName: '', rest: Object.create(null) as Record<string, string> };
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return out;
  const record = metadata as Record<string, unknown>;
  out.traceId = text(record.trace_id);
  out.sessionId = text(record.session_id);
  out.generationName = text(record.generation_name);
  let kept = 0;
  for (const [key, value] of Object.entries(record)) {
    if (kept >= MAX_METADATA_KEYS) break;
    if (key === 'tags' || key === 'trace_id' || key === 'session_id' || key === 'generation_name') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out.rest[key] = String(value).slice(0, MAX_METADATA_VALUE);
      kept += 1;
    }
  }
  return out;
}

function modelParameters(body: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const name of MODEL_PARAMETERS) {
    if (body[name] !== undefined && body[name] !== null) {
      out[name] = body[name];
      any = true;
    }
  }
  return any ? JSON.stringify(out) : '';
}

export function buildUsageEvent(facts: UsageFacts): UsageEvent {
  const identity = facts.identity;
  const metadata = readMetadata(facts.body);
  return {
    schemaVersion: 1,
    requestId: facts.requestId,
    keyHash: identity?.keyHash ?? '',
    keyAlias: identity?.keyAlias ?? '',
    teamId: identity?.teamId ?? '',
    userId: identity?.userId ?? '',
    organizationId: identity?.organizationId ?? '',
    endUser: facts.endUser,
    callType: facts.callType,
    modelGroup: facts.modelGroup,
    deploymentId: facts.start?.deploymentId ?? '',
    provider: facts.start?.provider ?? '',
    model: facts.start?.model ?? '',
    apiBaseHost: facts.start?.apiBaseHost ?? '',
    stream: facts.stream,
    promptTokens: facts.usage.promptTokens,
    completionTokens: facts.usage.completionTokens,
    cacheCreationTokens: facts.usage.cacheCreationTokens,
    cachedTokens: facts.usage.cachedTokens,
    reasoningTokens: facts.usage.reasoningTokens,
    costMicros: facts.usage.costMicros,
    usageEstimated: facts.usage.estimated,
    startTimeMs: facts.startTimeMs,
    firstTokenTimeMs: facts.firstTokenTimeMs,
    endTimeMs: facts.endTimeMs,
    overheadUs: facts.overheadUs,
    status: facts.status,
    errorCode: facts.errorCode,
    httpStatus: facts.httpStatus,
    attempts: facts.start?.attempts ?? 0,
    cacheHit: facts.start?.cacheHit ?? false,
    cacheKey: facts.start?.cacheKey ?? '',
    tags: identity && identity.tags.length > 0 ? [...new Set([...facts.tags, ...identity.tags])] : facts.tags,
    traceId: metadata.traceId,
    sessionId: metadata.sessionId,
    generationName: metadata.generationName,
    metadata: metadata.rest,
    modelParametersJson: modelParameters(facts.body),
    messagesJson: facts.messagesJson,
    responseJson: facts.responseJson,
    traceparent: facts.traceparent,
    costNanos: facts.usage.costNanos,
    priceSource: facts.usage.priceSource,
    cacheWrite5mTokens: facts.usage.cacheWrite5mTokens,
    cacheWrite1hTokens: facts.usage.cacheWrite1hTokens,
    leaseId: facts.lease?.id ?? '',
    leaseTokens: facts.lease?.tokens ?? 0,
    leaseCostNanos: facts.lease?.costNanos ?? 0,
  };
}
