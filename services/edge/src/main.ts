// Tracing starts before the service's own modules (and the libraries they load) are imported.
import { startTelemetryFromEnvironment } from '@sluice/common/telemetry';

startTelemetryFromEnvironment('sluice-edge');
const { runService } = await import('@sluice/common');
const { startEdge } = await import('./server.js');

await runService('edge', startEdge, (settings) => settings.edge.drainTimeoutMs);
