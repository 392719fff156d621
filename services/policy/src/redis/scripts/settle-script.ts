// What settling and abandoning share: one scope of a hold gives back its reserved money (unless the hold
// already expired and freed it) and its parallel slot.
const FREE_ENTRY = `
local function freeEntry(prefix, rid, hold, e)
  if e.c == 1 and redis.call('ZREM', prefix .. 'zc:' .. e.n, rid .. '|' .. hold.c) == 1 then
    redis.call('HINCRBY', prefix .. 's:' .. e.n, 'rs', -hold.c)
  end
  if e.q == 1 then redis.call('ZREM', prefix .. 'zp:' .. e.n, rid) end
end
`;

// Settles finished requests to what they really cost: frees each hold's reserved money and parallel
// slot (unless the hold already expired and freed them), adds the real cost to `spent` when the budget
// period is still the one the hold was made in, and corrects the token window by (real - estimated)
// when that window is still running. The hold record is the idempotency token: it is deleted here, so a
// redelivered usage event finds nothing and changes nothing.
//
// ARGV: (request id, cost nano-USD, tokens) for each request.
export const SETTLE_SCRIPT = `${FREE_ENTRY}
local prefix = KEYS[1]
local applied = 0
for j = 1, #ARGV, 3 do
  local rid = ARGV[j]
  local cost = tonumber(ARGV[j + 1])
  local tokens = tonumber(ARGV[j + 2])
  local holdKey = prefix .. 'h:' .. rid
  local raw = redis.call('GET', holdKey)
  if raw then
    redis.call('DEL', holdKey)
    local hold = cjson.decode(raw)
    for _, e in ipairs(hold.s) do
      local key = prefix .. 's:' .. e.n
      freeEntry(prefix, rid, hold, e)
      local f = redis.call('HMGET', key, 'p', 'ws')
      if e.p >= 0 and cost > 0 and tonumber(f[1]) == e.p then redis.call('HINCRBY', key, 'sp', cost) end
      if tokens ~= e.t and tonumber(f[2]) == e.w then redis.call('HINCRBY', key, 'wt', tokens - e.t) end
    end
    applied = applied + 1
  end
end
return applied
`;

// Frees a request's parallel slots before its usage event arrives. ARGV: request id.
export const RELEASE_SCRIPT = `
local prefix = KEYS[1]
local rid = ARGV[1]
local raw = redis.call('GET', prefix .. 'h:' .. rid)
if not raw then return 0 end
local hold = cjson.decode(raw)
local released = 0
for _, e in ipairs(hold.s) do
  if e.q == 1 then released = released + redis.call('ZREM', prefix .. 'zp:' .. e.n, rid) end
end
return released
`;

// Gives back everything a request reserved when it never ran (its decision did not reach the edge):
// money, parallel slot, and its request and token estimate in the window still running. When the
// decision is still being made the hold does not exist yet, so a marker is left that makes that
// reservation refuse instead (see the reserve script). ARGV: request id, marker ttl ms.
export const ABANDON_SCRIPT = `${FREE_ENTRY}
local prefix = KEYS[1]
local rid = ARGV[1]
redis.call('SET', prefix .. 'x:' .. rid, 1, 'PX', tonumber(ARGV[2]))
local holdKey = prefix .. 'h:' .. rid
local raw = redis.call('GET', holdKey)
if not raw then return 0 end
redis.call('DEL', holdKey)
local hold = cjson.decode(raw)
for _, e in ipairs(hold.s) do
  local key = prefix .. 's:' .. e.n
  freeEntry(prefix, rid, hold, e)
  if tonumber(redis.call('HGET', key, 'ws')) == e.w then
    redis.call('HINCRBY', key, 'wr', -1)
    redis.call('HINCRBY', key, 'wt', -e.t)
  end
end
return 1
`;
