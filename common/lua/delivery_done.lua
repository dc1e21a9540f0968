-- delivery_done: a delivery succeeded (or can never succeed): forget it.
-- KEYS  1 delivery:{C}  2 delivery:{C}:body
-- ARGV  1 member
-- -> 1 removed | 0 it was not there
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
