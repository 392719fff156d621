import { createRequire } from 'node:module';
import { trace, type Tracer } from '@opentelemetry/api';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { TelemetrySettings } from '../settings.js';

// Tracing is off unless an OTLP endpoint is configured: then no SDK is loaded into the tracer
// provider, `tracerFor` answers undefined, and the services skip every span and attribute. Only spans
// the services create by hand exist: no auto-instrumentation (http, grpc, pg, ioredis), because the
// request path is measured in microseconds of CPU and a handful of spans per request is the budget.

interface TelemetryState {
  sdk: NodeSDK;
  processors: SpanProcessor[];
  /** The process's own service name (service.name of the SDK's resource). */
  serviceName: string;
  /** OTEL_SERVICE_NAME was set: every tracer of the process uses it. */
  nameFromEnvironment: boolean;
  tracers: Map<string, Tracer>;
}

let state: TelemetryState | undefined;

export interface TelemetryOptions {
  /** sluice-edge, sluice-policy, sluice-router, sluice-accounting (or sluice for the embedded launcher). */
  serviceName: string;
  settings: TelemetrySettings;
  /** Tests: export to these processors (an in-memory exporter) whatever the settings say. */
  spanProcessors?: SpanProcessor[];
}

const require = createRequire(import.meta.url);

// The SDK is loaded only when tracing is on: importing it costs every process some 20 MiB of memory.
const sdkNode = () => require('@opentelemetry/sdk-node') as typeof SdkNode;
const sdkTrace = () => require('@opentelemetry/sdk-trace') as typeof SdkTrace;
const resources = () => require('@opentelemetry/resources') as typeof Resources;

/** The exporters OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_* describe, each behind a batch processor. */
function spanProcessorsFromEnvironment(): SpanProcessor[] {
  // Not part of sdk-node's public entry point, but the one function that honours every standard
  // variable (exporter list, protocol, OTEL_BSP_*); the version is pinned.
  const utils = require('@opentelemetry/sdk-node/build/src/utils') as { getSpanProcessorsFromEnv(): SpanProcessor[] };
  return utils.getSpanProcessorsFromEnv();
}

/**
 * Starts the OpenTelemetry SDK for this process; call it before anything else is loaded. Returns
 * whether tracing is on. Metrics go to /metrics in Prometheus format and logs to stdout, so the SDK
 * runs traces only.
 */
export function startTelemetry(options: TelemetryOptions): boolean {
  if (state) return true;
  const { settings } = options;
  if (!options.spanProcessors && (settings.disabled || !settings.otlpEndpoint)) return false;
  const processors = options.spanProcessors ?? spanProcessorsFromEnvironment();
  if (processors.length === 0) return false;
  const serviceName = settings.serviceName ?? options.serviceName;
  const sdk = new (sdkNode().NodeSDK)({
    serviceName,
    spanProcessors: processors,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  state = { sdk, processors, serviceName, nameFromEnvironment: settings.serviceName !== undefined, tracers: new Map() };
  return true;
}

/**
 * The tracer of one service, or undefined when tracing is off. In embedded mode one process runs all
 * four services; each still reports under its own service.name, through its own provider sharing the
 * process's exporters.
 */
export function tracerFor(serviceName: string): Tracer | undefined {
  if (!state) return undefined;
  let tracer = state.tracers.get(serviceName);
  if (!tracer) {
    if (serviceName === state.serviceName || state.nameFromEnvironment) {
      tracer = trace.getTracer('sluice');
    } else {
      const { defaultResource, resourceFromAttributes } = resources();
      const provider = new (sdkTrace().TracerProvider)({
        resource: defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName })),
        spanProcessors: state.processors,
      });
      tracer = provider.getTracer('sluice');
    }
    state.tracers.set(serviceName, tracer);
  }
  return tracer;
}

/** Exports what is still queued and stops the SDK (the last step of a shutdown). */
export async function shutdownTelemetry(): Promise<void> {
  const current = state;
  state = undefined;
  if (current) await current.sdk.shutdown();
}
