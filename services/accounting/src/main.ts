import { runService } from '@sluice/common';
import { startAccounting } from './accounting-service.js';

await runService('accounting', startAccounting);
