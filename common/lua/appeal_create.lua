-- appeal_create: new appeals of one county and day, each with its collected event and its
-- outbox entries, in one step (one appeal for POST /v1/appeals, a batch for the gateway).
-- KEYS  1 seq:{C}:<day>  2 .. 1+O the outboxes to fill; then for appeal i (1-based):
--       idem:{C}:<key> (or KEYS[1] when none), ext:{C}:<channel>:<external id> (or KEYS[1])
-- ARGV  1 county  2 id prefix "C-YYYYMMDD-"  3 idempotency TTL s  4 resend-at ms  5 O
--       6 N (appeals); then for each appeal: "1" if an idempotency key is given, the request
--       fingerprint, "1" if an external id is given, the collected Event packed without field 1
--       (appeal_id), the repeat-call key ("" none) and its TTL ms, F, and F appeal hash
--       field/value pairs
-- -> two entries per appeal, in order: 1, id created | 2, "<id>|<fingerprint>" idempotent
--    replay | 3, id external id seen | 4, prefix no free id (the day counter is far behind) |
--    5, id: the resident's open order of the same kind (repeat:{C}:<phone>|<village>|<category>
--    names it, and it is still open): nothing stored, the caller urges it. An idempotency key
--    whose value has a seq ("<id>|<fingerprint>|<seq>": an urge made for a repeat call) answers
--    5 too, so that a retried repeat call urges once (the urge replays).
-- The id exists only once INCR ran, so the script writes it into the event: field 1 (tag
-- 0x0A, length, bytes) placed first, which is where protobuf-c would put it too.
-- The day counter never expires, and an id already taken is never handed out again: if the
-- counter was lost (an operator, a restore), INCR walks past the ids in use. The check costs
-- no command: RPUSH of the history answers the list's length.
-- gauge:{C} (appeals by status now) counts each new appeal as collected.
-- Appeals of one call are created in order: a key or external id repeated within it answers
-- as if the second came after the first.
local tag = '{' .. ARGV[1] .. '}:'
local prefix, ttl, resend = ARGV[2], ARGV[3], ARGV[4]
local nout, n = tonumber(ARGV[5]), tonumber(ARGV[6])
local out = {}
local a = 7
for i = 1, n do
  local idem_key, ext_key = KEYS[2 * i + nout], KEYS[2 * i + nout + 1]
  local has_idem, fingerprint, has_ext, event = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local repeat_key, repeat_ttl = ARGV[a + 4], ARGV[a + 5]
  local first = a + 7
  a = first + 2 * tonumber(ARGV[a + 6])
  local code, value
  if has_idem == '1' then
    local prev = redis.call('GET', idem_key)
    if prev then
      local urged = string.match(prev, '^([^|]*)|[^|]*|%d+$')
      if urged then code, value = 5, urged else code, value = 2, prev end
    end
  end
  if not code and repeat_key ~= '' then
    local prev = redis.call('GET', repeat_key)
    local status = prev and redis.call('HGET', 'appeal:' .. tag .. prev, 'status')
    if status and status ~= 'resolved' and status ~= 'closed' and status ~= 'invalid' then
      code, value = 5, prev
    end
  end
  if not code and has_ext == '1' then
    local prev = redis.call('GET', ext_key)
    if prev then code, value = 3, prev end
  end
  if not code then
    local id
    for _ = 1, 1000 do
      id = prefix .. string.format('%06d', redis.call('INCR', KEYS[1]))
      -- an appeal's history is created with it: a list longer than 1 means the id was taken
      if redis.call('RPUSH', 'events:' .. tag .. id, string.char(10, #id) .. id .. event) == 1 then
        break
      end
      redis.call('RPOP', 'events:' .. tag .. id)
      id = nil
    end
    if not id then
      code, value = 4, prefix
    else
      local fields = {'id', id, 'seq', 1}
      for j = first, a - 1 do fields[#fields + 1] = ARGV[j] end
      redis.call('HSET', 'appeal:' .. tag .. id, unpack(fields))
      redis.call('HINCRBY', 'gauge:{' .. ARGV[1] .. '}', 'st:collected', 1)
      -- the county's index of appeals by creation time (listings, recounts)
      for j = first, a - 2, 2 do
        if ARGV[j] == 'created_at_ms' then
          redis.call('ZADD', 'index:' .. tag .. 'created', ARGV[j + 1], id)
        end
      end
      local member = id .. ':1'
      for k = 2, 1 + nout do redis.call('ZADD', KEYS[k], resend, member) end
      if has_idem == '1' then
        redis.call('SET', idem_key, id .. '|' .. fingerprint, 'EX', ttl)
      end
      if has_ext == '1' then redis.call('SET', ext_key, id) end
      if repeat_key ~= '' then redis.call('SET', repeat_key, id, 'PX', repeat_ttl) end
      code, value = 1, id
    end
  end
  out[#out + 1] = code
  out[#out + 1] = value
end
return out
