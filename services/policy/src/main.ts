import { runService } from '@sluice/common';
import { startPolicy } from './policy-service.js';

await runService('policy', startPolicy);
