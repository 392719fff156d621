// Leases: quota for one edge, reserved in Redis by the same counters and in the same all-or-nothing way
// as a request's hold, so the sum of outstanding leases and holds never exceeds what a scope has left.
// Semantics are in limits/limit-store.ts ("Leases"). Like every limit script, each takes KEYS[1] = the
// limit namespace (its key names, the lease record `l:<id>` among them, are built from it, so everything
// one call touches shares the namespace's hash tag and Redis Cluster slot) and KEYS[2] = the fence that
// is never written (see scriptKeys in @sluice/common).
//
// A lease's money is one member `L<lease id>|<held nano-USD>` of each scope's hold set (zc:), so the
// reserve script's sweep frees it when it expires exactly like a hold; the member is rewritten whenever
// the amount still held changes (a request admitted from it settles, or the edge gives the rest back).
// Entity scopes also list the lease in zl: until it ends, which is what an admin change waits on.
import { ROLL_SCOPE_STATE } from './roll-scope-state.js';
import { SWEEP_EXPIRED_HOLDS } from './sweep-expired-holds.js';

// Rewrites one scope's share of a lease's money from `old` to `new` nano-USD (at `score`, or where it
// was); nothing when the member is gone, because the sweep already freed it.
const SET_LEASE_HELD = `
local function money(value) return string.format('%.0f', value) end
local function setLeaseHeld(prefix, name, id, old, new, score)
  local zc = prefix .. 'zc:' .. name
  local member = 'L' .. id .. '|' .. money(old)
  local current = redis.call('ZSCORE', zc, member)
  if not current then return end
  redis.call('ZREM', zc, member)
  redis.call('HINCRBY', prefix .. 's:' .. name, 'rs', new - old)
  if new > 0 then redis.call('ZADD', zc, score or current, 'L' .. id .. '|' .. money(new)) end
end
`;

