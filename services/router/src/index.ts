export { startRouter, type RouterOptions, type RunningRouter } from './router-service.js';
// For the benchmarks of stream translation.
export { createSseDecoder } from './providers/shared/sse-decoder.js';
export { providerFor } from './providers/provider-registry.js';
export type { AdapterContext } from './providers/provider-adapter.js';
export { createEventStreamCodec } from './providers/shared/aws-event-stream-decoder.js';
// `npm run check-config` and the LiteLLM config corpus test.
export { checkConfig, type ConfigCheck } from './cli/check-config.js';
