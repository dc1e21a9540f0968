-- delivery_settle: the outcomes of a county's sends. Delivered (or never deliverable: "drop"):
-- forgotten. Failed: tried again after base * 2^(tries-1), at most cap apart, stretched by the
-- caller's jitter (0.5x .. 1.5x); failing for longer than max age: moved to delivery:{C}:dead
-- (body and meta kept) for an operator to see and replay. A delivery no longer in the set
-- (settled by another holder) is left alone.
-- KEYS  1 delivery:{C}  2 delivery:{C}:body  3 delivery:{C}:meta  4 delivery:{C}:sent
--       5 delivery:{C}:dead
-- "repeat" (an Alertmanager alert taken): sent again after ARGV[6] while its appeal is open at
-- the alert's level (Alertmanager ends an alert it is not told of again); else as "ok".
-- ARGV  1 now ms  2 max age ms  3 base ms  4 cap ms  5 n  6 repeat ms, then n triples: member,
--       "ok" | "repeat" | "fail" | "drop", jitter per mille (0..1000)
-- -> the number moved to the dead letters
local now, max_age = tonumber(ARGV[1]), tonumber(ARGV[2])
local base, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local tag = string.sub(KEYS[1], #'delivery:' + 1) -- "{C}"
local dead = 0
for a = 7, 6 + 3 * tonumber(ARGV[5]), 3 do
  local m, outcome = ARGV[a], ARGV[a + 1]
  if outcome == 'repeat' and redis.call('ZSCORE', KEYS[1], m) then
    local alert = m:sub(1, m:find('|', 1, true) - 1)
    local id = alert:match('^(.*):%d+$')
    local state = id and redis.call('HMGET', 'appeal:' .. tag .. ':' .. id, 'status', 'level')
    local body = redis.call('HGET', KEYS[2], m)
    local ok, decoded = pcall(cjson.decode, body or '')
    local open = state and (state[1] == 'assigned' or state[1] == 'acknowledged' or
                            state[1] == 'reopened' or state[1] == 'signed')
    if open and ok and type(decoded) == 'table' and decoded.level == state[2] then
      redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[6]), m)
      redis.call('HSET', KEYS[3], m, now .. ':0:0')
    else
      outcome = 'ok'
    end
  end
  if outcome ~= 'repeat' and redis.call('ZSCORE', KEYS[1], m) then
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
