#!/usr/bin/env bash
# The whole path, real processes: POST an appeal -> stored -> routed and assigned ->
# alert POSTed to the matching subscription -> counted at every region level -> shown.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services

# --- a valid appeal (village 150123100001 is in 城关镇 150123100, 和林格尔县 150123)
res=$(post_appeal "$(appeal_json 150123100001 heating hotline)")
status=${res%% *}
body=${res#* }
id=$(jq -r .id <<<"$body")
check_eq "POST /v1/appeals answers 201" 201 "$status"
check "id is county-day-counter" grep -Eq '^150123-[0-9]{8}-[0-9]{6}$' <<<"$id"
check_eq "body names the location" "/v1/appeals/$id" "$(jq -r .location <<<"$body")"
check "stored in Redis before the answer" test "$(rcli hget "appeal:{150123}:$id" status)" != ""

assigned() { [ "$(curl -s "$INTAKE/v1/appeals/$1" | jq -r .status)" == assigned ]; }
check "router assigns it" wait_until 10 assigned "$id"
appeal=$(curl -s "$INTAKE/v1/appeals/$id")
check_eq "level is green" green "$(jq -r .level <<<"$appeal")"
check_eq "longest directory prefix wins" "城关镇供热站 李明" "$(jq -r .assignee <<<"$appeal")"
check_eq "department from category" heating "$(jq -r .department <<<"$appeal")"
check_eq "history: collected then assigned" "collected assigned" "$(jq -r '[.events[].type]|join(" ")' <<<"$appeal")"
check_eq "region names resolved" "和林格尔县" "$(jq -r '.region_names[2]' <<<"$appeal")"
check "both clocks set in Redis" test -n "$(rcli zscore 'deadline:{150123}' "$id|ack")" -a -n "$(rcli zscore 'deadline:{150123}' "$id|resolve")"
check "the deadline index knows the county" test -n "$(rcli zscore '{deadline}:index' 150123)"

check "alert delivered" wait_until 10 alerts_at_least 1
check_eq "exactly one alert" 1 "$(alerts_count)"
alert=$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -c '.[0]')
check_eq "alert to the county subscription" /alerts/county "$(jq -r .path <<<"$alert")"
check_eq "alert id header" "$id:2" "$(jq -r '.headers["X-Gridline-Alert-Id"]' <<<"$alert")"
check_eq "alert body level" green "$(jq -r .body.level <<<"$alert")"
check_eq "alert recipients" "城关镇供热站 李明" "$(jq -r '.body.recipients[0]' <<<"$alert")"

# --- counted at every level
counted() { [ "$(curl -s "$AGGREGATOR/v1/stats?region=$1" | jq -r .appeals)" == "$2" ]; }
check "counted at village" wait_until 10 counted 150123100001 1
for r in 150123100 150123 1501 15; do
  check "counted at $r" counted "$r" 1
done
stats=$(curl -s "$AGGREGATOR/v1/stats?region=1501")
check_eq "by channel" 1 "$(jq -r .by_channel.hotline <<<"$stats")"
check_eq "by category" 1 "$(jq -r .by_category.heating <<<"$stats")"
check "by level" wait_until 5 stat_is 150123 .by_level.green 1
check_eq "city level name" city "$(jq -r .level <<<"$stats")"
check_eq "other county untouched" 0 "$(curl -s "$AGGREGATOR/v1/stats?region=150203" | jq -r .appeals)"
check_eq "outboxes drained" 0 "$(rcli eval "return #redis.call('keys','outbox:*')" 0 | tr -d '\n')" 
# an outbox key exists only while it holds entries
check "router outbox empty" test "$(rcli zcard 'outbox:{150123}:router')" == 0

