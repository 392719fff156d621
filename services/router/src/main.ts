// Tracing starts before the service's own modules (and the libraries they load) are imported.
import { startTelemetryFromEnvironment } from '@sluice/common/telemetry';

startTelemetryFromEnvironment('sluice-router');
const { runService } = await import('@sluice/common');
const { startRouter } = await import('./router-service.js');

await runService('router', startRouter);
