import { runService } from '@sluice/common';
import { startEdge } from './server.js';

await runService('edge', startEdge, (settings) => settings.edge.drainTimeoutMs);
