-- subscription_change: stores or removes one API subscription and moves the version every
-- notifier matches against, in one step (slot {subscriptions}).
-- KEYS  1 {subscriptions}:entries  2 {subscriptions}:version
-- ARGV  1 "put" or "del"  2 id  3 (put) the subscription's JSON
-- -> the new version, or 0 (del) when there was no such subscription
if ARGV[1] == 'put' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
elseif redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then
  return 0
end
return redis.call('INCR', KEYS[2])
