-- lib.lua: helpers shared by gridline's scripts. The build puts the ones a script uses in
-- front of it (scripts/embed-lua.sh), so a script is still one self-contained EVAL: it
-- touches only keys in the slot of its county hash tag.

-- Outcome codes shared with C (hop.h): applied, duplicate copy, appeal at another seq,
-- appeal gone, received bytes differ from the stored event, parked in the dead-letter set.
local APPLIED, DUPLICATE, STALE, GONE, FORGED, PARKED = 1, 0, -1, -2, -3, -4

-- The stored event `seq` of appeal `id` in county tag `tag` ("{150123}:"), or false.
local function stored_event(tag, id, seq)
  return redis.call('LINDEX', 'events:' .. tag .. id, tonumber(seq) - 1)
end

-- "<id>:<seq>" -> id, seq (or nil when the member is not of that form).
local function split_member(m)
  -- a plain find, no pattern: ids hold no ':'
  local colon = string.find(m, ':', 1, true)
  if not colon or colon == 1 or colon == #m then return nil end
  local seq = string.sub(m, colon + 1)
  if not tonumber(seq) then return nil end
  return string.sub(m, 1, colon - 1), seq
end

-- Leases what is due in sorted set `zkey`: each member with score <= now gets score
-- `until_ms`, so no other sweeper takes it before then. fetch(member) gives its payload; a
-- member without one is removed (there is nothing to send, ever). Returns
-- {n, member, payload, member, payload, ...}: n = 0 when the set is empty, -1 when not asked
-- (count ~= '1': the sweeper needs to know only for counties it may forget).
local function lease_due(zkey, now, until_ms, limit, fetch, count)
  local due = redis.call('ZRANGEBYSCORE', zkey, '-inf', now, 'LIMIT', 0, tonumber(limit))
  local out = {-1}
  for _, m in ipairs(due) do
    local payload = fetch(m)
    if payload then
      redis.call('ZADD', zkey, until_ms, m)
      out[#out + 1] = m
      out[#out + 1] = payload
    else
      redis.call('ZREM', zkey, m)
    end
  end
  if count == '1' then out[1] = #due > 0 and #due or redis.call('ZCARD', zkey) end
  return out
end

-- An outbox entry that cannot apply now (its appeal moved on, or is gone) is tried again by
-- the sweeper; after max_tries it is parked in deadletter:{C} ("<hop>|<member>" -> when), out
-- of the outbox, for an operator (gridctl deadletters / replay). Returns true when parked.
local function count_try(tag, hop, outbox, member, max_tries, now)
  local dl = 'deadletter:' .. string.sub(tag, 1, -2) -- tag ends in ':'
  local name = hop .. '|' .. member
  local tries = redis.call('HINCRBY', dl .. ':tries', name, 1)
  if tries < tonumber(max_tries) then return false end
  redis.call('ZREM', outbox, member)
  redis.call('ZADD', dl, now, name)
  redis.call('HDEL', dl .. ':tries', name)
  return true
end

-- A receiver's check-and-consume of one received event: only if the bytes received are the
-- stored event (one read) and its outbox entry is still there (one ZREM). Returns a code; on
-- APPLIED the entry is consumed and the caller makes the event's effects in the same script.
local function consume(tag, hop, outbox, member, received, max_tries, now)
  local id, seq = split_member(member)
  local stored = id and stored_event(tag, id, seq)
  if stored and stored ~= received then return FORGED end
  if not stored then
    -- nothing to compare with: a copy of an entry already gone, or an appeal gone
    if not redis.call('ZSCORE', outbox, member) then return DUPLICATE end
    if count_try(tag, hop, outbox, member, max_tries, now) then return PARKED end
    return GONE
  end
  if redis.call('ZREM', outbox, member) == 0 then return DUPLICATE end
  return APPLIED
end


-- The county's current-state gauges, moved by a change of one appeal: gauge:{C} st:<status>
-- (every status) and lvl:<level> (open appeals), and open:{C}, the open appeals
-- ("<region>|<id>", so a township's are found by prefix) by their level's resolve deadline
-- (overdue now = ZCOUNT -inf now), and callback:{C}, the resolved ones by resolution time.
-- fields: the {field, value, ...} just written to the hash.
local CLOSED_STATUS = {resolved = true, closed = true, invalid = true}
local function gauge_move(tag, member, old_status, old_level, fields)
  local status, level, resolve = old_status, old_level, nil
  for f = 1, #fields - 1, 2 do
    local k = fields[f]
    if k == 'status' then status = fields[f + 1]
    elseif k == 'level' then level = fields[f + 1]
    elseif k == 'resolve_deadline_ms' then resolve = fields[f + 1] end
  end
  local slot = string.sub(tag, 1, -2) -- "{C}:" -> "{C}"
  local g, o = 'gauge:' .. slot, 'open:' .. slot
  local was_open = old_status and not CLOSED_STATUS[old_status]
  local is_open = status and not CLOSED_STATUS[status]
  if status ~= old_status then
    if old_status then redis.call('HINCRBY', g, 'st:' .. old_status, -1) end
    if status then redis.call('HINCRBY', g, 'st:' .. status, 1) end
  end
  if was_open ~= is_open or level ~= old_level then
    if was_open and old_level and old_level ~= '' then
      redis.call('HINCRBY', g, 'lvl:' .. old_level, -1)
    end
    if is_open and level and level ~= '' then redis.call('HINCRBY', g, 'lvl:' .. level, 1) end
  end
  -- callback:{C}: resolved orders waiting for their call-back (回访), by resolution time
  if status ~= old_status and (status == 'resolved' or old_status == 'resolved') then
    local cb = 'callback:' .. slot
    if status == 'resolved' then
      local at = nil
      for f = 1, #fields - 1, 2 do
        if fields[f] == 'resolved_at_ms' then at = fields[f + 1] end
      end
      redis.call('ZADD', cb, at or 0, member)
    else
      redis.call('ZREM', cb, member)
    end
  end
  if not is_open then
    redis.call('ZREM', o, member)
  elseif resolve then
    if resolve == '0' then redis.call('ZREM', o, member) else redis.call('ZADD', o, resolve, member) end
  end
end
