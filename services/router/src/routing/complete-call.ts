import { performance } from 'node:perf_hooks';
import { type CancelSignal, type ErrorCode, GatewayError, isErrorCode, type Logger } from '@sluice/common';
import { CallType, type CompletePart, type CompleteRequest } from '@sluice/proto';
import { recordStoredResponse } from '../responses/record-stored-response.js';
import type { ChatMessage, ResponseStore, StoredConversation } from '../responses/response-store.js';
import { needsStoredInput, withStoredInput } from '../responses/continue-natively.js';
import { AnswerRecorder, type CachePlan, type ResponseCache } from '../cache/response-cache.js';
import { createPriceBook, encodePrice, type ModelPrice, type PriceBook } from '@sluice/pricing';
import type { Deployment } from '../providers/provider-adapter.js';
import { deploymentAdapter } from '../providers/provider-registry.js';
import { adapterForCall } from '../providers/inbound/adapter-for-call.js';
import { retryAfterOf } from './attempt-error.js';
import type { CooldownStore } from './cooldown-store.js';
import type { DeploymentStats } from './deployment-stats.js';
import { type DeploymentLimitStore, type Lease, limitsOf, type LimitsOfDeployment } from './deployment-limits.js';
import type { ModelRegistry } from './model-registry.js';
import { backoffMs, countsAgainstDeployment, errorClassOf, errorCodeOf, fallbackKind, retriesFor } from './retry-policy.js';
import type { RoutingSettings } from './routing-settings.js';
import { type AttemptResult, estimatePromptTokens, runAttempt } from './run-attempt.js';
import { type Random, selectDeployment, UNKNOWN_COST } from './select-deployment.js';
import { filterByTags, requestTags } from './filter-by-tags.js';
import { withinContextWindow } from './within-context-window.js';
import { withKeepAlive } from './with-keep-alive.js';
import { upstreamTraceparent } from './upstream-traceparent.js';
import type { CallObservation, RouterObserver } from '../observability/router-observer.js';

export interface CompleteDependencies {
  registry: ModelRegistry;
  logger: Logger;
  settings: RoutingSettings;
  cooldowns: CooldownStore;
  stats: DeploymentStats;
  /** litellm_settings.cache; absent when caching is off. */
  cache?: ResponseCache;
  random?: Random;
  now?: () => number;
  sleep?: (ms: number, signal: CancelSignal) => Promise<void>;
  /** Metrics of every attempt, and spans when tracing is on. */
  observer?: RouterObserver;
  /** Responses API objects created with store: true; absent without a database. */
  responses?: ResponseStore;
  /** Prices deployments (general_settings.prices_file, model_info costs, the built-in table). */
  prices?: PriceBook;
  /** Enforces litellm_params rpm / tpm / max_parallel_requests; absent: they only weigh the shuffle. */
  limits?: DeploymentLimitStore;
}

/** Unique per attempt across replicas: a parallel slot is held under this id. */
const REPLICA_TAG = Math.random().toString(36).slice(2, 10);
let attemptSequence = 0;

