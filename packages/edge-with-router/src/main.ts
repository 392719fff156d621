// Tracing starts before the services' own modules (and the libraries they load) are imported.
import { startTelemetryFromEnvironment } from '@sluice/common/telemetry';

startTelemetryFromEnvironment('sluice-edge');
const { runService } = await import('@sluice/common');
const { startEdgeWithRouter } = await import('./edge-with-router.js');

await runService('edge', startEdgeWithRouter, (settings) => settings.edge.drainTimeoutMs);
