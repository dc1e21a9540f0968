-- delivery_settle: the outcomes of a county's sends. Delivered (or never deliverable: "drop"):
-- forgotten. Failed: tried again after base * 2^(tries-1), at most cap apart, stretched by the
-- caller's jitter (0.5x .. 1.5x); failing for longer than max age: moved to delivery:{C}:dead
-- (body and meta kept) for an operator to see and replay. A delivery no longer in the set
-- (settled by another holder) is left alone.
-- KEYS  1 delivery:{C}  2 delivery:{C}:body  3 delivery:{C}:meta  4 delivery:{C}:sent
--       5 delivery:{C}:dead
-- ARGV  1 now ms  2 max age ms  3 base ms  4 cap ms  5 n, then n triples: member,
--       "ok" | "fail" | "drop", jitter per mille (0..1000)
-- -> the number moved to the dead letters
local now, max_age = tonumber(ARGV[1]), tonumber(ARGV[2])
local base, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local dead = 0
for a = 6, 5 + 3 * tonumber(ARGV[5]), 3 do
  local m, outcome = ARGV[a], ARGV[a + 1]
  if redis.call('ZSCORE', KEYS[1], m) then
    if outcome == 'fail' then
      local meta = redis.call('HGET', KEYS[3], m) or (now .. ':0:1')
      local first, tries, leases = string.match(meta, '^(%d+):(%d+):(%d+)$')
      first, tries, leases = tonumber(first or now), tonumber(tries or 0) + 1, leases or '1'
      redis.call('HSET', KEYS[3], m, first .. ':' .. tries .. ':' .. leases)
      if now - first >= max_age then
        redis.call('ZREM', KEYS[1], m)
        redis.call('ZADD', KEYS[5], now, m)
        dead = dead + 1
      else
        local delay = base * 2 ^ math.min(tries - 1, 30)
        if delay > cap then delay = cap end
        delay = math.floor(delay * (500 + tonumber(ARGV[a + 2])) / 1000)
        redis.call('ZADD', KEYS[1], 'XX', now + delay, m)
      end
    else
      redis.call('ZREM', KEYS[1], m)
      redis.call('HDEL', KEYS[2], m)
      redis.call('HDEL', KEYS[3], m)
      if outcome == 'ok' then
        redis.call('HSET', KEYS[4], string.sub(m, string.find(m, '|', 1, true) + 1), now)
      end
    end
  end
end
return dead
