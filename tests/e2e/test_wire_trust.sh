#!/usr/bin/env bash
# What a receiver trusts: only the stored event. A forged frame sent to a PULL port changes
# nothing (no re-routing, no count in another county, no alert suppressed); an oversized frame
# costs no memory; an entry that can never apply is parked, listed by gridctl and replayed.
source "$(dirname "$0")/lib.sh"
# long enough that the forged frames below arrive before the sweeper re-sends the real one
export GRIDLINE_OUTBOX_RESEND_AFTER_MS=5000
e2e_start_redis
e2e_start_sink
e2e_configure
for s in aggregator notifier intake; do e2e_start_service "$s"; done
ZSEND="$BUILD/tests/tools/zsend"
metric() { # PORT NAME{labels}: the value, 0 when absent
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2; f = 1} END {if (!f) print 0}'
}

# An appeal waits in the router's outbox (no router yet).
resp=$(post_appeal "$(appeal_json 150123100001 heating hotline)")
id=$(jq -r .id <<<"${resp#* }")
check "appeal accepted" test -n "$id"

# The router starts; before the sweeper re-sends the genuine event, two forged copies arrive:
# one moving the appeal to another county, one to another category in the same county.
e2e_start_service router
"$ZSEND" "$GRIDLINE_ROUTER_ENDPOINT" router "$id" 1 collected 150102001001 policing
"$ZSEND" "$GRIDLINE_ROUTER_ENDPOINT" router "$id" 1 collected 150123100001 policing
assigned() { [ "$(rcli hget "appeal:{150123}:$id" status)" == assigned ]; }
check "the genuine event is applied" wait_until 15 assigned
check_eq "assigned by its real category" "城关镇供热站 李明" "$(rcli hget "appeal:{150123}:$id" assignee)"
check_eq "history: collected, assigned" 2 "$(rcli llen "events:{150123}:$id")"
check_eq "a forged region is dropped at the door" 1 \
  "$(metric "$GRIDLINE_ROUTER_HTTP_PORT" 'gridline_inbox_dropped_total{hop="router",reason="foreign_region"}')"
check_eq "forged bytes are refused by the apply step" 1 \
  "$(metric "$GRIDLINE_ROUTER_HTTP_PORT" 'gridline_router_events_total{result="forged"}')"
check "nothing counted in the forged county" stat_is 150102 .appeals 0
check "counted once in its own county" wait_until 10 stat_is 150123 .by_event.assigned 1
check "its alert was delivered" wait_until 10 alerts_at_least 1

# Forged frames on the other hops change nothing either.
"$ZSEND" "$GRIDLINE_AGGREGATOR_ENDPOINT" aggregator "$id" 2 assigned 150123100001 policing
"$ZSEND" "$GRIDLINE_NOTIFIER_ENDPOINT" notifier "$id" 2 escalated 150123100001 heating
sleep 1
check "the aggregator did not count the forgery" stat_is 150123 .by_event.assigned 1
check_eq "no escalation counted" null "$(curl -s "$AGGREGATOR/v1/stats?region=150123" | jq .by_event.escalated)"
check_eq "one alert, no forged one" 1 "$(alerts_count)"

# An oversized frame is refused by libzmq before it is read into memory.
rss() { awk '/VmRSS/ {print $2}' "/proc/${E2E_PID[aggregator]}/status"; }
before=$(rss)
"$ZSEND" --junk 67108864 "$GRIDLINE_AGGREGATOR_ENDPOINT" || true
"$ZSEND" --junk 1000 "$GRIDLINE_AGGREGATOR_ENDPOINT"
sleep 1
after=$(rss)
check "a 64 MiB frame costs the aggregator no memory ($before -> $after kB)" test $((after - before)) -lt 20000
check "junk is counted as dropped" test "$(metric "$GRIDLINE_AGGREGATOR_HTTP_PORT" 'gridline_inbox_dropped_total{hop="aggregator",reason="not_envelope"}')" -ge 1
check "the aggregator still answers" curl -sf "$AGGREGATOR/healthz"

# An entry that can never apply (another writer moved the appeal on) is parked, not re-sent
# for ever; gridctl lists it, and replays it once the appeal is back in a state it fits.
e2e_kill router
e2e_kill intake
e2e_start_service intake GRIDLINE_OUTBOX_RESEND_AFTER_MS=1000
resp=$(post_appeal "$(appeal_json 150123100001 heating hotline)")
id2=$(jq -r .id <<<"${resp#* }")
rcli hset "appeal:{150123}:$id2" seq 9 >/dev/null
e2e_start_service router
parked() { [ "$(rcli zcard 'deadletter:{150123}')" == 1 ]; }
check "parked after its tries" wait_until 30 parked
check_eq "gone from the outbox" "" "$(rcli zscore 'outbox:{150123}:router' "$id2:1")"
check "gridctl lists it" bash -c "'$BUILD/gridctl' deadletters 2>/dev/null | grep -q '^router|$id2:1'"
rcli hset "appeal:{150123}:$id2" seq 1 >/dev/null
check "gridctl replays it" "$BUILD/gridctl" replay all
assigned2() { [ "$(rcli hget "appeal:{150123}:$id2" status)" == assigned ]; }
check "the replayed entry applies" wait_until 15 assigned2
check_eq "nothing parked any more" 0 "$(rcli zcard 'deadletter:{150123}')"
exit 0
