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

/** What the client attached in `metadata` (LiteLLM's tags, trace_id, session_id, generation_name). */
function readMetadata(body: Record<string, unknown>) {
  const metadata = body.metadata;
  const out = { tags: [] as string[], traceId: '', sessionId: '', generationName: '', rest: Object.create(null) as Record<string, string> };
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return out;
  const record = metadata as Record<string, unknown>;
  if (Array.isArray(record.tags)) {
    out.tags = record.tags.filter((tag): tag is string => typeof tag === 'string').slice(0, MAX_METADATA_KEYS);
  }
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
    endUser: text(facts.body.user),
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
    tags: identity && identity.tags.length > 0 ? [...new Set([...metadata.tags, ...identity.tags])] : metadata.tags,
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
