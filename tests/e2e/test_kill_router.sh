#!/usr/bin/env bash
# Nothing lost, nothing doubled: SIGKILL (twice) and SIGTERM the router while appeals flow,
# restart it each time,
# and every accepted appeal is assigned exactly once, alerted exactly once, counted once.
source "$(dirname "$0")/lib.sh"
N=${N:-300}
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services

# All appeals in 和林格尔县 so that each one matches exactly one subscription.
villages=($(county_villages))
send() {
  local i region code
  for ((i = 0; i < N; i++)); do
    region=${villages[$((i % ${#villages[@]}))]}
    code=$(curl -s -o "$E2E_DIR/resp.$i" -w '%{http_code}' -X POST "$INTAKE/v1/appeals" \
      -H 'Content-Type: application/json' -H "Idempotency-Key: kill-$i" \
      --data-binary "$(appeal_json "$region" heating hotline)")
    [ "$code" == 201 ] && jq -r .id "$E2E_DIR/resp.$i" >>"$E2E_DIR/accepted"
    sleep 0.005
  done
}
: >"$E2E_DIR/accepted"
send &
sender=$!
for sig in KILL TERM KILL; do
  sleep 0.7
  e2e_kill router "$sig"
  echo "# router stopped with SIG$sig after $(wc -l <"$E2E_DIR/accepted") accepted"
  sleep 0.5
  e2e_start_service router
done
wait "$sender"
accepted=$(wc -l <"$E2E_DIR/accepted")
check_eq "every appeal was accepted" "$N" "$accepted"
check_eq "ids are unique" "$accepted" "$(sort -u "$E2E_DIR/accepted" | wc -l)"

check "every accepted appeal assigned" wait_until 30 all_assigned "$accepted"
check_eq "assigned exactly once (history = collected, assigned)" 0 "$(histories_not_assigned_once)"
check "every alert delivered" wait_until 30 alerts_at_least "$accepted"
sleep 1.5 # a late duplicate would arrive within a resend interval
check_eq "alerts delivered exactly once" "$accepted" "$(alerts_count)"
check_eq "one alert per appeal" "$accepted" \
  "$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r '.[].headers["X-Gridline-Alert-Id"]' | sort -u | wc -l)"
counted() { [ "$(curl -s "$AGGREGATOR/v1/stats?region=150123" | jq -r "$1")" == "$accepted" ]; }
check "counted exactly once" wait_until 20 counted .appeals
check "assignments counted exactly once" wait_until 20 counted .by_event.assigned
check_eq "outboxes empty" 0 "$(outbox_entries)"
check_eq "no delivery pending" 0 "$(rcli zcard 'delivery:{150123}')"
# the kills mattered: intake found no router to send to, and the outbox sweeper re-sent
# summed over the metric's labels (one series per hop)
metric() { curl -s "$INTAKE/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {print s + 0}'; }
check "intake had to leave events to the outbox" test "$(metric gridline_send_deferred_total)" -gt 0
check "the sweeper re-sent them" test "$(metric gridline_outbox_resent_total)" -gt 0
exit 0
