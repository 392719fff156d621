// The mock provider as its own process, so its CPU never competes with the load generator's event loop.
import { startMockUpstream } from './mock-upstream.js';

const latencyMs = Number(process.argv[2] ?? 0);
const upstream = await startMockUpstream(latencyMs);
process.stdout.write(`${JSON.stringify({ port: upstream.port })}\n`);
process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
