// A light entry point (no gRPC, database or bus code), so a service's main can start the SDK before it
// loads anything else.
import { loadSettings } from '../settings.js';
import { startTelemetry } from './tracing.js';

export * from './tracing.js';
export * from './trace-context.js';
export * from './span-attributes.js';
export { type Context, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';

/**
 * Starts tracing from the environment for the service named. A bad environment is reported later, by
 * runService, with the rest of the settings; tracing just stays off.
 */
export function startTelemetryFromEnvironment(serviceName: string): boolean {
  try {
    return startTelemetry({ serviceName, settings: loadSettings().telemetry });
  } catch {
    return false;
  }
}
