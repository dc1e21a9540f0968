-- outbox_claim: the sweeper's lease on an outbox. Entries due (score <= now) get score =
-- lease-until and are returned with their stored event bytes, to be sent again.
-- KEYS  1 outbox:{C}:<hop>
-- ARGV  1 now ms  2 lease-until ms  3 limit  4 county  5 "1": say whether the outbox is empty
-- -> {n, member, event bytes, ...}: n = 0 when the outbox is empty, -1 when not asked; an
--    entry whose event is gone is dropped (there is nothing to send, ever).
local tag = '{' .. ARGV[4] .. '}:'
return lease_due(KEYS[1], ARGV[1], ARGV[2], ARGV[3], function(m)
  local id, seq = split_member(m)
  return id and stored_event(tag, id, seq)
end, ARGV[5])
