// What the reserve and lease scripts share: before a scope's reservation is checked, the money of holds
// (and leases) whose time ran out leaves it. Members of zc: are `<id>|<nano-USD>`, scored by expiry.
export const SWEEP_EXPIRED_HOLDS = `
local function sweepExpiredHolds(prefix, name, key, reserved, now)
  local zc = prefix .. 'zc:' .. name
  local expired = redis.call('ZRANGEBYSCORE', zc, '-inf', now)
  if #expired == 0 then return reserved end
  for _, member in ipairs(expired) do
    reserved = reserved - tonumber(string.match(member, '|(%d+)$'))
  end
  if reserved < 0 then reserved = 0 end
  redis.call('ZREMRANGEBYSCORE', zc, '-inf', now)
  redis.call('HSET', key, 'rs', reserved)
  return reserved
end
`;
