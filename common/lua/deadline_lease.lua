-- deadline_lease: the clocks of one county that are due, leased to the caller, with what the
-- caller needs to decide on each, and the county's next due time.
-- KEYS  1 deadline:{C}
-- ARGV  1 county  2 now ms  3 lease until ms  4 most entries
-- -> {next, member, state, member, state, ...}
--    next: the earliest score left in the set after leasing (-1 when empty);
--    state: the appeal's hash fields seq, status, level, region, channel, category,
--    department, assignee, ack_deadline_ms, resolve_deadline_ms (an array)
-- A member "<id>|<clock>" whose clock no longer runs (the appeal is gone, not open, or
-- acknowledged for an ack clock) is removed instead of leased: nothing will ever fire it.
-- A leased member's score becomes the lease end, so no other router takes it before then; the
-- change the caller then applies (appeal_advance) sets or removes the member for good.
local tag = '{' .. ARGV[1] .. '}:'
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {-1}
for _, m in ipairs(due) do
  local bar = string.find(m, '|', 1, true)
  local id, clock = bar and string.sub(m, 1, bar - 1), bar and string.sub(m, bar + 1)
  local state = id and redis.call('HMGET', 'appeal:' .. tag .. id, 'seq', 'status', 'level',
    'region', 'channel', 'category', 'department', 'assignee', 'ack_deadline_ms',
    'resolve_deadline_ms', 'assigned_at_ms', 'first_ack_deadline_ms',
    'first_resolve_deadline_ms', 'returns', 'arbitrated_department', 'extension_until_ms', 'urges')
  local status = state and state[2]
  local open = status == 'assigned' or status == 'acknowledged' or status == 'reopened' or
    status == 'signed' or status == 'returned'
  local answered = status == 'acknowledged' or status == 'signed' or status == 'returned'
  -- a resolved order's resolve clock waits for its call-back (callback.close_after)
  if status == 'resolved' and clock == 'resolve' then open = true end
  local ack_kind = clock == 'ack' or clock == 'warn_ack'
  if not open or (ack_kind and (answered or status == 'resolved')) then
    redis.call('ZREM', KEYS[1], m)
  else
    redis.call('ZADD', KEYS[1], ARGV[3], m)
    out[#out + 1] = m
    out[#out + 1] = state
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then out[1] = tonumber(first[2]) end
return out
