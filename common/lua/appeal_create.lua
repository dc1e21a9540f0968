-- appeal_create: a new appeal, its collected event and its outbox entries, in one step.
-- KEYS  1 seq:{C}:<day>  2 idem:{C}:<key> (or KEYS[1] when none)
--       3 ext:{C}:<channel>:<external id> (or KEYS[1] when none)  4.. outboxes to fill
-- ARGV  1 county  2 id prefix "C-YYYYMMDD-"  3 "1" if an idempotency key is given
--       4 request fingerprint  5 idempotency TTL s  6 "1" if an external id is given
--       7 resend-at ms  8 the collected Event, packed without field 1 (appeal_id)
--       9.. appeal hash field/value pairs
-- -> {1, id} created | {2, "<id>|<fingerprint>"} idempotent replay
--    | {3, id} external id seen | {4, id} no free id (the day counter is far behind)
-- The id exists only once INCR ran, so the script writes it into the event: field 1 (tag
-- 0x0A, length, bytes) placed first, which is where protobuf-c would put it too.
-- The day counter never expires, and an id already taken is never handed out again: if the
-- counter was lost (an operator, a restore), INCR walks past the ids in use. The check costs
-- no command: RPUSH of the history answers the list's length.
if ARGV[3] == '1' then
  local prev = redis.call('GET', KEYS[2])
  if prev then return {2, prev} end
end
if ARGV[6] == '1' then
  local prev = redis.call('GET', KEYS[3])
  if prev then return {3, prev} end
end
local tag = '{' .. ARGV[1] .. '}:'
local event = ARGV[8]
local id
for _ = 1, 1000 do
  id = ARGV[2] .. string.format('%06d', redis.call('INCR', KEYS[1]))
  -- an appeal's history is created with it: a list longer than 1 means the id was taken
  if redis.call('RPUSH', 'events:' .. tag .. id, string.char(10, #id) .. id .. event) == 1 then
    break
  end
  redis.call('RPOP', 'events:' .. tag .. id)
  id = nil
end
if not id then return {4, ARGV[2]} end
local fields = {'id', id, 'seq', 1}
for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', 'appeal:' .. tag .. id, unpack(fields))
-- the county's index of appeals by creation time (listings, recounts)
for i = 9, #ARGV - 1, 2 do
  if ARGV[i] == 'created_at_ms' then redis.call('ZADD', 'index:' .. tag .. 'created', ARGV[i + 1], id) end
end
local member = id .. ':1'
for i = 4, #KEYS do redis.call('ZADD', KEYS[i], ARGV[7], member) end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[2], id .. '|' .. ARGV[4], 'EX', ARGV[5])
end
if ARGV[6] == '1' then redis.call('SET', KEYS[3], id) end
return {1, id}
