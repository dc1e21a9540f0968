-- auth_rate: counts one request of a token in the current second and says whether it is within
-- the token's rate. Fixed one-second windows, shared by every instance.
-- KEYS  1 {auth}:rate:<token name>:<unix second>
-- ARGV  1 requests allowed per second
-- -> the count in this second (over ARGV[1]: refuse)
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], 2) end
return n
