import type { UpstreamRequest } from '../providers/provider-adapter.js';

// A self-hosted server that traces (vLLM, TGI, an OpenTelemetry-instrumented proxy) joins the request's
// trace only if the call to it carries a W3C traceparent. With tracing on that is the attempt's own
// client span (so the server's span sits under the attempt that caused it); with tracing off it is the
// client's traceparent as the edge passed it on, so the provider still joins the client's trace.

/** The traceparent for one upstream attempt: the attempt span's when traced, else the request's own. */
export function upstreamTraceparent(attemptTraceparent: string | undefined, requestTraceparent: string): string {
  return attemptTraceparent || requestTraceparent;
}

/** Adds the traceparent header (after any signing: SigV4 signs only the headers it names). */
export function withTraceparent(request: UpstreamRequest, traceparent: string): UpstreamRequest {
  // tracestate is not forwarded: the edge does not pass one on, and a stale one would be wrong.
  if (traceparent !== '') request.headers.traceparent = traceparent;
  return request;
}
