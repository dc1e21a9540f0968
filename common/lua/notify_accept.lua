-- notify_accept: consume a batch of one county's events and queue their deliveries. A delivery
-- to send now is leased to the caller (who POSTs it at once; if it dies, another notifier
-- retries it when the lease ends); a held one (grouping, quiet hours) waits in the set until
-- its time, when a sweep claims it with the others of its subscription. An event is accepted
-- only if the bytes received are the stored event and its outbox entry is still there.
-- The caller matched the events against subscriptions version ARGV[6]: when the county's
-- subver:{C} is newer (a subscription changed and its API call answered), nothing is done and
-- the reply is the integer -100: load the subscriptions again and retry.
-- KEYS  1 outbox:{C}:notifier  2 delivery:{C}  3 delivery:{C}:body  4 subver:{C}
--       5 delivery:{C}:meta  6 delivery:{C}:sent
-- ARGV  1 county  2 lease-until ms  3 max tries  4 now ms  5 number of events
--       6 subscriptions version, then per event: member, the event bytes as received, n, then
--       n deliveries of 4: member "<alert id>|<subscription id>", body, hold ("0": send now;
--       else not before this ms), the subscription's group interval ms
-- -> {code, code, ...} one per event (codes in lib.lua), or -100
-- meta: "<first queued ms>:<failed tries>:<leases>"; sent: subscription id -> last sent ms.
if tonumber(redis.call('GET', KEYS[4]) or '0') > tonumber(ARGV[6]) then return -100 end
local tag = '{' .. ARGV[1] .. '}:'
local out = {}
local i = 7
for e = 1, tonumber(ARGV[5]) do
  local member, received, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local first = i + 3
  i = first + 4 * n
  local code = consume(tag, 'notifier', KEYS[1], member, received, ARGV[3], ARGV[4])
  if code == APPLIED then
    for d = first, first + 4 * n - 1, 4 do
      local m, hold, interval = ARGV[d], tonumber(ARGV[d + 2]), tonumber(ARGV[d + 3])
      local score, leases = ARGV[2], 1
      if hold ~= 0 then
        score, leases = hold, 0
        if interval > 0 then
          local sub = string.sub(m, string.find(m, '|', 1, true) + 1)
          local sent = tonumber(redis.call('HGET', KEYS[6], sub) or '0')
          if sent + interval > score then score = sent + interval end
        end
      end
      redis.call('ZADD', KEYS[2], score, m)
      redis.call('HSET', KEYS[3], m, ARGV[d + 1])
      redis.call('HSET', KEYS[5], m, ARGV[4] .. ':0:' .. leases)
    end
  end
  out[e] = code
end
return out
