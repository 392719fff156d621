import { runService } from '@sluice/common';
import { startRouter } from './router-service.js';

await runService('router', startRouter);
