// V8 flags every service runs with: in `npm start`'s children, in the tests and benchmarks, and in the
// container image's ENTRYPOINT (test/containers.test.ts keeps the two lists equal). Both keep each service
// under 150 MB resident at 50 concurrent connections with no measurable change in CPU per request
// (docs/benchmarks.md):
// - under load V8 lets the young generation grow to 48 MiB; 8 MiB semi-spaces cap it at a third of that;
// - after each full collection V8 lets the old generation grow to up to four times what survived before
//   the next one (less when collections are slow). Capped at 1.2 times: the edge with the router in one
//   process sat at 151–154 MiB under load with a cap of twice, 126–134 MiB with 1.2, for 4 µs more
//   collection time per request (76 against 72; survivors are small, so full collections are cheap).
//   `--heap-growing-percent` is not accepted in NODE_OPTIONS, hence the ENTRYPOINT.
// - WebAssembly runs in V8's baseline compiler only. The one module we run is undici's HTTP parser
//   (llhttp, on every upstream response); when it turned hot V8 recompiled its state machine with
//   TurboFan, which held about 30 MiB for 150 ms and set the edge-with-router process's peak at
//   151–154 MiB. Baseline code parses a response within the noise of optimized code (35–39 µs against
//   33–38 per request for undici and a server together); the peak is 122–128 MiB.
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=20', '--liftoff-only'];
