-- subscription_raise: raises a county's subscription version (notify_accept compares it with
-- the version its caller matched against); never lowers it, so changes racing each other leave
-- the newest.
-- KEYS  1 subver:{C}
-- ARGV  1 version
-- -> 1 raised, 0 already there or past it
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
