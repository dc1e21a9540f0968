-- notify_accept: consume a batch of one county's events and queue their deliveries (leased to
-- the caller, who POSTs them at once; if it dies, another notifier retries them when the
-- lease ends). An event is accepted only if the bytes received are the stored event and its
-- outbox entry is still there. One read (the stored event) and one ZREM per event.
-- The caller matched the events against subscriptions version ARGV[6]: when the county's
-- subver:{C} is newer (a subscription changed and its API call answered), nothing is done and
-- the reply is the integer -100: load the subscriptions again and retry.
-- KEYS  1 outbox:{C}:notifier  2 delivery:{C}  3 delivery:{C}:body  4 subver:{C}
-- ARGV  1 county  2 lease-until ms  3 max tries  4 now ms  5 number of events
--       6 subscriptions version, then per event: member, the event bytes as received, n, then
--       n pairs (delivery member, body)
-- -> {code, code, ...} one per event (codes in lib.lua), or -100
if tonumber(redis.call('GET', KEYS[4]) or '0') > tonumber(ARGV[6]) then return -100 end
local tag = '{' .. ARGV[1] .. '}:'
local out = {}
local i = 7
for e = 1, tonumber(ARGV[5]) do
  local member, received, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local first = i + 3
  i = first + 2 * n
  local code = consume(tag, 'notifier', KEYS[1], member, received, ARGV[3], ARGV[4])
  if code == APPLIED then
    for d = first, first + 2 * n - 1, 2 do
      redis.call('ZADD', KEYS[2], ARGV[2], ARGV[d])
      redis.call('HSET', KEYS[3], ARGV[d], ARGV[d + 1])
    end
  end
  out[e] = code
end
return out
