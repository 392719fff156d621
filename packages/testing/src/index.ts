export * from './repository-paths.js';
export * from './fixtures.js';
export * from './fake-provider.js';
export * from './test-backends.js';
export * from './service-processes.js';
export * from './tcp-proxy.js';
export * from './fake-langfuse.js';
