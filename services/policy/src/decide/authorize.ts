import { type ErrorCode, GatewayError, isSpendRoute, type Logger, MASTER_KEY_LABEL, type SqlClient } from '@sluice/common';
import type { AuthorizeRequest, Decision, Identity, RateLimitState } from '@sluice/proto';
import { apiKeyFormat } from '../keys/api-key-format.js';
import type { KeyCache } from '../keys/key-cache.js';
import { type Entity, entityScopeName, type KeyRecord } from '../keys/key-record.js';
import { displayName, hashKey, secretMatcher } from '../keys/hash-key.js';
import { type LeaseResult, type LimitStore, type ReserveResult, WINDOW_MS, type WindowState } from '../limits/limit-store.js';
import { type GroupPricing, holdEstimate, nanosToRoundedMicros } from '@sluice/pricing';
import { unpricedRefusal } from '../budgets/unpriced-model.js';
import { type RequestScope, requestScopes } from '../limits/request-scopes.js';
import { ledgerSpend } from '../budgets/spend-ledger.js';
import { type AccessGroups, allowedModelGroups, modelAllowed } from './model-access.js';
import { resolveModelAlias } from './resolve-model-alias.js';
import { routeAllowed } from './route-access.js';
import { type RequestEntityCaches, reloadRequestEntities, requestEntities } from './request-entities.js';

export interface AuthorizeDependencies {
  masterKey: string | undefined;
  keyPepper: string | undefined;
  cache: KeyCache;
  /** End users and tags with budgets or limits; without them a request counts against its key's entities only. */
  requestEntities?: RequestEntityCaches;
  store: LimitStore;
  /** The ledger, read only to rebuild a scope's spend when the store has none. */
  sql: SqlClient;
  pricing: ReadonlyMap<string, GroupPricing>;
  /** general_settings.allow_unpriced_models: budgeted callers may use models nothing prices (at $0). */
  allowUnpricedModels?: boolean;
  accessGroups: AccessGroups;
  modelGroups: readonly string[];
  /** Output tokens reserved for a request that sets no max_tokens. */
  defaultMaxTokens: number;
  /** When the store is unreachable: admit requests that only have rate limits (budgets always fail closed). */
  rateLimitFailOpen: boolean;
  now: () => number;
  logger: Logger;
  /** Hashes of the keys declared in general_settings.client_keys, which need not have the generated shape. */
  declaredTokens?: () => ReadonlySet<string>;
  /** Sees the scopes of every decision that reached the store (the budget and limit gauges). */
  watchScopes?: (scopes: readonly RequestScope[], identity: Identity) => void;
  /** Told of every lease granted, with the entity scopes it covers, so an admin change can recall it. */
  leaseGranted?: (leaseId: string, entityScopes: string[], durationMs: number) => void;
}

const NO_LIMIT: RateLimitState = { limit: 0, remaining: 0, resetSeconds: 0 };
/** A decision retries after reloading a stale key or seeding spend; more than this is a bug or a storm. */
const MAX_ATTEMPTS = 3;

function decision(fields: Partial<Decision>): Decision {
  return {
    allowed: false,
    errorCode: '',
    message: '',
    retryAfterSeconds: 0,
    identity: undefined,
    modelGroup: '',
    requests: NO_LIMIT,
    tokens: NO_LIMIT,
    allowedModels: [],
    reservedTokens: 0,
    reservedCostMicros: 0,
    holdsParallelSlot: false,
    requestId: '',
    reservedCostNanos: 0,
    lease: undefined,
    recalledLeaseIds: [],
    ...fields,
  };
}

/** The answer when no decision could be made: the edge turns the code into a 503 with this message. */
export function undecided(error: unknown): Decision {
  return error instanceof GatewayError ? deny(error.code, error.message) : deny('policy_unavailable');
}

function deny(errorCode: ErrorCode, message = '', fields: Partial<Decision> = {}): Decision {
  return decision({ ...fields, allowed: false, errorCode, message });
}

function identityOf(record: KeyRecord): Identity {
  return {
    keyHash: record.key.token,
    keyAlias: record.key.keyAlias ?? '',
    teamId: record.team?.id ?? '',
    teamAlias: record.team?.alias ?? '',
    userId: record.user?.id ?? '',
    organizationId: record.organization?.id ?? '',
    isAdmin: record.user?.role === 'proxy_admin',
    isMasterKey: false,
    keyName: record.key.keyName,
    tags: recordTags(record),
  };
}

