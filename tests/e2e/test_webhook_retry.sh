#!/usr/bin/env bash
# A webhook that fails (503) or is down gets the alert later, not never; and once.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink --fail-first 3
e2e_configure
e2e_start_services
ids=()
for i in 1 2; do
  res=$(post_appeal "$(appeal_json 150123100001 heating hotline)")
  ids+=("$(jq -r .id <<<"${res#* }")")
done
check "both alerts arrive despite three 503s" wait_until 20 alerts_at_least 2
metric() { curl -s "http://127.0.0.1:$GRIDLINE_NOTIFIER_HTTP_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
check_eq "the notifier saw the failures" 3 "$(metric 'gridline_notifier_deliveries_total{target="webhook",result="receiver_error"}')"
check "the notifier logged them" grep -q '"msg":"alert delivery failed, will retry"' "$E2E_DIR/notifier.log"
sleep 1.5
check_eq "each delivered once" "${ids[0]}:2 ${ids[1]}:2" \
  "$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r '[.[].headers["X-Gridline-Alert-Id"]]|sort|join(" ")')"
check_eq "nothing left to deliver" 0 "$(rcli zcard 'delivery:{150123}')"

# The webhook is down altogether: the delivery waits in Redis and goes out when it is back.
e2e_kill sink KILL
res=$(post_appeal "$(appeal_json 150123100001 water web)")
id=$(jq -r .id <<<"${res#* }")
pending_is() { [ "$(rcli zcard 'delivery:{150123}')" == "$1" ]; }
check "a delivery waits while the webhook is down" wait_until 10 pending_is 1
"$BUILD/gridline-sink" --port "$SINK_PORT" --out "$E2E_DIR/alerts2.jsonl" --quiet >/dev/null 2>&1 &
E2E_PIDS+=($!)
check "delivered when the webhook is back" wait_until 20 alerts_at_least 1
check_eq "the right alert" "$id:2" "$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r '.[0].headers["X-Gridline-Alert-Id"]')"
exit 0
