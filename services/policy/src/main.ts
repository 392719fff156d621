// Tracing starts before the service's own modules (and the libraries they load) are imported.
import { startTelemetryFromEnvironment } from '@sluice/common/telemetry';

startTelemetryFromEnvironment('sluice-policy');
const { runService } = await import('@sluice/common');
const { startPolicy } = await import('./policy-service.js');

await runService('policy', startPolicy);
