export { startEdge, type EdgeOptions, type RunningEdge } from './server.js';
export { buildApp } from './app.js';
