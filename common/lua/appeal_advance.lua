-- appeal_advance: the one way an appeal changes after intake, for a batch of appeals of one
-- county.
-- KEYS  1 the outbox the triggering events came from (or any key of the county when none)
--       2 deadline:{C}  3 supervision:{C}  4.. outboxes that must carry each new event
-- ARGV  1 county  2 hop of KEYS[1]  3 resend-at ms  4 max tries  5 now ms  6 number of changes
--       then per change: id, trigger member ("" when none), expected seq, the trigger's bytes
--       as received ("" when none), the new Event packed (seq = expected + 1), then the clocks:
--       ack, resolve, supervision ("" keep, "0" remove, else due / deadline ms), then an
--       idempotency key ("" none), its value ("<id>|<fingerprint>|<seq>" with "#" for the seq)
--       and TTL s, then n, then n field/value pairs
-- -> {code, seq, code, seq, ...} one pair per change (codes in lib.lua)
-- A change applies only while its trigger is still in KEYS[1] and the received bytes are the
-- stored event: a copy that arrives twice is applied once, and a forged frame changes nothing.
-- Without a trigger (an action, a deadline) it applies only while the appeal is at the
-- expected seq: two changes decided on the same state cannot both apply.
-- The county's gauges follow in the same step (gauge_move in lib.lua).
-- A trigger costs one read (the stored event) and one ZREM on the path that applies.
local tag = '{' .. ARGV[1] .. '}:'
local out = {}
local i = 7
-- op: '' keep, '0' remove (and its warning), '<due>[:<warn>]' set, ':0' drop the warning
-- alone. The warning of member "<id>|ack" is "<id>|warn_ack".
local function clock(key, member, op, warn_member)
  if op == '' then return end
  local due, warn = string.match(op, '^(%d*):(%d+)$')
  if not due then due = op end
  if due == '0' then
    redis.call('ZREM', key, member)
    if warn_member then redis.call('ZREM', key, warn_member) end
  elseif due ~= '' then
    redis.call('ZADD', key, due, member)
  end
  if warn_member and warn then
    if warn == '0' then redis.call('ZREM', key, warn_member)
    else redis.call('ZADD', key, warn, warn_member) end
  elseif warn_member and due ~= '' and due ~= '0' then
    redis.call('ZREM', key, warn_member) -- a clock set anew without a warning
  end
end
for _ = 1, tonumber(ARGV[6]) do
  local id, member, expected, received, blob = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]),
    ARGV[i + 3], ARGV[i + 4]
  local ack, resolve, supervise = ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]
  local idem, idem_value, idem_ttl = ARGV[i + 8], ARGV[i + 9], ARGV[i + 10]
  local n = tonumber(ARGV[i + 11])
  local first = i + 12
  i = first + 2 * n
  local akey = 'appeal:' .. tag .. id
  local code, seq = APPLIED, 0
  local was = redis.call('HMGET', akey, 'seq', 'status', 'level', 'region')
  local cur = tonumber(was[1] or 0)
  if member ~= '' then
    -- the trigger: its stored bytes first (one read), then its outbox entry, consumed by the
    -- ZREM that also tells a second copy; ZSCORE only on the paths that cannot apply
    local stored = stored_event(tag, split_member(member))
    if stored and stored ~= received then
      code = FORGED
    elseif not stored or cur ~= expected then
      code = not stored and GONE or STALE
      if not redis.call('ZSCORE', KEYS[1], member) then
        code = DUPLICATE
      elseif count_try(tag, ARGV[2], KEYS[1], member, ARGV[4], ARGV[5]) then
        code = PARKED
      end
    elseif redis.call('ZREM', KEYS[1], member) == 0 then
      code = DUPLICATE
    end
  elseif cur == 0 then
    code = GONE
  elseif cur ~= expected then
    code = STALE
  end
  if code ~= APPLIED then
    seq = cur
  else
    seq = cur + 1
    local fields = {'seq', seq}
    for f = first, first + 2 * n - 1 do fields[#fields + 1] = ARGV[f] end
    redis.call('HSET', akey, unpack(fields))
    gauge_move(tag, (was[4] or '') .. '|' .. id, was[2], was[3], fields)
    redis.call('RPUSH', 'events:' .. tag .. id, blob)
    local next_member = id .. ':' .. seq
    for k = 4, #KEYS do redis.call('ZADD', KEYS[k], ARGV[3], next_member) end
    clock(KEYS[2], id .. '|ack', ack, id .. '|warn_ack')
    clock(KEYS[2], id .. '|resolve', resolve, id .. '|warn_resolve')
    clock(KEYS[3], id, supervise)
    if idem ~= '' then
      redis.call('SET', 'idem:' .. tag .. idem, string.gsub(idem_value, '#', seq, 1), 'EX', idem_ttl)
    end
  end
  out[#out + 1] = code
  out[#out + 1] = seq
end
return out
