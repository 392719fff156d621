import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { SERVICE_NODE_FLAGS } from './node-flags.js';

test('this Node.js accepts every service flag (an unknown V8 flag would stop each service at start)', () => {
  const output = execFileSync(process.execPath, [...SERVICE_NODE_FLAGS, '-p', "require('node:v8').getHeapStatistics().total_available_size > 0"], {
    encoding: 'utf8',
  });
  expect(output.trim()).toBe('true');
});
