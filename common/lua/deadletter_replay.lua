-- deadletter_replay: put a parked entry back into its outbox, due now (an operator's
-- `gridctl replay`), with a fresh count of tries.
-- KEYS  1 deadletter:{C}  2 outbox:{C}:<hop>
-- ARGV  1 "<hop>|<member>"  2 member  3 now ms
-- -> 1 replayed | 0 no such parked entry
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1] .. ':tries', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
