-- delivery_replay: dead letters of a county back into its deliveries, due now, their tries
-- and age counted afresh; or ("drop") forgotten.
-- KEYS  1 delivery:{C}  2 delivery:{C}:body  3 delivery:{C}:meta  4 delivery:{C}:dead
-- ARGV  1 now ms  2 "replay" | "drop"  3.. members
-- -> how many were dead letters
local n = 0
for a = 3, #ARGV do
  local m = ARGV[a]
  if redis.call('ZREM', KEYS[4], m) == 1 then
    n = n + 1
    if ARGV[2] == 'replay' and redis.call('HEXISTS', KEYS[2], m) == 1 then
      redis.call('ZADD', KEYS[1], ARGV[1], m)
      redis.call('HSET', KEYS[3], m, ARGV[1] .. ':0:0')
    else
      redis.call('HDEL', KEYS[2], m)
      redis.call('HDEL', KEYS[3], m)
    end
  end
end
return n
