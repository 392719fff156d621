import { langfuseOtlpValidator } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { spanIdFor, toOtlpTraceRequest, traceIdFor } from './otlp-traces.js';
import type { TraceRow } from './trace-row.js';

const validate = langfuseOtlpValidator();

function row(overrides: Partial<TraceRow> = {}): TraceRow {
  return {
    request_id: '0190f2a4-5b6c-7d8e-9f00-112233445566',
    key_hash: 'a'.repeat(64),
    key_alias: 'billing-key',
    team_id: 'team-a',
    user_id: 'user-1',
    organization_id: 'org-1',
    end_user: 'customer-9',
    call_type: 'chat_completion',
    model_group: 'gpt-test',
    deployment_id: 'dep-1',
    provider: 'openai',
    model: 'gpt-4.1-nano',
    api_base_host: 'api.openai.com',
    stream: true,
    prompt_tokens: 12,
    completion_tokens: 30,
    total_tokens: 42,
    cached_tokens: 4,
    reasoning_tokens: 0,
    cost_micros: 1_234_567,
    cost_nanos: 1_234_567_000,
    price_source: 'genai-prices@0.1.8',
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    usage_estimated: false,
    start_time: new Date('2026-11-20T10:00:00.000Z'),
    first_token_time: new Date('2026-11-20T10:00:00.250Z'),
    end_time: new Date('2026-11-20T10:00:01.500Z'),
    status: 'success',
    error_code: '',
    http_status: 200,
    attempts: 1,
    cache_hit: false,
    cache_key: '',
    tags: ['prod', 'batch'],
    trace_id: '',
    session_id: 'session-7',
    generation_name: '',
    metadata: { feature: 'search' },
    model_parameters: { temperature: 0.2, max_tokens: 100 },
    messages: [{ role: 'user', content: 'CANARY-PROMPT' }],
    response: { choices: [{ message: { content: 'CANARY-ANSWER' } }] },
    ...overrides,
  };
}

const attributes = (body: ReturnType<typeof toOtlpTraceRequest>, index = 0) =>
  Object.fromEntries(body.resourceSpans[0]!.scopeSpans[0]!.spans[index]!.attributes.map((a) => [a.key, Object.values(a.value)[0]]));

describe('OTLP export body', () => {
  test('matches the Langfuse spec (OpenAPI and fern) and carries the generation', () => {
    const body = toOtlpTraceRequest([row(), row({ request_id: 'r2', status: 'failure', error_code: 'upstream_error', first_token_time: null })], {
      messages: true,
      serviceVersion: '1.2.3',
    });
    expect(validate(body)).toEqual([]);
    const span = body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(span.traceId).toBe('0190f2a45b6c7d8e9f00112233445566');
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.startTimeUnixNano).toBe('1795168800000000000');
    expect(span.endTimeUnixNano).toBe('1795168801500000000');
    expect(span.status).toEqual({ code: 1 });
    const first = attributes(body);
    expect(first['langfuse.observation.type']).toBe('generation');
    expect(first['langfuse.observation.model.name']).toBe('gpt-4.1-nano');
    expect(JSON.parse(first['langfuse.observation.usage_details'] as string)).toEqual({ input: 12, output: 30, total: 42, cache_read_input_tokens: 4 });
    expect(JSON.parse(first['langfuse.observation.cost_details'] as string)).toEqual({ total: 1.234567 });
    expect(JSON.parse(first['langfuse.observation.model.parameters'] as string)).toEqual({ temperature: 0.2, max_tokens: 100 });
    expect(first['langfuse.observation.completion_start_time']).toBe('2026-11-20T10:00:00.250Z');
    expect(first['user.id']).toBe('customer-9');
    expect(first['session.id']).toBe('session-7');
    expect(JSON.parse(first['langfuse.trace.tags'] as string)).toEqual(['prod', 'batch']);
    expect(first['langfuse.trace.metadata.key_alias']).toBe('billing-key');
    expect(first['langfuse.trace.metadata.team_id']).toBe('team-a');
    expect(first['langfuse.trace.metadata.feature']).toBe('search');
    expect(first['langfuse.observation.input']).toContain('CANARY-PROMPT');
    expect(first['langfuse.observation.output']).toContain('CANARY-ANSWER');

    const failed = attributes(body, 1);
    expect(failed['langfuse.observation.level']).toBe('ERROR');
    expect(failed['langfuse.observation.status_message']).toBe('upstream_error');
    expect(failed['langfuse.observation.completion_start_time']).toBeUndefined();
    expect(body.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.status).toEqual({ code: 2, message: 'upstream_error' });
  });

  test('without message logging no prompt or response leaves the gateway', () => {
    const body = toOtlpTraceRequest([row()], { messages: false, serviceVersion: '1' });
    expect(validate(body)).toEqual([]);
    const text = JSON.stringify(body);
    expect(text).not.toContain('CANARY');
    expect(attributes(body)['langfuse.observation.input']).toBeUndefined();
  });

  test('ids are stable, and requests naming the same trace_id share a trace', () => {
    expect(spanIdFor('r1')).toBe(spanIdFor('r1'));
    expect(spanIdFor('r1')).not.toBe(spanIdFor('r2'));
    const a = traceIdFor({ request_id: 'r1', trace_id: 'conversation-42' });
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdFor({ request_id: 'r2', trace_id: 'conversation-42' })).toBe(a);
    expect(traceIdFor({ request_id: 'r3', trace_id: 'ABCDEF0123456789ABCDEF0123456789' })).toBe('abcdef0123456789abcdef0123456789');
  });

  test('the validator rejects what Langfuse does not document', () => {
    const body = toOtlpTraceRequest([row()], { messages: false, serviceVersion: '1' });
    const span = body.resourceSpans[0]!.scopeSpans[0]!.spans[0]! as unknown as { attributes: unknown[] };
    span.attributes.push({ key: 'tags', value: { arrayValue: { values: [] } } });
    expect(validate(body).join('\n')).toMatch(/arrayValue/);
    expect(validate({})).not.toEqual([]);
  });
});
