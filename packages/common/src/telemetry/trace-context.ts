import { type Context, ROOT_CONTEXT, type Span, type SpanContext, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';

// W3C trace context as it travels between the services: the edge's request path runs over long-lived
// multiplexed gRPC streams, so a request's traceparent rides in its own message (AuthorizeRequest,
// CompleteRequest, UsageEvent) and in the NATS message headers, not in per-call metadata.

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

interface ParsedTraceparent {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/** Parses a traceparent header; undefined when it is not a valid one (which the spec says to ignore). */
export function parseTraceparent(value: string | undefined): ParsedTraceparent | undefined {
  if (!value || value.length < 55) return undefined;
  const version = value.slice(0, 2);
  // Version 00 is exactly 55 characters; a later version may append fields after a dash.
  if (version === 'ff' || (version === '00' && value.length !== 55) || (value.length > 55 && value[55] !== '-')) return undefined;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!HEX.test(version) || !HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 1 };
}

/** The context whose parent is the remote span a traceparent names; ROOT_CONTEXT when there is none. */
export function contextFromTraceparent(traceparent: string | undefined, tracestate?: string): Context {
  const parsed = parseTraceparent(traceparent);
  if (!parsed) return ROOT_CONTEXT;
  const spanContext: SpanContext = { ...parsed, isRemote: true };
  if (tracestate) spanContext.traceState = new TraceState(tracestate);
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/** The traceparent that makes `span` the parent of whatever receives it. */
export function traceparentOf(span: Span): string {
  const context = span.spanContext();
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags & 1 ? '01' : '00'}`;
}

/** A context whose active span is `span`, to start its children under. */
export function contextWithSpan(span: Span): Context {
  return trace.setSpan(ROOT_CONTEXT, span);
}
