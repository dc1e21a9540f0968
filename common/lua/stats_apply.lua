-- stats_apply: a batch of one county's events, each counted only if the bytes received are
-- the stored event and its outbox entry is still there (consumed in the same step), with the
-- increments folded before writing. One read (the stored event) and one ZREM per event.
-- KEYS  1 outbox:{C}:aggregator
-- ARGV  1 county  2 max tries  3 now ms  4 number of events, then per event: member, the
--       event bytes as received, n, then n pairs of (stats key, field)
-- -> {code, code, ...} one per event (codes in lib.lua)
local tag = '{' .. ARGV[1] .. '}:'
local acc, order, out = {}, {}, {}
local i = 5
for e = 1, tonumber(ARGV[4]) do
  local member, received, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  i = i + 3
  local code = consume(tag, 'aggregator', KEYS[1], member, received, ARGV[2], ARGV[3])
  if code == APPLIED then
    for f = 0, n - 1 do
      local k, fld = ARGV[i + 2 * f], ARGV[i + 2 * f + 1]
      local h = acc[k]
      if not h then h = {}; acc[k] = h; order[#order + 1] = k end
      h[fld] = (h[fld] or 0) + 1
    end
  end
  i = i + 2 * n
  out[e] = code
end
for _, k in ipairs(order) do
  for fld, n in pairs(acc[k]) do redis.call('HINCRBY', k, fld, n) end
end
return out
