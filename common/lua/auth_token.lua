-- auth_token: adds, replaces or revokes one API token, by name, in one step.
-- KEYS  1 {auth}:tokens (sha256 -> fields)  2 {auth}:names (name -> sha256)
-- ARGV  1 "put" or "revoke"  2 name  3 (put) sha256  4 (put) "<name>\t<channels>\t..."
-- -> 1 done, 0 (revoke) no such token
local old = redis.call('HGET', KEYS[2], ARGV[2])
if ARGV[1] == 'put' then
  if old then redis.call('HDEL', KEYS[1], old) end
  redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
if not old then return 0 end
redis.call('HDEL', KEYS[1], old)
redis.call('HDEL', KEYS[2], ARGV[2])
return 1
