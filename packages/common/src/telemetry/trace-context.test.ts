import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, test } from 'vitest';
import { contextFromTraceparent, parseTraceparent, traceparentOf } from './trace-context.js';
import { shutdownTelemetry, startTelemetry, tracerFor } from './tracing.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  test('a valid header parses; the sampled flag is kept', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.traceFlags).toBe(0);
    // A later version may append fields.
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-extra`)?.traceId).toBe(TRACE);
  });

  test.each([
    ['empty', ''],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with more fields', `00-${TRACE}-${SPAN}-01-extra`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['upper case', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['wrong separators', `00_${TRACE}_${SPAN}_01`],
  ])('%s is ignored', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('tracing with an in-memory exporter', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  startTelemetry({
    serviceName: 'sluice-edge',
    settings: { otlpEndpoint: undefined, serviceName: undefined, disabled: false },
    spanProcessors: [processor],
  });
  // Spans wait for the detected resource attributes (host, process) before they are exported.
  const finished = async () => {
    await processor.forceFlush();
    return exporter.getFinishedSpans();
  };
  afterAll(() => shutdownTelemetry());

  test('a span started from a traceparent is its child, and passes its own traceparent on', async () => {
    const tracer = tracerFor('sluice-edge')!;
    const span = tracer.startSpan('POST /v1/chat/completions', { kind: SpanKind.SERVER }, contextFromTraceparent(`00-${TRACE}-${SPAN}-01`));
    const next = traceparentOf(span);
    span.end();
    const [child] = await finished();
    expect(child!.spanContext().traceId).toBe(TRACE);
    expect(child!.parentSpanContext?.spanId).toBe(SPAN);
    expect(next).toBe(`00-${TRACE}-${child!.spanContext().spanId}-01`);
  });

  test('each service of one process reports under its own service.name (embedded mode)', async () => {
    exporter.reset();
    tracerFor('sluice-edge')!.startSpan('a').end();
    tracerFor('sluice-router')!.startSpan('b').end();
    const services = (await finished()).map((span) => [span.name, span.resource.attributes['service.name']]);
    expect(services.sort()).toEqual([
      ['a', 'sluice-edge'],
      ['b', 'sluice-router'],
    ]);
  });

  test('an unsampled parent makes unsampled children, which export nothing', async () => {
    exporter.reset();
    const span = tracerFor('sluice-edge')!.startSpan('quiet', {}, contextFromTraceparent(`00-${TRACE}-${SPAN}-00`));
    expect(traceparentOf(span).endsWith('-00')).toBe(true);
    span.end();
    expect(await finished()).toHaveLength(0);
  });
});