function abortableSleep(ms: number, signal: CancelSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Per-request state shared by every attempt, across retries and fallback groups. */
interface CallState {
  request: CompleteRequest;
  body: Record<string, unknown>;
  signal: CancelSignal;
  startedAt: number;
  attempts: number;
  /** The request's Complete span, when traced. */
  observation?: CallObservation | undefined;
  /** Responses API: the conversation behind previous_response_id (null: not found for this key). */
  conversation?: ChatMessage[] | null;
  /** ... and the deployment that made that response (null: a cache hit, or not known). */
  previousDeploymentId?: string | null;
}

/**
 * The router's Complete call: pick a deployment of the model group, attempt it, and on a failure before
 * anything reached the client retry (other deployments first, backing off on the same one) up to
 * num_retries, then move on to the fallback groups. Once the first part is out, the attempt owns the
 * stream to its end: a failure then is a terminal StreamError part after the usage counted so far.
 *
 * With the response cache on, `cached` wraps all of it: a hit is served as these same parts (Start marked
 * cache_hit), and a miss's parts are recorded on their way out and stored once the response is done.
 */
export function createCompleteCall(dependencies: CompleteDependencies) {
  const { registry, logger, settings, cooldowns, stats, cache } = dependencies;
  const random = dependencies.random ?? Math.random;
  const now = dependencies.now ?? Date.now;
  const sleep = dependencies.sleep ?? abortableSleep;
  // A deployment's price depends on its configuration only; the table lookup matches patterns.
  const priceBook = dependencies.prices ?? createPriceBook();
  const prices = new WeakMap<Deployment, { price: ModelPrice | undefined; json: string }>();
  const priceOf = (deployment: Deployment): { price: ModelPrice | undefined; json: string } => {
    let entry = prices.get(deployment);
    if (!entry) {
      const price = priceBook.priceFor(deployment);
      entry = { price, json: encodePrice(price) };
      prices.set(deployment, entry);
    }
    return entry;
  };

  // A deployment's limits depend on its configuration only; most have none and pay nothing for them.
  const limitStore = dependencies.limits;
  const limitsByDeployment = new WeakMap<Deployment, LimitsOfDeployment | null>();
  const limitsFor = (deployment: Deployment): LimitsOfDeployment | undefined => {
    if (!limitStore) return undefined;
    let limits = limitsByDeployment.get(deployment);
    if (limits === undefined) {
      limits = limitsOf(deployment, settings.timeoutMs, settings.defaultMaxParallelRequests) ?? null;
      limitsByDeployment.set(deployment, limits);
    }
    return limits ?? undefined;
  };

  // cost-based-routing compares input plus output per token, in the price's femto-USD.
  const costOf = (deployment: Deployment): number => {
    const { price } = priceOf(deployment);
    return price ? price.input + price.output : UNKNOWN_COST;
  };

  const allowedFailsFor = (code: ErrorCode): number => {
    const errorClass = errorClassOf(code);
    return (errorClass !== undefined ? settings.allowedFailsPolicy?.[errorClass] : undefined) ?? settings.allowedFails;
  };

  async function reportFailure(deployment: Deployment, groupSize: number, error: unknown): Promise<void> {
    const code = errorCodeOf(error);
    if (countsAgainstDeployment(code)) stats.failed(deployment.id);
    // Cooling the only deployment of a group would turn a passing failure into a certain outage.
    if (settings.disableCooldowns || groupSize < 2 || !countsAgainstDeployment(code)) return;
    const cooldownMs = deployment.params.cooldown_time !== undefined ? deployment.params.cooldown_time * 1000 : settings.cooldownMs;
    if (cooldownMs <= 0) return;
    const retryAfterMs = retryAfterOf(error);
    const immediate = code === 'upstream_rate_limited' && retryAfterMs !== undefined;
    const cooled = await cooldowns.recordFailure({
      deploymentId: deployment.id,
      allowedFails: allowedFailsFor(code),
      cooldownMs: immediate ? Math.max(retryAfterMs, 1000) : cooldownMs,
      immediate,
    });
    if (cooled) {
      logger.warn({ deployment: deployment.id, modelGroup: deployment.modelGroup, errorCode: code }, 'deployment cooling down');
      dependencies.observer?.cooledDown(deployment);
    }
  }

  async function* attemptDeployment(state: CallState, deployment: Deployment, groupSize: number, result: AttemptResult = {}): AsyncGenerator<CompletePart> {
    const adapter = adapterForCall(deploymentAdapter(deployment), state.request.callType);
    // A response another deployment made (or the chat bridge) is unknown to this one's provider: its
    // conversation goes as input items instead of the id.
    const rewrite = needsStoredInput(adapter, deployment.id, state.conversation, state.previousDeploymentId);
    const body = rewrite ? withStoredInput(state.body, state.conversation as ChatMessage[]) : state.body;
    state.attempts += 1;
    stats.started(deployment.id);
    const observed = dependencies.observer?.attempt(state.observation, deployment, state.attempts);
    try {
      const attempt = runAttempt(
        {
          request: state.request,
          body,
          ...(rewrite ? { bodyRewritten: true } : {}),
          deployment,
          adapter,
          price: priceOf(deployment).price,
          priceJson: priceOf(deployment).json,
          dropParams: settings.dropParams,
          timeoutMs: deployment.params.timeout !== undefined ? deployment.params.timeout * 1000 : settings.timeoutMs,
          streamTimeoutMs: deployment.params.stream_timeout !== undefined ? deployment.params.stream_timeout * 1000 : settings.streamTimeoutMs,
          idleTimeoutMs: settings.streamIdleTimeoutMs,
          signal: state.signal,
          createdSeconds: Math.floor(now() / 1000),
          ...(state.conversation !== undefined ? { conversation: state.conversation } : {}),
          onDropped: (names) => logger.warn({ deployment: deployment.id, params: names }, 'dropped parameters the provider does not support'),
          traceparent: upstreamTraceparent(observed?.traceparent, state.request.traceparent),
        },
        result,
      );
      for await (const part of attempt) {
        if (part.part?.$case === 'start') {
          part.part.start.attempts = state.attempts;
          part.part.start.upstreamWaitUs = Math.round((performance.now() - state.startedAt) * 1000);
          observed?.firstToken();
        }
        yield part;
      }
    } catch (error) {
      observed?.failed(error);
      throw error;
    } finally {
      stats.ended(deployment.id);
      observed?.end(result);
    }
    if (result.value) {
      stats.latency(deployment.id, result.value.latencyMs);
      stats.tokens(deployment.id, result.value.usage.promptTokens + result.value.usage.completionTokens);
    }
    if (result.midStreamError) {
      const error = new GatewayError(isErrorCode(result.midStreamError) ? result.midStreamError : 'upstream_stream_error');
      void reportFailure(deployment, groupSize, error).catch(() => undefined);
    }
  }

  /**
   * An attempt under a lease: whatever ends it (an answer, a failure, the client going away), the lease
   * ends with it, settled to the tokens the provider reported.
   */
  async function* leasedAttempt(state: CallState, deployment: Deployment, groupSize: number, lease: Lease): AsyncGenerator<CompletePart> {
    const result: AttemptResult = {};
    try {
      yield* attemptDeployment(state, deployment, groupSize, result);
    } finally {
      // Unknown usage (a stream that broke) keeps the estimate; an attempt that produced nothing used none.
      const tokens = result.value ? result.value.usage.promptTokens + result.value.usage.completionTokens : result.midStreamError ? lease.tokens : 0;
      limitStore!.end(lease, tokens);
    }
  }

  /** Tries one model group with retries; returns when an answer went out, throws the last failure otherwise. */
  async function* tryGroup(state: CallState, group: string): AsyncGenerator<CompletePart> {
    const all = registry.group(group) ?? [];
    const tagged = settings.tagFiltering ? filterByTags(all, requestTags(state.body, state.request.tags ?? []), settings.tagMatchAny, group) : all;
    const deployments = settings.preCallChecks ? withinContextWindow(tagged, estimatePromptTokens(state.request.body)) : tagged;
    const failed = new Set<string>();
    // Deployments found at their rpm / tpm / parallel limit during this request, and the soonest one frees up.
    let atLimit: Set<string> | undefined;
    let limitRetryAfterMs = Number.POSITIVE_INFINITY;
    let lastError: unknown;
    let lastDeployment: Deployment | undefined;
    const retryPolicy = settings.groupRetryPolicies.get(group) ?? settings.retryPolicy;
    // The loop ends when a failure has used up the retries its error class gets (retriesFor).
    for (let retry = 0; ; retry += 1) {
      const healthy = deployments.filter((deployment) => !cooldowns.coolingDown(deployment.id) && !atLimit?.has(deployment.id));
      const fresh = healthy.filter((deployment) => !failed.has(deployment.id));
      const deployment = selectDeployment(fresh.length > 0 ? fresh : healthy, settings, stats, random, costOf);
      if (!deployment) {
        lastError ??= atLimit ? limitsReached(group, limitRetryAfterMs) : new GatewayError('no_deployment_available');
        break;
      }
      if (retry > 0) {
        let wait = settings.retryMinMs;
        if (deployment === lastDeployment) {
          const retryAfterMs = retryAfterOf(lastError);
          if (retryAfterMs !== undefined && retryAfterMs > settings.maxRetryAfterMs) break;
          wait = Math.max(wait, backoffMs(retry, settings.retryBaseMs, settings.retryMaxMs, random), retryAfterMs ?? 0);
        }
        dependencies.observer?.retry(group);
        await sleep(wait, state.signal);
        if (state.signal.aborted) return;
      }
      // Reserved after any wait, so a slot is never held by a request that is only sleeping.
      const limits = limitsFor(deployment);
      let lease: Lease | undefined;
      if (limits) {
        const reservation = await limitStore!.reserve(limits, deployment.id, `${REPLICA_TAG}:${(attemptSequence += 1)}`, estimatePromptTokens(state.request.body), now());
        if (!reservation.admitted) {
          (atLimit ??= new Set()).add(deployment.id);
          dependencies.observer?.atLimit(deployment, reservation.reason);
          limitRetryAfterMs = Math.min(limitRetryAfterMs, reservation.retryAfterMs);
          // Nothing was attempted: picking another deployment spends no retry.
          retry -= 1;
          continue;
        }
        lease = reservation.lease;
        if (state.signal.aborted) {
          limitStore!.end(lease, 0);
          return;
        }
      }
      let sent = false;
      try {
        for await (const part of lease ? leasedAttempt(state, deployment, deployments.length, lease) : attemptDeployment(state, deployment, deployments.length)) {
          sent = true;
          yield part;
        }
        return;
      } catch (error) {
        if (state.signal.aborted) return;
        if (sent) throw error;
        lastError = error;
        lastDeployment = deployment;
        failed.add(deployment.id);
        await reportFailure(deployment, deployments.length, error);
        const code = errorCodeOf(error);
        logger.info({ requestId: state.request.requestId, deployment: deployment.id, errorCode: code, retry }, 'attempt failed');
        if (retry >= retriesFor(code, settings.numRetries, retryPolicy)) break;
      }
    }
    throw lastError ?? new GatewayError('no_deployment_available');
  }

  /** LiteLLM's RateLimitError "No deployments available for selected model", with when to try again. */
  function limitsReached(group: string, retryAfterMs: number): GatewayError {
    const seconds = Math.max(1, Math.ceil((Number.isFinite(retryAfterMs) ? retryAfterMs : 1000) / 1000));
    return new GatewayError(
      'deployment_limits_reached',
      `No deployments available for selected model, try again in ${seconds} seconds. Passed model=${group}: every deployment is at its rpm, tpm or max_parallel_requests limit.`,
      { retryAfterSeconds: seconds },
    );
  }

  function fallbackGroups(group: string, error: unknown): string[] {
    switch (fallbackKind(errorCodeOf(error))) {
      case 'context_window':
        return settings.contextWindowFallbacks.get(group) ?? [];
      case 'content_policy':
        return settings.contentPolicyFallbacks.get(group) ?? [];
      case 'general':
        return settings.fallbacks.get(group) ?? settings.defaultFallbacks.filter((name) => name !== group);
      default:
        return [];
    }
  }

  async function* produce(state: CallState): AsyncGenerator<CompletePart> {
    const primary = state.request.modelGroup;
    try {
      yield* tryGroup(state, primary);
      return;
    } catch (error) {
      if (state.signal.aborted) return;
      let lastError = error;
      const groups = fallbackGroups(primary, error).filter((name) => name !== primary && registry.group(name)).slice(0, settings.maxFallbacks);
      for (const group of groups) {
        logger.info({ requestId: state.request.requestId, from: primary, to: group, errorCode: errorCodeOf(lastError) }, 'falling back');
        dependencies.observer?.fallback(primary, group);
        try {
          yield* tryGroup(state, group);
          return;
        } catch (fallbackError) {
          if (state.signal.aborted) return;
          lastError = fallbackError;
        }
      }
      throw lastError;
    }
  }

  async function* cached(state: CallState, plan: CachePlan, responseCache: ResponseCache): AsyncGenerator<CompletePart> {
    // A previous_response_id this key does not own is the provider's to refuse (or, at OpenAI, to know):
    // never answered from an entry another key of the team stored.
    if (plan.lookup && state.conversation !== null) {
      const entry = await responseCache.lookup(plan);
      if (entry) {
        yield* responseCache.replay(entry, state.request, plan);
        return;
      }
      if (state.signal.aborted) return;
    }
    const recorder = plan.store ? new AnswerRecorder() : undefined;
    for await (const part of produce(state)) {
      if (part.part?.$case === 'start') part.part.start.cacheKey = plan.key;
      recorder?.add(part);
      yield part;
    }
    if (recorder) {
      const group = registry.group(state.request.modelGroup) ?? [];
      responseCache.storeLater(plan, state.request, recorder, (id) => group.some((deployment) => deployment.id === id));
    }
  }

  /** A Responses call with the store: the conversation it continues looked up first, the answer stored after. */
  async function* withStoredResponses(state: CallState, store: ResponseStore, produce: (state: CallState) => AsyncGenerator<CompletePart>): AsyncGenerator<CompletePart> {
    const previous = state.body.previous_response_id;
    let history: ChatMessage[] = [];
    if (typeof previous === 'string' && previous !== '') {
      let found: StoredConversation | undefined;
      try {
        found = await store.conversation(previous, state.request.owner);
      } catch (error) {
        logger.warn({ err: error, requestId: state.request.requestId }, 'could not read the stored response');
        throw new GatewayError('service_unavailable', 'The stored responses cannot be read right now; try again shortly.');
      }
      state.conversation = found?.messages ?? null;
      state.previousDeploymentId = found?.deploymentId ?? null;
      history = found?.messages ?? [];
    }
    if (state.body.store === false || state.request.owner === '') {
      yield* produce(state);
      return;
    }
    yield* recordStoredResponse(produce(state), state.request, state.body, history, store, logger);
  }

  return function complete(request: CompleteRequest, signal: CancelSignal): AsyncGenerator<CompletePart> {
    const deployments = registry.group(request.modelGroup);
    if (!deployments || deployments.length === 0) {
      throw new GatewayError('model_not_found', `The model "${request.modelGroup}" does not exist.`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new GatewayError('invalid_json');
    }
    const observation = dependencies.observer?.call(request);
    const state: CallState = { request, body, signal, startedAt: performance.now(), attempts: 0, observation };
    const plan = cache?.plan(request, body);
    const responses = request.callType === CallType.CALL_TYPE_RESPONSES ? dependencies.responses : undefined;
    const answer = (current: CallState) => (plan ? cached(current, plan, cache!) : produce(current));
    // The stored conversation is read before the cache: a hit needs to know the previous response is the key's.
    const produced = responses ? withStoredResponses(state, responses, answer) : answer(state);
    // Only a traced call gets the extra generator layer (its span ends when the parts do).
    const parts = observation ? dependencies.observer!.observe(produced, observation) : produced;
    return request.stream ? withKeepAlive(parts, settings.keepAliveIntervalMs) : parts;
  };
}
