-- deadline_settle: after a router worked through a county's due clocks, moves the county's
-- entry of the index to its next due time, unless a writer set a clock there meanwhile.
-- KEYS  1 {deadline}:index  2 {deadline}:gen
-- ARGV  1 county  2 the index score the router started from  3 the gen it started from
--       4 the next due time (ms), or -1 when the county has no clock left
-- -> 1 settled, 0 left as it was (a writer marked the county since: it is visited again)
-- Writers mark after their script: HINCRBY gen, then ZADD LT. A mark after the router's read
-- of the county's set moves gen (this refuses) or lowers the score after this (so it stays).
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local gen = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if not score or tonumber(score) ~= tonumber(ARGV[2]) or gen ~= ARGV[3] then return 0 end
if tonumber(ARGV[4]) < 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
end
return 1
