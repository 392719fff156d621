// Tracing starts before the service's own modules (and the libraries they load) are imported.
import { startTelemetryFromEnvironment } from '@sluice/common/telemetry';

startTelemetryFromEnvironment('sluice-accounting');
const { runService } = await import('@sluice/common');
const { startAccounting } = await import('./accounting-service.js');

await runService('accounting', startAccounting);