/** LiteLLM keeps a key's and a team's tags in metadata.tags; a request carries both. */
function recordTags(record: KeyRecord): string[] {
  const tags = new Set<string>();
  for (const metadata of [record.key.limits.metadata, record.team?.limits.metadata]) {
    const list = metadata?.tags;
    if (Array.isArray(list)) for (const tag of list) if (typeof tag === 'string' && tag !== '') tags.add(tag);
  }
  return [...tags];
}

function usd(nanos: number): string {
  return `$${(nanos / 1_000_000_000).toFixed(6).replace(/0{1,4}$/, '')}`;
}

/** "key", "team t-1", "organization acme", "key for model gpt-4o". */
function scopeLabel(scope: RequestScope): string {
  const [kind, ...rest] = scope.name.split(':');
  const id = rest.join(':');
  const names: Record<string, string> = { k: 'key', u: 'user', t: 'team', o: 'organization', e: 'end user', g: 'tag' };
  const entity = names[kind!.charAt(0)] ?? 'scope';
  const model = scope.spend.modelGroup;
  const who = entity === 'key' ? 'key' : `${entity} ${model ? id.slice(0, id.length - model.length - 1) : id}`;
  return model ? `${who} for model ${model}` : who;
}

/** The tightest of the scopes' limits of one kind, as OpenAI's x-ratelimit-* values. */
function tightest(scopes: readonly RequestScope[], windows: readonly WindowState[], kind: 'rpm' | 'tpm', nowMs: number): RateLimitState {
  let best: RateLimitState = NO_LIMIT;
  for (const [index, scope] of scopes.entries()) {
    const limit = scope[kind];
    const window = windows[index];
    if (limit <= 0 || !window) continue;
    const used = kind === 'rpm' ? window.requests : window.tokens;
    const remaining = Math.max(0, limit - used);
    if (best.limit === 0 || remaining < best.remaining) {
      best = { limit, remaining, resetSeconds: Math.max(1, Math.ceil((window.windowStartMs + WINDOW_MS - nowMs) / 1000)) };
    }
  }
  return best;
}

function denial(result: Extract<ReserveResult, { kind: 'denied' }>, scopes: readonly RequestScope[], nowMs: number): Decision {
  const scope = scopes[result.scope]!;
  const label = scopeLabel(scope);
  const windows = scopes.map((_, index) => (index === result.scope ? result.window : undefined)) as WindowState[];
  const limits = { requests: tightest(scopes, windows, 'rpm', nowMs), tokens: tightest(scopes, windows, 'tpm', nowMs) };
  const retryAfterSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  switch (result.reason) {
    case 'budget':
      return deny(
        'budget_exceeded',
        `Budget exceeded for ${label}: spent ${usd(result.spentNanos)} and ${usd(result.reservedNanos)} held by requests in flight, of a budget of ${usd(scope.budget)}.`,
        limits,
      );
    case 'rpm':
      return deny('rate_limit_requests', `Rate limit reached for ${label}: ${scope.rpm} requests per minute.`, {
        ...limits,
        requests: { ...limits.requests, remaining: 0 },
        retryAfterSeconds,
      });
    case 'tpm':
      return deny('rate_limit_tokens', `Rate limit reached for ${label}: ${scope.tpm} tokens per minute.`, {
        ...limits,
        tokens: { ...limits.tokens, remaining: 0 },
        retryAfterSeconds,
      });
    case 'parallel':
      return deny('parallel_request_limit', `Too many requests in flight for ${label}: at most ${scope.parallel} at a time.`, {
        ...limits,
        retryAfterSeconds,
      });
  }
}

