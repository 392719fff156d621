export { startPolicy, type PolicyOptions, type RunningPolicy } from './policy-service.js';
