export { startRouter, type RouterOptions, type RunningRouter } from './router-service.js';
export { createEventStreamCodec } from './providers/shared/aws-event-stream-decoder.js';