# --- a grid, a Baotou appeal (other subscription), no directory entry -> grid worker
res=$(post_appeal "$(appeal_json 15012310000102 water wechat)")
gid=$(jq -r .id <<<"${res#* }")
check "grid appeal assigned" wait_until 10 assigned "$gid"
check_eq "no directory entry: the grid worker" "grid-worker:15012310000102" "$(curl -s "$INTAKE/v1/appeals/$gid" | jq -r .assignee)"
res=$(post_appeal "$(appeal_json 150203001015 power app)")
check_eq "Baotou appeal accepted" 201 "${res%% *}"
check "Baotou alert to the baotou subscription" wait_until 10 alerts_at_least 3
check_eq "one alert per subscription path" "/alerts/baotou /alerts/county /alerts/county" \
  "$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r '[.[].path]|sort|join(" ")')"

# --- idempotency and duplicates
before=$(rcli get "seq:{150123}:$(cut -d- -f2 <<<"$id")")
res1=$(post_appeal "$(appeal_json)" -H 'Idempotency-Key: k-1')
res2=$(post_appeal "$(appeal_json)" -H 'Idempotency-Key: k-1')
check_eq "same Idempotency-Key replays the first answer" "${res1}" "${res2}"
after=$(rcli get "seq:{150123}:$(cut -d- -f2 <<<"$id")")
check_eq "replay created nothing" $((before + 1)) "$after"
res=$(post_appeal "$(appeal_json 150123100001 water)" -H 'Idempotency-Key: k-1')
check_eq "same key, other body: 422" 422 "${res%% *}"
check_eq "422 names the header" Idempotency-Key "$(jq -r .error.field <<<"${res#* }")"
ext='{"channel":"hotline","region":"150123100001","category":"heating","description":"暖气不热","external_id":"12345-0001"}'
res=$(post_appeal "$ext")
check_eq "external id first time: 201" 201 "${res%% *}"
res=$(post_appeal "$ext")
check_eq "external id again: 409" 409 "${res%% *}"
check_eq "409 names external_id" external_id "$(jq -r .error.field <<<"${res#* }")"

# --- bad input: a clear error naming the field, and nothing changes
keys_before=$(rcli dbsize)
seq_before=$(rcli get "seq:{150123}:$(cut -d- -f2 <<<"$id")")
bad() { # NAME STATUS FIELD BODY [curl args]
  local name=$1 want=$2 field=$3 body=$4
  shift 4
  local r
  r=$(post_appeal "$body" "$@")
  check_eq "$name: status" "$want" "${r%% *}"
  check_eq "$name: field" "$field" "$(jq -r .error.field <<<"${r#* }")"
}
bad "broken JSON" 400 body '{"channel":'
bad "not an object" 400 body '[1,2]'
bad "bad UTF-8" 400 body $'{"channel":"hotline","region":"150123100001","category":"heating","description":"\xff\xfe"}'
bad "missing description" 400 description '{"channel":"hotline","region":"150123100001","category":"heating"}'
bad "unknown region" 400 region '{"channel":"hotline","region":"150123999999","category":"heating","description":"x"}'
bad "township is not a village" 400 region '{"channel":"hotline","region":"150123100","category":"heating","description":"x"}'
bad "unknown category" 400 category '{"channel":"hotline","region":"150123100001","category":"weather","description":"x"}'
bad "unknown channel" 400 channel '{"channel":"fax","region":"150123100001","category":"heating","description":"x"}'
bad "unknown field" 400 colour '{"channel":"hotline","region":"150123100001","category":"heating","description":"x","colour":"red"}'
bad "wrong type" 400 region '{"channel":"hotline","region":150123100001,"category":"heating","description":"x"}'
bad "bad location" 400 location.lat '{"channel":"hotline","region":"150123100001","category":"heating","description":"x","location":{"lat":99,"lon":1}}'
bad "bad time" 400 occurred_at '{"channel":"hotline","region":"150123100001","category":"heating","description":"x","occurred_at":"yesterday"}'
bad "bad idempotency key" 400 Idempotency-Key "$(appeal_json)" -H "Idempotency-Key: $(printf 'x%.0s' {1..200})"
CT=text/plain bad "wrong content type" 415 Content-Type "$(appeal_json)"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
bad "oversize body" 413 body "{\"channel\":\"hotline\",\"description\":\"$big\"}"
check_eq "bad input changed no key" "$keys_before" "$(rcli dbsize)"
check_eq "bad input used no id" "$seq_before" "$(rcli get "seq:{150123}:$(cut -d- -f2 <<<"$id")")"

# --- reading appeals
check_eq "unknown appeal: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$INTAKE/v1/appeals/150123-20200101-000001")"
check_eq "malformed id: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$INTAKE/v1/appeals/nope")"
check_eq "stats: unknown region 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$AGGREGATOR/v1/stats?region=159999")"
check_eq "stats: bad day 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$AGGREGATOR/v1/stats?region=15&day=2026")"

