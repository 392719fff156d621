export { startEdge, type EdgeOptions, type RunningEdge } from './server.js';
export { buildApp } from './app.js';
export type { InProcessComplete } from './clients/in-process-router-calls.js';
