import { GatewayError } from '@sluice/common';
import type { AdapterContext } from '../provider-adapter.js';

// Fields of an OpenAI request that steer the gateway, or that are harmless to ignore, and never reach a
// provider that does not speak OpenAI's format.
const GATEWAY_FIELDS = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'metadata',
  'cache',
  'fallbacks',
  'tags',
  'mock_response',
  'num_retries',
  'caching',
  'user',
  'store',
  'service_tier',
  'prompt',
  'input',
]);

/**
 * Checks the request's parameters against what an adapter can translate. An unsupported parameter is
 * dropped (and reported in `context.dropped`, which the router logs) when drop_params is on for the
 * deployment or globally; otherwise the request fails with 400 unsupported_parameter naming it. A null
 * value means "not set" in OpenAI's API and is always accepted.
 */
export function checkSupportedParams(context: AdapterContext, body: Record<string, unknown>, supported: ReadonlySet<string>): void {
  const drop = context.deployment.params.drop_params ?? context.dropParams;
  for (const [name, value] of Object.entries(body)) {
    if (value === null || value === undefined || GATEWAY_FIELDS.has(name) || supported.has(name)) continue;
    if (drop) {
      context.dropped.push(name);
      continue;
    }
    throw new GatewayError(
      'unsupported_parameter',
      `The parameter "${name}" is not supported by ${context.deployment.provider}; set drop_params: true to drop it.`,
      { param: name },
    );
  }
}
