#!/usr/bin/env bash
# SIGKILL each process in turn (notifier, aggregator, intake, router) while appeals flow. The
# client retries with its Idempotency-Key until it gets 201, as a channel gateway would, and
# every appeal still ends up stored once, assigned once, alerted once and counted once.
source "$(dirname "$0")/lib.sh"
N=${N:-200}
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services

villages=($(county_villages))
send() {
  local i tries code
  for ((i = 0; i < N; i++)); do
    for ((tries = 0; tries < 100; tries++)); do
      code=$(curl -s -m 5 -o "$E2E_DIR/resp.$i" -w '%{http_code}' -X POST "$INTAKE/v1/appeals" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: each-$i" \
        --data-binary "$(appeal_json "${villages[$((i % ${#villages[@]}))]}" water visit)")
      [ "$code" == 201 ] && break
      sleep 0.1
    done
    [ "$code" == 201 ] && jq -r .id "$E2E_DIR/resp.$i" >>"$E2E_DIR/accepted"
  done
}
: >"$E2E_DIR/accepted"
send &
sender=$!
for victim in notifier aggregator intake router; do
  sleep 0.6
  e2e_kill "$victim" KILL
  echo "# $victim killed after $(wc -l <"$E2E_DIR/accepted") accepted"
  sleep 0.4
  e2e_start_service "$victim"
done
wait "$sender"
accepted=$(wc -l <"$E2E_DIR/accepted")
check_eq "every appeal accepted (with retries)" "$N" "$accepted"
check_eq "each appeal stored once" "$N" "$(appeal_count)"
check "every appeal assigned" wait_until 30 all_assigned "$N"
check_eq "assigned exactly once" 0 "$(histories_not_assigned_once)"
check "every alert delivered" wait_until 30 alerts_at_least "$N"
sleep 1.5
check_eq "one alert per appeal" "$N" \
  "$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r '.[].headers["X-Gridline-Alert-Id"]' | sort -u | wc -l)"
echo "# alerts received: $(alerts_count) (a repeat is allowed only for a notifier killed mid-POST)"
check "no more than one repeat (the notifier was killed once)" test "$(alerts_count)" -le $((N + 1))
check "counted exactly once" wait_until 20 stat_is 150123 .appeals "$N"
check "assignments counted exactly once" wait_until 20 stat_is 150123 .by_event.assigned "$N"
check_eq "outboxes empty" 0 "$(outbox_entries)"
exit 0