// Grants a lease, or answers why not. A lease covers `n` requests of `tokens` and `cost` each, where n
// is what the edge asked for, cut so that no scope gives a lease more than 1/share of its limit nor more
// than half of what it has left; below `min` requests there is no lease (near a limit every request is
// decided on its own). Scopes with max_parallel_requests, and budgets with an unpriced model, are never
// leased. The lease ends before the current rate window of any rate-limited scope does, so every request
// admitted from it belongs to the window it was counted in.
//
// ARGV: now, lease ms, margin ms, record ttl, window ms, share, min,
// wanted requests, tokens per request, cost per request, scopes JSON (as the reserve script), lease id.
// Returns {'ok', requests, tokens, cost, duration ms, then each scope's window: requests, tokens, start}
// | {'none'} | {'stale', scope}.
export const LEASE_SCRIPT = `${SWEEP_EXPIRED_HOLDS}${ROLL_SCOPE_STATE}
local prefix = KEYS[1]
local now = tonumber(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local marginMs = tonumber(ARGV[3])
local recordTtl = tonumber(ARGV[4])
local windowMs = tonumber(ARGV[5])
local share = tonumber(ARGV[6])
local minimum = tonumber(ARGV[7])
local n = tonumber(ARGV[8])
local tokens = tonumber(ARGV[9])
local cost = tonumber(ARGV[10])
local scopes = cjson.decode(ARGV[11])
local id = ARGV[12]
local recordKey = prefix .. 'l:' .. id
-- Asked already, or given up by its edge before the answer (see ABANDON_SCRIPT): nothing is leased.
if redis.call('EXISTS', recordKey) == 1 or redis.call('EXISTS', prefix .. 'x:' .. id) == 1 then return {'none'} end

local plan = {}
for i, sc in ipairs(scopes) do
  local key = prefix .. 's:' .. sc.n
  local f = redis.call('HMGET', key, 'v', 'p', 'sp', 'rs', 'ws', 'wr', 'wt')
  local version = tonumber(f[1])
  if sc.v >= 0 and version and version > sc.v then return {'stale', i - 1} end
  local period = tonumber(f[2])
  if sc.c > 0 or (sc.s == 1 and not period) then return {'none'} end
  plan[i] = {key = key, period = period, spent = tonumber(f[3]) or 0, reserved = tonumber(f[4]) or 0,
             ws = tonumber(f[5]), wr = tonumber(f[6]) or 0, wt = tonumber(f[7]) or 0}
end

local duration = leaseMs
for i, sc in ipairs(scopes) do
  local st = plan[i]
  st.reserved = sweepExpiredHolds(prefix, sc.n, st.key, st.reserved, now)
  rollScopeState(st, sc, now, windowMs)
  if sc.r > 0 then
    n = math.min(n, math.floor(sc.r / share), math.floor((sc.r - st.wr) / 2))
    duration = math.min(duration, st.ws + windowMs - now)
  end
  if sc.t > 0 then
    if tokens > 0 then n = math.min(n, math.floor(math.min(sc.t / share, (sc.t - st.wt) / 2) / tokens)) end
    duration = math.min(duration, st.ws + windowMs - now)
  end
  if sc.b >= 0 then
    if cost <= 0 then return {'none'} end
    n = math.min(n, math.floor(math.min(sc.b / share, (sc.b - st.spent - st.reserved) / 2) / cost))
  end
end
if n < minimum or duration * 4 < leaseMs then return {'none'} end

local leaseTokens = n * tokens
local held = n * cost
local expiry = now + duration
local entries = {}
local windows = {}
for i, sc in ipairs(scopes) do
  local st = plan[i]
  if st.newPeriod then
    redis.call('HSET', st.key, 'sp', 0, 'p', sc.p)
    st.period = sc.p
  end
  if st.rolled then
    redis.call('HSET', st.key, 'ws', now, 'wr', n, 'wt', leaseTokens)
    st.wr = n
    st.wt = leaseTokens
  else
    st.wr = redis.call('HINCRBY', st.key, 'wr', n)
    st.wt = redis.call('HINCRBY', st.key, 'wt', leaseTokens)
  end
  windows[#windows + 1] = st.wr
  windows[#windows + 1] = st.wt
  windows[#windows + 1] = st.ws
  if held > 0 then
    redis.call('HINCRBY', st.key, 'rs', held)
    redis.call('ZADD', prefix .. 'zc:' .. sc.n, expiry + marginMs, 'L' .. id .. '|' .. string.format('%.0f', held))
  end
  if sc.v >= 0 then redis.call('ZADD', prefix .. 'zl:' .. sc.n, expiry, id) end
  entries[i] = {n = sc.n, w = st.ws, p = st.period or -1}
end
redis.call('SET', recordKey, cjson.encode({b = held, r = n, t = leaseTokens, d = 0, s = entries}), 'PX', recordTtl)
local out = {'ok', n, leaseTokens, held, duration}
for _, value in ipairs(windows) do out[#out + 1] = value end
return out
`;

// The edge gives back what it did not use of a lease. Unused requests and tokens leave the window they
// were counted in (if it still runs); unused money leaves the reservation, and what stays held (requests
// admitted and not settled yet) is then held like any request's hold, until `holdTtl`. Once only.
//
// ARGV: now, hold ttl, record ttl, lease id, unused requests, tokens,
// nano-USD. Returns 1 when the lease was still open.
export const RETURN_LEASE_SCRIPT = `${SET_LEASE_HELD}
local prefix = KEYS[1]
local now = tonumber(ARGV[1])
local holdTtl = tonumber(ARGV[2])
local recordTtl = tonumber(ARGV[3])
local id = ARGV[4]
local recordKey = prefix .. 'l:' .. id
local raw = redis.call('GET', recordKey)
if not raw then return 0 end
local lease = cjson.decode(raw)
if lease.d == 1 then return 0 end
lease.d = 1
local requests = math.min(tonumber(ARGV[5]), lease.r)
local tokens = math.min(tonumber(ARGV[6]), lease.t)
local give = math.min(tonumber(ARGV[7]), lease.b)
for _, e in ipairs(lease.s) do
  local key = prefix .. 's:' .. e.n
  local f = redis.call('HMGET', key, 'ws', 'wr', 'wt')
  if tonumber(f[1]) == e.w then
    redis.call('HSET', key, 'wr', math.max(0, (tonumber(f[2]) or 0) - requests), 'wt', math.max(0, (tonumber(f[3]) or 0) - tokens))
  end
  setLeaseHeld(prefix, e.n, id, lease.b, lease.b - give, now + holdTtl)
  redis.call('ZREM', prefix .. 'zl:' .. e.n, id)
end
lease.b = lease.b - give
redis.call('SET', recordKey, cjson.encode(lease), 'PX', recordTtl)
-- The settled ids live as long as the record (see SETTLE_LEASED_SCRIPT).
redis.call('PEXPIRE', prefix .. 'ld:' .. id, recordTtl)
return 1
`;

