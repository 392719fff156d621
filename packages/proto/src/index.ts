// Generated message types and gRPC service definitions; see proto/ for the sources.
export * from './gen/grpc/health/v1/health.js';
export * from './gen/sluice/v1/common.js';
export * from './gen/sluice/v1/usage.js';
export * from './gen/sluice/v1/policy.js';
export * from './gen/sluice/v1/router.js';
export * from './gen/sluice/v1/accounting.js';
