import { expect, test } from 'vitest';
import { assignInternalPorts, INTERNAL_PORT_VARIABLES } from './internal-ports.js';

test('unset internal ports become distinct free ports; ports set by the user are kept', async () => {
  const env: NodeJS.ProcessEnv = { SLUICE_ROUTER_PORT: '4999', SLUICE_EDGE_PORT: '4100' };
  const picked = await assignInternalPorts(env);
  expect(picked).not.toContain('SLUICE_ROUTER_PORT');
  expect(picked).toHaveLength(INTERNAL_PORT_VARIABLES.length - 1);
  expect(env.SLUICE_ROUTER_PORT).toBe('4999');
  expect(env.SLUICE_EDGE_PORT).toBe('4100');
  const ports = INTERNAL_PORT_VARIABLES.map((name) => Number(env[name]));
  expect(new Set(ports).size).toBe(ports.length);
  for (const port of ports) expect(port).toBeGreaterThan(0);
});
