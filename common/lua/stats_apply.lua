-- stats_apply: a batch of one county's events, each counted only if the bytes received are
-- the stored event and its outbox entry is still there (consumed in the same step), with the
-- increments folded before writing (see common/tally.h for the fields).
-- KEYS  1 outbox:{C}:aggregator
-- ARGV  1 county  2 max tries  3 now ms  4 number of events, then per event: member, the
--       event bytes as received, appeal id, r, r regions, day, month, n, n fields (the
--       event's day), cohort day ("" none), cohort month, slot ("" none), "min" | "max"
--       (which seq holds the slot), seq, the slot's fields joined by ","
-- Every field is added to stats:{C}:<day>:<region> for each region, and to the county's
-- monthly roll-up stats:{C}:<month>:<C>; the slot's to the cohort day and month. A slot (one per appeal, in the appeal's
-- hash: "<seq>|<fields>") is taken by the lowest (min) or highest (max) seq: a better event
-- takes the old one's fields back. agg_inv (an invalid call) takes every other slot's fields
-- back for good: after it, no slot of the appeal counts.
-- -> {code, code, ...} one per event (codes in lib.lua)
local tag = '{' .. ARGV[1] .. '}:'
local acc, order, out = {}, {}, {}
local function add(regions, periods, field, n)
  for pi, p in ipairs(periods) do
    -- periods: {day, month}; the monthly roll-up is the county's alone (regions[1])
    for ri, r in ipairs(regions) do
      if pi == 2 and ri > 1 then break end
      local k = 'stats:' .. tag .. p .. ':' .. r
      local h = acc[k]
      if not h then h = {}; acc[k] = h; order[#order + 1] = k end
      h[field] = (h[field] or 0) + n
    end
  end
end
local function each_field(list, fn)
  for f in string.gmatch(list, '[^,]+') do fn(f) end
end
local i = 5
for e = 1, tonumber(ARGV[4]) do
  local member, received, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local nr = tonumber(ARGV[i + 3])
  local regions = {}
  for r = 1, nr do regions[r] = ARGV[i + 3 + r] end
  i = i + 4 + nr
  local periods = {ARGV[i], ARGV[i + 1]}
  local nf = tonumber(ARGV[i + 2])
  local fields_at = i + 3
  i = fields_at + nf
  local cohort = {ARGV[i], ARGV[i + 1]}
  i = i + 2
  local slot, mode, seq, slot_fields = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  i = i + 4
  local code = consume(tag, 'aggregator', KEYS[1], member, received, ARGV[2], ARGV[3])
  if code == APPLIED then
    for f = fields_at, fields_at + nf - 1 do add(regions, periods, ARGV[f], 1) end
    if cohort[1] ~= '' and slot ~= '' then
      local akey = 'appeal:' .. tag .. id
      if redis.call('HEXISTS', akey, 'agg_inv') == 1 then
        slot = '' -- invalid: out of the rates for good
      elseif slot == 'agg_inv' then
        for _, s in ipairs({'agg_asg', 'agg_ack', 'agg_res', 'agg_fb'}) do
          local held = redis.call('HGET', akey, s)
          local held_fields = held and string.match(held, '^%d+|(.*)$')
          if held_fields then each_field(held_fields, function(f) add(regions, cohort, f, -1) end) end
        end
      end
      if slot ~= '' then
        local held = redis.call('HGET', akey, slot)
        local take = true
        if held then
          local held_seq, held_fields = string.match(held, '^(%d+)|(.*)$')
          held_seq = tonumber(held_seq) or seq
          if mode == 'max' then take = seq > held_seq else take = seq < held_seq end
          if take then
            each_field(held_fields or '', function(f) add(regions, cohort, f, -1) end)
          end
        end
        if take then
          redis.call('HSET', akey, slot, seq .. '|' .. slot_fields)
          each_field(slot_fields, function(f) add(regions, cohort, f, 1) end)
        end
      end
    end
  end
  out[e] = code
end
for _, k in ipairs(order) do
  for fld, n in pairs(acc[k]) do
    if n ~= 0 then redis.call('HINCRBY', k, fld, n) end
  end
end
return out
