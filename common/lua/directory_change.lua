-- directory_change: adds, replaces or removes one API directory entry and moves the version
-- that tells every reader to reload, in one step.
-- KEYS  1 {directory}:entries  2 {directory}:version
-- ARGV  1 "put" or "del"  2 id  3 (put) the entry "<department>\t<level>\t<region>\t<assignee>"
-- -> 1 done, 0 (del) no such entry
if ARGV[1] == 'put' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
elseif redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then
  return 0
end
redis.call('INCR', KEYS[2])
return 1
