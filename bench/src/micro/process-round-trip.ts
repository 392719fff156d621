import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile } from '../latency-stats.js';

// A child that echoes every byte back: the least a round trip to another process can cost.
const ECHO_SERVER = `
const server = require('node:net').createServer((socket) => { socket.setNoDelay(true); socket.on('data', (data) => socket.write(data)); });
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

export interface ProcessRoundTrip {
  /** One byte there and back between two idle processes, paced like the 200 req/s latency points. */
  pacedP50Us: number;
  pacedP99Us: number;
  /** The same, back to back (both processes stay awake). */
  backToBackP50Us: number;
}

async function timeRoundTrips(socket: Socket, count: number, paceMs: number): Promise<number[]> {
  const micros: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const start = performance.now();
    socket.write('x');
    await once(socket, 'data');
    micros.push((performance.now() - start) * 1000);
    if (paceMs > 0) await sleep(paceMs);
  }
  return micros.sort((a, b) => a - b);
}

/**
 * What one hop costs on this machine before any of our code runs. A request through Sluice makes four
 * round trips between processes that a direct call does not (edge↔policy, policy↔Redis, edge↔router,
 * and client↔edge on top of router↔provider), so four paced round trips are a floor under the added
 * latency at low rates, whatever the services do.
 */
export async function measureProcessRoundTrip(samples: number): Promise<ProcessRoundTrip> {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const socket = connect(Number(line.toString().trim()), '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    await timeRoundTrips(socket, Math.min(100, samples), 0);
    const paced = await timeRoundTrips(socket, samples, 5);
    const backToBack = await timeRoundTrips(socket, samples, 0);
    socket.destroy();
    return { pacedP50Us: quantile(paced, 0.5), pacedP99Us: quantile(paced, 0.99), backToBackP50Us: quantile(backToBack, 0.5) };
  } finally {
    child.kill();
  }
}
