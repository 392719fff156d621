import type { LitellmParams } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { Deployment } from '../providers/provider-adapter.js';

/**
 * Request-body fields a deployment's litellm_params may carry as defaults. LiteLLM sends them with
 * every request to that deployment; a value the client sends wins.
 */
export const DEFAULT_BODY_FIELDS = [
  'temperature',
  'max_tokens',
  'max_completion_tokens',
  'top_p',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'stop',
  'reasoning_effort',
] as const;

/** The defaults of one deployment, worked out once when the registry is built; undefined for none. */
export function bodyDefaultsOf(params: LitellmParams): Readonly<Record<string, unknown>> | undefined {
  const defaults: Record<string, unknown> = {};
  for (const field of DEFAULT_BODY_FIELDS) if (params[field] !== undefined) defaults[field] = params[field];
  return Object.keys(defaults).length > 0 ? defaults : undefined;
}

/** The body with the deployment's defaults for the fields the client left out; the same object when none apply. */
export function withDeploymentDefaults(body: Record<string, unknown>, deployment: Deployment, callType: CallType): Record<string, unknown> {
  const defaults = deployment.bodyDefaults;
  // Sampling defaults mean nothing to an embedding call (and its providers reject them).
  if (!defaults || callType === CallType.CALL_TYPE_EMBEDDING) return body;
  let out: Record<string, unknown> | undefined;
  for (const [field, value] of Object.entries(defaults)) {
    if (body[field] !== undefined) continue;
    out ??= { ...body };
    out[field] = value;
  }
  return out ?? body;
}
