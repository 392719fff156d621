import { ROLL_SCOPE_STATE } from './roll-scope-state.js';
import { SWEEP_EXPIRED_HOLDS } from './sweep-expired-holds.js';

// Checks every scope of one request and, only when all of them admit it, reserves in all of them: one
// request in the window, the token estimate, the cost estimate and a parallel slot. Semantics are
// described in limits/limit-store.ts; the in-process store mirrors them.
//
// One EVALSHA carries the decisions that arrived together (up to a cap), taken one after another in
// arrival order exactly as separate calls would: Redis runs a script alone, so a batch changes nothing
// about who is admitted, and saves a command, a round of reply parsing and a socket write per decision.
//
// A request its edge has abandoned already (see ABANDON_SCRIPT) reserves nothing.
//
// ARGV: hold ttl ms, hold record ttl ms, window ms, then five per decision: request id, now ms,
// tokens, cost nano-USD, scopes as JSON [{n name, v version, r rpm, t tpm, c parallel, b budget, p period
// start, s track 0|1}]. Returns one reply per decision, in order.
export const RESERVE_SCRIPT = `${SWEEP_EXPIRED_HOLDS}${ROLL_SCOPE_STATE}
local prefix = KEYS[1]
local holdTtl = tonumber(ARGV[1])
local recordTtl = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])

local function reserve(rid, now, tokens, cost, scopes)
  local holdKey = prefix .. 'h:' .. rid
  if redis.call('EXISTS', holdKey) == 1 then return {'duplicate'} end
  if redis.call('EXISTS', prefix .. 'x:' .. rid) == 1 then return {'abandoned'} end

  local plan = {}
  local unseeded = {'unseeded'}
  for i, sc in ipairs(scopes) do
    local key = prefix .. 's:' .. sc.n
    local f = redis.call('HMGET', key, 'v', 'p', 'sp', 'rs', 'ws', 'wr', 'wt')
    local version = tonumber(f[1])
    if sc.v >= 0 and version and version > sc.v then return {'stale', i - 1} end
    local period = tonumber(f[2])
    if sc.s == 1 and not period then unseeded[#unseeded + 1] = i - 1 end
    plan[i] = {key = key, period = period, spent = tonumber(f[3]) or 0, reserved = tonumber(f[4]) or 0,
               ws = tonumber(f[5]), wr = tonumber(f[6]) or 0, wt = tonumber(f[7]) or 0}
  end
  if #unseeded > 1 then return unseeded end

  for i, sc in ipairs(scopes) do
    local st = plan[i]
    st.reserved = sweepExpiredHolds(prefix, sc.n, st.key, st.reserved, now)
    st.inflight = 0
    if sc.c > 0 then
      local zp = prefix .. 'zp:' .. sc.n
      redis.call('ZREMRANGEBYSCORE', zp, '-inf', now)
      st.inflight = redis.call('ZCARD', zp)
    end
    rollScopeState(st, sc, now, windowMs)
    st.need = tokens
    if sc.t > 0 and st.need > sc.t then st.need = sc.t end
    local reason = false
    local retry = 0
    if sc.b >= 0 and (st.spent + st.reserved >= sc.b or st.spent + st.reserved + cost > sc.b) then
      reason = 'budget'
    elseif sc.r > 0 and st.wr + 1 > sc.r then
      reason = 'rpm'
      retry = st.ws + windowMs - now
    elseif sc.t > 0 and st.wt + st.need > sc.t then
      reason = 'tpm'
      retry = st.ws + windowMs - now
    elseif sc.c > 0 and st.inflight + 1 > sc.c then
      reason = 'parallel'
      retry = 1000
    end
    if reason then
      return {'denied', i - 1, reason, retry, st.wr, st.wt, st.ws, st.spent, st.reserved}
    end
  end

  local hold = {}
  local out = {'ok'}
  for i, sc in ipairs(scopes) do
    local st = plan[i]
    if st.newPeriod then
      redis.call('HSET', st.key, 'sp', 0, 'p', sc.p)
      st.period = sc.p
    end
    if st.rolled then
      redis.call('HSET', st.key, 'ws', now, 'wr', 1, 'wt', st.need)
      st.wr = 1
      st.wt = st.need
    else
      st.wr = redis.call('HINCRBY', st.key, 'wr', 1)
      st.wt = redis.call('HINCRBY', st.key, 'wt', st.need)
    end
    local entry = {n = sc.n, t = st.need, w = st.ws, p = -1, c = 0, q = 0}
    if st.period then entry.p = st.period end
    if cost > 0 then
      redis.call('HINCRBY', st.key, 'rs', cost)
      redis.call('ZADD', prefix .. 'zc:' .. sc.n, now + holdTtl, rid .. '|' .. cost)
      entry.c = 1
    end
    if sc.c > 0 then
      redis.call('ZADD', prefix .. 'zp:' .. sc.n, now + holdTtl, rid)
      entry.q = 1
    end
    hold[i] = entry
    out[#out + 1] = st.wr
    out[#out + 1] = st.wt
    out[#out + 1] = st.ws
  end
  redis.call('SET', holdKey, cjson.encode({c = cost, s = hold}), 'PX', recordTtl)
  return out
end

local replies = {}
for at = 4, #ARGV, 5 do
  replies[#replies + 1] = reserve(ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), cjson.decode(ARGV[at + 4]))
end
return replies
`;
