-- pending_unmark: forget counties whose outbox the sweeper found empty, unless a sender marked
-- them since the cutoff (it may be adding an entry right now: see outbox.h).
-- KEYS  1 pending:<hop>
-- ARGV  1 cutoff ms, then the counties found empty
-- -> number of counties removed
local removed = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) < tonumber(ARGV[1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
