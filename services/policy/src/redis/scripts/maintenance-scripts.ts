import { SWEEP_EXPIRED_HOLDS } from './sweep-expired-holds.js';

// The small scripts around the decision: reading usage, seeding spend from the ledger, announcing
// entity versions, and starting new budget periods. Each is one round trip for many scopes.
//
// Every limit script takes KEYS[1] = the limit namespace (one hash tag, so all its keys share a Redis
// Cluster slot; key names are built from it) and KEYS[2] = a fence that is never written (see
// scriptKeys in @sluice/common: it keeps a script from running while the slot is being migrated).

// ARGV: now ms, window ms, then (name, period start) per scope. Expired holds are pruned first,
// as a decision would. Returns per scope: spent (-1 = not seeded), reserved, requests, tokens, window
// reset ms (0 = no window running), parallel slots.
export const READ_SCRIPT = `${SWEEP_EXPIRED_HOLDS}
local prefix = KEYS[1]
local now = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local out = {}
for j = 3, #ARGV, 2 do
  local name = ARGV[j]
  local periodStart = tonumber(ARGV[j + 1])
  local key = prefix .. 's:' .. name
  sweepExpiredHolds(prefix, name, key, tonumber(redis.call('HGET', key, 'rs')) or 0, now)
  local zp = prefix .. 'zp:' .. name
  redis.call('ZREMRANGEBYSCORE', zp, '-inf', now)
  local parallel = redis.call('ZCARD', zp)
  local f = redis.call('HMGET', key, 'p', 'sp', 'rs', 'ws', 'wr', 'wt')
  local spent = -1
  local p = tonumber(f[1])
  if p then
    if periodStart > p then spent = 0 else spent = tonumber(f[2]) or 0 end
  end
  local ws = tonumber(f[4])
  local requests, tokens, reset = 0, 0, 0
  if ws and now - ws < windowMs then
    requests = tonumber(f[5]) or 0
    tokens = tonumber(f[6]) or 0
    reset = ws + windowMs
  end
  out[#out + 1] = spent
  out[#out + 1] = tonumber(f[3]) or 0
  out[#out + 1] = requests
  out[#out + 1] = tokens
  out[#out + 1] = reset
  out[#out + 1] = parallel
end
return out
`;

// ARGV: (name, period start, spent) per scope. Only scopes without a period are set, so two
// replicas seeding at once agree, and a scope counted since is never overwritten.
export const SEED_SCRIPT = `
local prefix = KEYS[1]
for j = 1, #ARGV, 3 do
  local key = prefix .. 's:' .. ARGV[j]
  if redis.call('HSETNX', key, 'p', ARGV[j + 1]) == 1 then redis.call('HSET', key, 'sp', ARGV[j + 2]) end
end
return 1
`;

// ARGV: (name, version) per scope.
export const ANNOUNCE_VERSIONS_SCRIPT = `
local prefix = KEYS[1]
for j = 1, #ARGV, 2 do
  local key = prefix .. 's:' .. ARGV[j]
  local current = tonumber(redis.call('HGET', key, 'v'))
  local version = tonumber(ARGV[j + 1])
  if not current or current < version then redis.call('HSET', key, 'v', version) end
end
return 1
`;

// ARGV: (name, period start) per scope.
export const RESET_PERIODS_SCRIPT = `
local prefix = KEYS[1]
for j = 1, #ARGV, 2 do
  local key = prefix .. 's:' .. ARGV[j]
  local current = tonumber(redis.call('HGET', key, 'p'))
  local period = tonumber(ARGV[j + 1])
  if current and current < period then redis.call('HSET', key, 'sp', 0, 'p', period) end
end
return 1
`;
