-- delivery_claim: lease a county's due deliveries: retries, held ones whose time came (grouping,
-- quiet hours), and orphans of a notifier that died holding them.
-- KEYS  1 delivery:{C}  2 delivery:{C}:body  3 delivery:{C}:meta
-- ARGV  1 now ms  2 lease-until ms  3 limit  4 "1": say whether the set is empty
-- -> {n, member, body, first queued ms, repeat, ...}: n = 0 when the set is empty, -1 when not
--    asked; repeat is 1 when an earlier lease ended with no outcome recorded (its holder may
--    have POSTed it: this send may be a repeat). A member with no body is dropped.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {-1}
for _, m in ipairs(due) do
  local body = redis.call('HGET', KEYS[2], m)
  if body then
    local meta = redis.call('HGET', KEYS[3], m) or (ARGV[1] .. ':0:0')
    local first, tries, leases = string.match(meta, '^(%d+):(%d+):(%d+)$')
    first, tries, leases = first or ARGV[1], tonumber(tries or 0), tonumber(leases or 0)
    redis.call('ZADD', KEYS[1], ARGV[2], m)
    redis.call('HSET', KEYS[3], m, first .. ':' .. tries .. ':' .. (leases + 1))
    out[#out + 1] = m
    out[#out + 1] = body
    out[#out + 1] = first
    out[#out + 1] = leases > tries and 1 or 0
  else
    redis.call('ZREM', KEYS[1], m)
    redis.call('HDEL', KEYS[3], m)
  end
end
if ARGV[4] == '1' then out[1] = #due > 0 and #due or redis.call('ZCARD', KEYS[1]) end
return out