/** The decision for one request: who is calling, may they, and what is reserved for them. */
export function createAuthorize(dependencies: AuthorizeDependencies) {
  const { masterKey, keyPepper, cache, store, logger } = dependencies;
  const isMasterKey = masterKey ? secretMatcher(masterKey) : () => false;
  // Per cached record (a new record replaces the old one on reload, so these never go stale).
  const identities = new WeakMap<KeyRecord, Identity>();
  const allowedModelsOf = new WeakMap<KeyRecord, string[]>();
  const identityFor = (record: KeyRecord): Identity => {
    let identity = identities.get(record);
    if (!identity) {
      identity = identityOf(record);
      identities.set(record, identity);
    }
    return identity;
  };
  const allowedModelsFor = (record: KeyRecord): string[] => {
    let allowed = allowedModelsOf.get(record);
    if (!allowed) {
      allowed = allowedModelGroups(record, dependencies.modelGroups, dependencies.accessGroups);
      allowedModelsOf.set(record, allowed);
    }
    return allowed;
  };

  const masterDecision = (request: AuthorizeRequest): Decision =>
    decision({
      allowed: true,
      identity: {
        keyHash: MASTER_KEY_LABEL,
        keyAlias: 'master',
        teamId: '',
        teamAlias: '',
        userId: '',
        organizationId: '',
        isAdmin: true,
        isMasterKey: true,
        keyName: displayName(masterKey!),
        tags: [],
      },
      modelGroup: request.model,
    });

  // Concurrent first requests of a scope share one ledger query: a burst on a new key must not become a
  // burst of database queries.
  const seeding = new Map<string, Promise<void>>();

  function seedScope(scope: RequestScope): Promise<void> {
    const id = `${scope.name}\n${scope.periodStart}`;
    let running = seeding.get(id);
    if (!running) {
      running = ledgerSpend(dependencies.sql, scope.spend)
        .then((spentNanos) => store.seed([{ name: scope.name, periodStart: scope.periodStart, spentNanos }]))
        .finally(() => seeding.delete(id));
      seeding.set(id, running);
    }
    return running;
  }

  /** Fills `spent` for scopes the store has never counted, from the ledger. */
  async function seed(scopes: RequestScope[], indexes: number[]): Promise<void> {
    await Promise.all(indexes.map((index) => seedScope(scopes[index]!)));
  }

  /** Blocked, expired and model checks, from the cached record alone. */
  function check(record: KeyRecord, request: AuthorizeRequest, modelGroup: string): Decision | undefined {
    const identity = identityFor(record);
    const nowMs = dependencies.now();
    if (record.key.limits.blocked) return deny('key_blocked', '', { identity });
    if (record.key.expiresMs !== null && record.key.expiresMs <= nowMs) {
      return deny('key_expired', `This key expired at ${new Date(record.key.expiresMs).toISOString()}.`, { identity });
    }
    if (record.user?.limits.blocked) return deny('user_blocked', '', { identity });
    if (record.team?.limits.blocked) return deny('team_blocked', `Team ${record.team.id} is blocked.`, { identity });
    if (record.organization?.limits.blocked) return deny('organization_blocked', `Organization ${record.organization.id} is blocked.`, { identity });
    const allowedRoutes = record.key.allowedRoutes ?? [];
    if (allowedRoutes.length > 0 && !routeAllowed(allowedRoutes, { route: request.route, admin: request.adminRoute, method: request.adminRoute ? 'GET' : 'POST' })) {
      return deny('route_not_allowed', `This key is not allowed to call ${request.route}; allowed: ${allowedRoutes.join(', ')}.`, { identity });
    }
    if (request.adminRoute) {
      // LiteLLM's permissions.get_spend_routes: a key that is not an admin may read the spend routes.
      if (identity.isAdmin || (record.key.spendRoutes === true && isSpendRoute(request.route))) return undefined;
      return deny('admin_only', '', { identity });
    }
    if (!request.checkOnly && request.endUser === '' && record.key.enforcedParams?.includes('user')) {
      return deny('invalid_request', "This key must send 'user' on every request (enforced_params).", { identity });
    }
    if (request.model !== '' && !modelAllowed(record, [modelGroup, request.model], dependencies.accessGroups)) {
      return deny('model_not_allowed', `This key is not allowed to use model '${request.model}'.`, { identity });
    }
    const allowedControls = record.key.allowedCacheControls;
    if (request.cacheControls.length > 0 && allowedControls.length > 0) {
      const refused = request.cacheControls.find((control) => !allowedControls.includes(control));
      if (refused !== undefined) {
        return deny('cache_control_not_allowed', `This key is not allowed to set "${refused}" as a cache control; allowed: ${allowedControls.join(', ')}.`, {
          identity,
        });
      }
    }
    return undefined;
  }

  /**
   * The key's record under the first of its candidate hashes that has one. A record found under a hash
   * of the other kind is no match (a peppered hash and a plain one can only meet by a collision).
   */
  async function lookUp(apiKey: string): Promise<{ token: string; record: KeyRecord | null }> {
    const token = hashKey(apiKey, keyPepper);
    const record = await cache.get(token);
    if (!keyPepper) return { token, record };
    if (record && record.key.hashKind !== 'sha256') return { token, record };
    // With a pepper, keys imported from LiteLLM are stored under LiteLLM's plain SHA-256.
    const plain = hashKey(apiKey, undefined);
    const imported = await cache.get(plain);
    return imported?.key.hashKind === 'sha256' ? { token: plain, record: imported } : { token, record: null };
  }

  async function decide(request: AuthorizeRequest, apiKey: string): Promise<Decision> {
    let record: KeyRecord | null;
    let token: string;
    try {
      ({ token, record } = await lookUp(apiKey));
    } catch (error) {
      logger.warn({ err: error }, 'cannot load key; database unavailable');
      return deny('policy_unavailable', '', { retryAfterSeconds: 1 });
    }
    /**
     * The store saw a newer version of a cached entity: reload it (the key's record, or the request's end
     * user and tags) to decide again, or refuse.
     */
    const reload = async (attempt: number, identity: Identity, scope: RequestScope, extra: readonly Entity[]): Promise<Decision | undefined> => {
      if (attempt >= MAX_ATTEMPTS) return deny('policy_unavailable', '', { identity, retryAfterSeconds: 1 });
      try {
        const kind = scope.name.charAt(0);
        if ((kind === 'e' || kind === 'g') && dependencies.requestEntities) await reloadRequestEntities(dependencies.requestEntities, extra);
        else record = await cache.reload(token);
        return undefined;
      } catch (error) {
        logger.warn({ err: error }, 'key changed but the database is unavailable');
        return deny('policy_unavailable', '', { retryAfterSeconds: 1 });
      }
    };
    // Scopes whose spend the ledger could not rebuild: counted without spend until it answers again.
    const untracked = new Set<string>();
    for (let attempt = 1; ; attempt += 1) {
      if (!record) return deny('invalid_api_key');
      const modelGroup = resolveModelAlias(record, request.model);
      const refused = check(record, request, modelGroup);
      if (refused) return refused;
      const identity = identityFor(record);
      if (request.adminRoute) return decision({ allowed: true, identity });
      const allowedModels = allowedModelsFor(record);
      if (request.checkOnly) return decision({ allowed: true, identity, modelGroup, allowedModels });

      let extra: readonly Entity[] = [];
      if (dependencies.requestEntities) {
        try {
          extra = await requestEntities(dependencies.requestEntities, request.endUser, identity.tags, request.tags);
        } catch (error) {
          logger.warn({ err: error }, 'cannot load end user or tags; database unavailable');
          return deny('policy_unavailable', '', { identity, retryAfterSeconds: 1 });
        }
        const blocked = extra.find((entity) => entity.kind === 'end_user' && entity.limits.blocked);
        if (blocked) return deny('end_user_blocked', `User blocked from making LLM API Calls. User=${blocked.id}`, { identity });
      }
      const scopes = requestScopes(record, modelGroup === request.model ? [modelGroup] : [modelGroup, request.model], extra);
      for (const scope of scopes) if (untracked.has(scope.name)) scope.trackSpend = false;
      const pricing = dependencies.pricing.get(modelGroup);
      if (!dependencies.allowUnpricedModels) {
        const unpriced = unpricedRefusal(modelGroup, pricing, scopes);
        if (unpriced) return deny('model_unpriced', unpriced, { identity, modelGroup });
      }
      const estimate = holdEstimate(pricing, request.estimatedPromptTokens, request.maxTokens, dependencies.defaultMaxTokens, request.choices);
      const nowMs = dependencies.now();
      if (request.leaseOnly) {
        let granted: LeaseResult;
        try {
          // A lease is for requests that name no end user or tags of their own (edge-leases.ts): those
          // count against scopes of their own, so they are decided one by one.
          granted =
            store.lease && request.endUser === '' && request.tags.length === 0
            ? await store.lease({ leaseId: request.requestId, nowMs, requests: request.leaseRequests, tokens: estimate.tokens, costNanos: estimate.costNanos, scopes })
            : { kind: 'none' };
        } catch (error) {
          logger.warn({ err: error }, 'cannot grant a lease; requests are decided one by one');
          granted = { kind: 'none' };
        }
        if (granted.kind === 'stale') {
          const refusal = await reload(attempt, identity, scopes[granted.scope]!, extra);
          if (refusal) return refusal;
          continue;
        }
        if (granted.kind === 'none') return decision({ allowed: true, identity, modelGroup, allowedModels });
        dependencies.watchScopes?.(scopes, identity);
        // Recalled by a change to any entity it covers, and by a budget or limits given to one of the
        // key's tags that had none yet (that tag's scope is not in this lease).
        const covered = new Set(scopes.filter((scope) => scope.version >= 0).map((scope) => scope.name));
        for (const tag of identity.tags) covered.add(entityScopeName('tag', tag));
        dependencies.leaseGranted?.(request.requestId, [...covered], granted.durationMs);
        return decision({
          allowed: true,
          identity,
          modelGroup,
          allowedModels,
          requests: tightest(scopes, granted.windows, 'rpm', nowMs),
          tokens: tightest(scopes, granted.windows, 'tpm', nowMs),
          lease: {
            id: request.requestId,
            requests: granted.requests,
            tokens: granted.tokens,
            costNanos: granted.costNanos,
            durationMs: granted.durationMs,
            pricingJson: JSON.stringify(pricing ?? null),
            defaultMaxTokens: dependencies.defaultMaxTokens,
          },
        });
      }
      let result: ReserveResult;
      try {
        result = await store.reserve({ requestId: request.requestId, nowMs, tokens: estimate.tokens, costNanos: estimate.costNanos, scopes });
        if (result.kind === 'unseeded') {
          try {
            await seed(scopes, result.scopes);
          } catch (error) {
            const budgeted = result.scopes.some((index) => scopes[index]!.budget >= 0);
            logger.warn({ err: error, budgeted }, 'cannot rebuild spend from the ledger');
            if (budgeted) return deny('limits_unavailable', 'Spend cannot be verified right now; try again shortly.', { identity, retryAfterSeconds: 1 });
            // Nothing to enforce there: count requests and tokens without spend until the ledger answers.
            for (const index of result.scopes) untracked.add(scopes[index]!.name);
          }
          if (attempt < MAX_ATTEMPTS) continue;
          return deny('limits_unavailable', '', { identity, retryAfterSeconds: 1 });
        }
      } catch (error) {
        return storeUnavailable(error, scopes, identity, modelGroup, allowedModels);
      }
      if (result.kind === 'stale') {
        const refusal = await reload(attempt, identity, scopes[result.scope]!, extra);
        if (refusal) return refusal;
        continue;
      }
      dependencies.watchScopes?.(scopes, identity);
      if (result.kind === 'denied') return { ...denial(result, scopes, nowMs), identity, modelGroup };
      if (result.kind === 'abandoned') return deny('policy_unavailable', 'The gateway stopped waiting for this decision.', { identity });
      const windows = result.kind === 'ok' ? result.windows : [];
      return decision({
        allowed: true,
        identity,
        modelGroup,
        allowedModels,
        requests: tightest(scopes, windows, 'rpm', nowMs),
        tokens: tightest(scopes, windows, 'tpm', nowMs),
        reservedTokens: estimate.tokens,
        reservedCostMicros: nanosToRoundedMicros(estimate.costNanos),
        reservedCostNanos: estimate.costNanos,
        holdsParallelSlot: result.kind === 'ok' && scopes.some((scope) => scope.parallel > 0),
      });
    }
  }

  function storeUnavailable(error: unknown, scopes: RequestScope[], identity: Identity, modelGroup: string, allowedModels: string[]): Decision {
    const budgeted = scopes.some((scope) => scope.budget >= 0);
    const limited = scopes.some((scope) => scope.rpm > 0 || scope.tpm > 0 || scope.parallel > 0);
    logger.warn({ err: error, budgeted, limited }, 'limit store unavailable');
    if (budgeted || (limited && !dependencies.rateLimitFailOpen)) {
      return deny('limits_unavailable', '', { identity, retryAfterSeconds: 1 });
    }
    // Only rate limits, and the operator chose availability over them (or there is nothing to enforce).
    return decision({ allowed: true, identity, modelGroup, allowedModels });
  }

  return async function authorize(request: AuthorizeRequest): Promise<Decision> {
    if (request.apiKey === '') return deny('missing_api_key');
    if (isMasterKey(request.apiKey)) return masterDecision(request);
    // Refused before any lookup: a mistyped key of our own format, or something that is no `sk-` key.
    if (apiKeyFormat(request.apiKey) === 'malformed') return deny('invalid_api_key');
    return decide(request, request.apiKey);
  };
}
