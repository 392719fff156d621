// V8 flags every service runs with: in `npm start`'s children, in the tests and benchmarks, and (through
// NODE_OPTIONS) in the container image. Under load V8 lets the young generation grow to 48 MiB; capped
// at 8 MiB semi-spaces each service stays under 150 MB resident at 50 concurrent connections, with no
// measurable change in CPU per request (docs/benchmarks.md).
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
