import type { Target } from '../target.js';

/** The mock provider called directly: the physical limit every gateway is compared with. */
export function directTarget(upstreamPort: number, upstreamPid: number): Target {
  return {
    name: 'direct',
    origin: `http://127.0.0.1:${upstreamPort}`,
    path: '/v1/chat/completions',
    headers: { authorization: 'Bearer sk-bench-upstream' },
    model: 'gpt-4o-mini',
    processes: () => ({ upstream: upstreamPid }),
    stop: async () => undefined,
  };
}