# --- gridctl, the operator CLI, reads the same configuration
check_eq "gridctl appeal" assigned "$("$BUILD/gridctl" appeal "$id" | jq -r .status)"
check_eq "gridctl stats" city "$("$BUILD/gridctl" stats 1501 | jq -r .level)"
check "gridctl pending shows the totals row" bash -c "'$BUILD/gridctl' pending | grep -q '^total '"
sub=$("$BUILD/gridctl" submit wechat 150123100002 city "小区门口占道经营")
check "gridctl submit creates an appeal" grep -Eq '^150123-[0-9]{8}-[0-9]{6}$' <<<"$(jq -r .id <<<"$sub")"
check "gridctl refuses a bad command" bash -c "! '$BUILD/gridctl' frobnicate 2>/dev/null"

# --- operations surface of every service
for s in intake router notifier aggregator; do
  port_var="GRIDLINE_${s^^}_HTTP_PORT"
  check_eq "$s /healthz" ok "$(curl -s "http://127.0.0.1:${!port_var}/healthz" | jq -r .status)"
  check "$s /metrics is Prometheus text" bash -c "curl -s http://127.0.0.1:${!port_var}/metrics | grep -q '^# TYPE gridline_'"
  check "$s --help" bash -c "'$BUILD/gridline-$s' --help | grep -q GRIDLINE_REDIS_PORT"
  check "$s logs JSON lines" bash -c "head -n 1 '$E2E_DIR/$s.log' | jq -e .msg"
done
check "intake counts created appeals" bash -c "curl -s $INTAKE/metrics | grep -q 'gridline_intake_appeals_total{result=\"created\"} [1-9]'"

# --- configuration mistakes stop a service at once, naming file, line and key
printf 'redis:\n  port: 6390\n  prot: 1\n' >"$E2E_DIR/bad.yaml"
out=$("$BUILD/gridline-router" --config "$E2E_DIR/bad.yaml" 2>&1)
check_eq "bad config file: exit 2" 2 "$?"
check "bad config file: names file, line and key" grep -q "bad.yaml:3: redis.prot: unknown key" <<<"$out"
out=$(GRIDLINE_REDIS_PORT=abc "$BUILD/gridline-intake" 2>&1)
check_eq "bad environment value: exit 2" 2 "$?"
check "bad environment value: names the variable" grep -q 'GRIDLINE_REDIS_PORT: redis.port: "abc" is not an integer' <<<"$out"
out=$("$BUILD/gridline-notifier" --bogus 2>&1)
check_eq "unknown flag: exit 2" 2 "$?"
check_eq "--print-config shows env overrides" "redis.port = $REDIS_PORT" \
  "$("$BUILD/gridline-aggregator" --print-config | grep '^redis.port ')"

# --- SIGTERM: clean exit
for s in intake router notifier aggregator; do
  e2e_kill "$s" TERM
  check "$s exits on SIGTERM with a 'stopped' line" grep -q '"msg":"stopped"' "$E2E_DIR/$s.log"
done
exit 0
