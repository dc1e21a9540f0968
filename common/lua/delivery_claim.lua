-- delivery_claim: lease due deliveries (failed or orphaned ones).
-- KEYS  1 delivery:{C}  2 delivery:{C}:body
-- ARGV  1 now ms  2 lease-until ms  3 limit  4 "1": say whether the set is empty
-- -> {n, member, body, ...}: n = 0 when the set is empty, -1 when not asked (a member with no
--    body is dropped)
return lease_due(KEYS[1], ARGV[1], ARGV[2], ARGV[3], function(m)
  return redis.call('HGET', KEYS[2], m)
end, ARGV[4])
