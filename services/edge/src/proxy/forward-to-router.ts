import { GatewayError, isErrorCode } from '@sluice/common';
import type { Decision, Identity, RateLimitState } from '@sluice/proto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { extractApiKey } from '../openai/api-key.js';
import { readCacheControl } from '../openai/read-cache-control.js';
import { type ForwardRequest, ProxiedRequest } from './proxied-request.js';
import { authorizeRequest } from '../clients/authorize-request.js';
import { requestEndUser, requestTags } from '../usage/usage-event.js';

function addLimitHeaders(headers: Record<string, string>, kind: 'requests' | 'tokens', state: RateLimitState | undefined) {
  if (!state || state.limit === 0) return;
  headers[`x-ratelimit-limit-${kind}`] = String(state.limit);
  headers[`x-ratelimit-remaining-${kind}`] = String(state.remaining);
  headers[`x-ratelimit-reset-${kind}`] = `${state.resetSeconds}s`;
}

/** OpenAI's x-ratelimit-* headers for the tightest limit that applies to the key. */
export function rateLimitHeaders(decision: Decision): Record<string, string> {
  const headers: Record<string, string> = {};
  addLimitHeaders(headers, 'requests', decision.requests);
  addLimitHeaders(headers, 'tokens', decision.tokens);
  return headers;
}

export function denial(decision: Decision): GatewayError {
  const code = isErrorCode(decision.errorCode) ? decision.errorCode : 'invalid_api_key';
  return new GatewayError(code, decision.message || undefined, {
    ...(decision.retryAfterSeconds > 0 ? { retryAfterSeconds: decision.retryAfterSeconds } : {}),
  });
}

function maxTokens(body: Record<string, unknown>): number {
  const value = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

/** Answers the provider may generate: `n`, or `best_of` (completions generate that many and return n). */
function choices(body: Record<string, unknown>): number {
  const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 1);
  return Math.max(count(body.n), count(body.best_of));
}

/** Whose cached answers a request may see when the cache is namespaced per team: its team's, else its key's own. */
function cacheTenant(identity: Identity | undefined): string {
  if (!identity) return '';
  return identity.teamId ? `team/${identity.teamId}` : `key/${identity.keyHash}`;
}

/** The request path: one policy decision (or one from a lease, with no call), one router stream, one usage event. */
export async function forwardToRouter(
  context: EdgeContext,
  request: FastifyRequest,
  reply: FastifyReply,
  forward: ForwardRequest,
  model: string,
): Promise<void> {
  if (context.state.draining) throw new GatewayError('shutting_down');
  const apiKey = extractApiKey(request.headers, context.options.keyHeader);
  if (apiKey === '') throw new GatewayError('missing_api_key');
  const cacheOptions = context.options.responseCache;
  const requestedCache = cacheOptions.enabled ? readCacheControl(forward.body) : undefined;
  // Who the request is for, read once: policy counts it and the ledger records the same.
  forward.endUser = requestEndUser(request.headers, forward.body);
  forward.tags = requestTags(request.headers, forward.body);
  const ask = {
    apiKey,
    route: forward.route,
    model,
    estimatedPromptTokens: forward.estimatedPromptTokens,
    maxTokens: maxTokens(forward.body),
    choices: choices(forward.body),
    // As the ledger records it (usage-event.ts), so spend rebuilt from the ledger is the same end user's.
    endUser: forward.endUser,
  };
  // Decided by policy one by one: cache controls (checked against the key), and requests naming their own
  // end user or tags, whose budgets and limits are their own scopes: a lease covers the scopes of the
  // request it was asked for, and requests of one key name many end users and tags.
  const cacheControls = requestedCache?.names ?? [];
  const leasable = cacheControls.length === 0 && forward.endUser === '' && forward.tags.length === 0;
  const leased = leasable ? context.leases?.admit(ask, request.id) : undefined;
  const decision =
    leased ??
    (await context.clients.authorize(
      authorizeRequest({ requestId: request.id, ...ask, tags: forward.tags, cacheControls, traceparent: request.traceparent }),
    ));
  request.decision = decision;
  const headers = rateLimitHeaders(decision);
  reply.headers(headers);
  if (!decision.allowed) throw denial(decision);
  // The master key is never limited: there is nothing to lease.
  if (!leased && leasable && decision.identity?.isMasterKey !== true) context.leases?.admitted(ask);
  const proxied = cacheOptions.enabled
    ? { ...forward, cache: requestedCache?.control, cacheNamespace: cacheOptions.namespacePerTeam ? cacheTenant(decision.identity) : '' }
    : forward;
  await new ProxiedRequest(context, request, reply, proxied, decision, headers).execute();
}