// Settles requests admitted from leases: the real cost is added to `spent` (in the budget period the
// lease was granted in), the token window is corrected by (real - estimated), and the request's estimate
// leaves the lease's money. Idempotent on the request id through a per-lease set of settled ids that
// lives exactly as long as the lease record: a redelivered event finds its id, or no lease, and changes
// nothing (as a hold's record does for requests decided one by one).
//
// A call carries a batch of usage events, most of them from a few leases: the requests of one lease are
// summed and its record, scopes and money written once, which leaves the same state as settling them one
// by one (the estimates given back are capped by what the lease holds either way), for one SADD per
// request instead of a dozen commands.
//
// ARGV: six per request: request id, cost
// nano-USD, tokens, lease id, estimated tokens, estimated nano-USD. Returns how many it settled.
export const SETTLE_LEASED_SCRIPT = `${SET_LEASE_HELD}
local prefix = KEYS[1]
local order = {}
local byLease = {}
for j = 1, #ARGV, 6 do
  local id = ARGV[j + 3]
  local sum = byLease[id]
  if not sum then
    sum = {raw = redis.call('GET', prefix .. 'l:' .. id), settled = 0, cost = 0, tokens = 0, estimated = 0}
    byLease[id] = sum
    order[#order + 1] = id
  end
  if sum.raw and redis.call('SADD', prefix .. 'ld:' .. id, ARGV[j]) == 1 then
    local cost = tonumber(ARGV[j + 1])
    if cost > 0 then sum.cost = sum.cost + cost end
    sum.tokens = sum.tokens + tonumber(ARGV[j + 2]) - tonumber(ARGV[j + 4])
    sum.estimated = sum.estimated + tonumber(ARGV[j + 5])
    sum.settled = sum.settled + 1
  end
end
-- Sums go back to Redis through money(), which writes a whole number without an exponent (HINCRBY
-- refuses 1e+14); the token sum is one too.
local applied = 0
for _, id in ipairs(order) do
  local sum = byLease[id]
  if sum.settled > 0 then
    local recordKey = prefix .. 'l:' .. id
    redis.call('PEXPIRE', prefix .. 'ld:' .. id, math.max(1, redis.call('PTTL', recordKey)))
    local lease = cjson.decode(sum.raw)
    local give = math.min(sum.estimated, lease.b)
    for _, e in ipairs(lease.s) do
      local key = prefix .. 's:' .. e.n
      local f = redis.call('HMGET', key, 'p', 'ws')
      if e.p >= 0 and sum.cost > 0 and tonumber(f[1]) == e.p then redis.call('HINCRBY', key, 'sp', money(sum.cost)) end
      if sum.tokens ~= 0 and tonumber(f[2]) == e.w then redis.call('HINCRBY', key, 'wt', money(sum.tokens)) end
      if give > 0 then setLeaseHeld(prefix, e.n, id, lease.b, lease.b - give, nil) end
    end
    lease.b = lease.b - give
    redis.call('SET', recordKey, cjson.encode(lease), 'KEEPTTL')
    applied = applied + sum.settled
  end
end
return applied
`;

// How many leases of these entity scopes are still open at `now`.
// ARGV: now, then scope names.
export const OPEN_LEASES_SCRIPT = `
local prefix = KEYS[1]
local now = tonumber(ARGV[1])
local open = 0
for j = 2, #ARGV do
  local zl = prefix .. 'zl:' .. ARGV[j]
  redis.call('ZREMRANGEBYSCORE', zl, '-inf', now)
  open = open + redis.call('ZCARD', zl)
end
return open
`;
