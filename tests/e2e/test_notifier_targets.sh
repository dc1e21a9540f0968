#!/usr/bin/env bash
# The notifier's targets and delivery (issue 9): a signed webhook a receiver can verify; WeCom
# and DingTalk robot messages (DingTalk's own signature); a real Alertmanager in between that
# fires and then resolves; grouping during a burst with a red alert never held; a receiver that
# hangs does not delay another; deliveries failing past max_age become dead letters that
# replay once the receiver is back.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_start_alertmanager "http://127.0.0.1:$SINK_PORT/am-receiver"
e2e_configure
# a hanging receiver: answers after 20 s (far past the POST timeout of 3 s)
free_port HANG_PORT
"$BUILD/gridline-sink" --port "$HANG_PORT" --delay-ms 20000 --quiet >/dev/null 2>&1 &
E2E_PIDS+=($!)
wait_until 10 curl -sf "http://127.0.0.1:$HANG_PORT/healthz" || { echo "# hanging sink did not start"; exit 1; }
free_port DOWN_PORT # nothing listens here until the dead-letter part
export GRIDLINE_NOTIFIER_RETRY_BASE=200ms GRIDLINE_NOTIFIER_RETRY_MAX=500ms GRIDLINE_NOTIFIER_MAX_AGE=3s \
  GRIDLINE_NOTIFIER_ALERTMANAGER_REPEAT=1s
e2e_start_services
NOTIFIER="http://127.0.0.1:$GRIDLINE_NOTIFIER_HTTP_PORT"
S="http://127.0.0.1:$SINK_PORT"
J='Content-Type: application/json'
sub() { # BODY -> id
  curl -s -X POST "$NOTIFIER/v1/subscriptions" -H "$J" -d "$1" | jq -r .id
}
reqs() { curl -s "$S/requests" | jq -c "[.[] | select(.path | startswith(\"$1\"))]"; }
count() { reqs "$1" | jq length; }
at_least() { [ "$(count "$1")" -ge "$2" ]; }

# --- a signed webhook, WeCom, DingTalk (signed), Alertmanager: one appeal in 和林格尔县
sub '{"name":"signed","region":"150123","url":"'"$S"'/signed","secret":"s3cret"}' >/dev/null
sub '{"name":"wecom","region":"150123","target":{"type":"wecom","url":"'"$S"'/wecom?key=WECOMKEY"}}' >/dev/null
sub '{"name":"dingtalk","region":"150123","target":{"type":"dingtalk","url":"'"$S"'/dingtalk?access_token=DTTOKEN","secret":"SECdt"}}' >/dev/null
sub '{"name":"am","region":"150123","target":{"type":"alertmanager","url":"'"$ALERTMANAGER"'"}}' >/dev/null
res=$(post_appeal "$(appeal_json 150123100001 heating)")
id=$(jq -r .id <<<"${res#* }")
check "the signed webhook gets it" wait_until 15 at_least /signed 1
r=$(reqs /signed | jq '.[0]')
ts=$(jq -r '.headers["X-Gridline-Timestamp"]' <<<"$r")
sig=$(jq -r '.headers["X-Gridline-Signature"]' <<<"$r")
want=$(jq -j '.raw' <<<"$r" | { printf '%s.' "$ts"; cat; } | openssl dgst -sha256 -hmac s3cret -r | cut -d' ' -f1)
check_eq "X-Gridline-Signature = sha256=HMAC(secret, timestamp.body), checked with openssl" "sha256=$want" "$sig"
check "the timestamp is now (unix seconds)" test $(($(date +%s) - ts)) -lt 60
check_eq "X-Gridline-Alert-Id" "$id:2" "$(jq -r '.headers["X-Gridline-Alert-Id"]' <<<"$r")"
check "WeCom robot gets a markdown message" wait_until 15 at_least /wecom 1
w=$(reqs /wecom | jq '.[0]')
check_eq "... msgtype markdown, with the colour and the county" "markdown 1 1" \
  "$(jq -r '"\(.body.msgtype) \(.body.markdown.content | test("绿")|if . then 1 else 0 end) \(.body.markdown.content | test("和林格尔县")|if . then 1 else 0 end)"' <<<"$w")"
check "... under 4096 bytes" test "$(jq -j .body.markdown.content <<<"$w" | wc -c)" -lt 4096
check_eq "... to the URL with its key" "/wecom WECOMKEY" "$(jq -r '"\(.path) \(.query.key)"' <<<"$w")"
check "DingTalk robot gets it" wait_until 15 at_least /dingtalk 1
d=$(reqs /dingtalk | jq '.[0]')
dts=$(jq -r .query.timestamp <<<"$d")
dsign=$(jq -r .query.sign <<<"$d")
dwant=$(printf '%s\n%s' "$dts" SECdt | openssl dgst -sha256 -hmac SECdt -binary | base64)
check_eq "DingTalk sign = base64(HMAC(secret, timestamp\\nsecret)), decoded from the URL" "$dwant" "$dsign"
check_eq "... its access_token kept, the timestamp in ms" "DTTOKEN 13" "$(jq -r '"\(.query.access_token) \(.query.timestamp | length)"' <<<"$d")"
check_eq "... markdown with a title" "markdown 1" "$(jq -r '"\(.body.msgtype) \(.body.markdown.title | length > 0 | if . then 1 else 0 end)"' <<<"$d")"
check "no webhook credential in the notifier's log" sh -c "! grep -qE 'WECOMKEY|DTTOKEN|s3cret|SECdt' '$E2E_DIR/notifier.log'"
am_firing() { reqs /am-receiver | jq -e "[.[] | select(.body.status == \"firing\") | .body.alerts[] | select(.labels.appeal_id == \"$id\")] | length > 0" >/dev/null; }
check "Alertmanager fires it to its receiver" wait_until 20 am_firing
check_eq "... labels: alertname, county, level, category" "gridline_appeal 150123 green heating" \
  "$(reqs /am-receiver | jq -r '[.[] | .body.alerts[]][0].labels | "\(.alertname) \(.county) \(.level) \(.category)"')"
am_updated() { command curl -s "$ALERTMANAGER/api/v2/alerts?filter=appeal_id%3D%22$id%22" | jq -r '.[0].updatedAt'; }
u1=$(am_updated)
changed() { [ "$(am_updated)" != "$u1" ]; }
check "posted again while the appeal is open (Alertmanager's updatedAt moves)" wait_until 10 changed
check_eq "resolve the appeal: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$INTAKE/v1/appeals/$id/resolve" -H "$J" -d '{"actor":"李明","resolution":"已修复"}')"
am_resolved() { reqs /am-receiver | jq -e "[.[] | select(.body.status == \"resolved\") | .body.alerts[] | select(.labels.appeal_id == \"$id\")] | length > 0" >/dev/null; }
check "Alertmanager resolves it (endsAt sent when the appeal was resolved)" wait_until 20 am_resolved
no_repeat() { [ "$(rcli zcard 'delivery:{150123}')" == 0 ]; }
check "no repeat is left for the resolved appeal" wait_until 10 no_repeat

# --- grouping: 1,000 alerts in a burst go out as a few dozen messages; a red one is not held
gid=$(sub '{"name":"grouped","region":"150124","url":"'"$S"'/grouped","group_wait_s":10,"group_interval_s":5}')
"$BUILD/gridline-loadgen" --url "$INTAKE" --token "$E2E_TOKEN" --prefix 150124 --count 1000 \
  --concurrency 16 --quiet >/dev/null
res=$(post_appeal "$(appeal_json 150124100003 power)")
rid=$(jq -r .id <<<"${res#* }")
assigned() { [ "$(curl -s "$INTAKE/v1/appeals/$rid" | jq -r .status)" == assigned ]; }
wait_until 10 assigned
for i in 1 2 3; do
  curl -s -o /dev/null -X POST "$INTAKE/v1/appeals/$rid/escalate" -H "$J" -d '{"actor":"县督办","reason":"群众反映强烈"}'
done
red_in() { reqs /grouped | jq -e '[.[] | (.body.alerts // [.body])[] | select(.level == "red")] | length > 0' >/dev/null; }
check "the red escalation arrives" wait_until 15 red_in
all_in() { [ "$(reqs /grouped | jq '[.[] | (.body.alerts // [.body])[] | .id] | unique | length')" -ge 1004 ]; }
check "every alert of the burst arrives (1,000 assigned, 1 assigned + 3 escalated)" wait_until 60 all_in
msgs=$(count /grouped)
check "1,004 alerts in at most 60 messages (got $msgs)" test "$msgs" -le 60
check_eq "each alert once" 1004 "$(reqs /grouped | jq '[.[] | (.body.alerts // [.body])[] | .id] | length')"
check "a group's body is {alerts:[...]} with X-Gridline-Alert-Ids" \
  test "$(reqs /grouped | jq '[.[] | select(.body.alerts) | select((.headers["X-Gridline-Alert-Ids"] | split(",") | length) == (.body.alerts | length))] | length')" -ge 1
check "no group over notifier.group_max (100)" test "$(reqs /grouped | jq '[.[] | (.body.alerts // [.body]) | length] | max')" -le 100
red_at=$(reqs /grouped | jq '[.[] | select([(.body.alerts // [.body])[] | .level] | index("red"))][0].at_ms')
first_group=$(reqs /grouped | jq '[.[] | select(.body.alerts and ([.body.alerts[] | .level] | index("red") | not))][0].at_ms')
check "the red alert went before the first group (held 10 s): red $red_at, first group $first_group" test "$red_at" -lt "$first_group"

# --- quiet hours (local time, UTC+8) covering now: green waits for the digest, red does not
from=$(TZ=Asia/Shanghai date -d '-1 min' +%H:%M)
to=$(TZ=Asia/Shanghai date -d '+2 hours' +%H:%M)
sub '{"name":"night","region":"150103","url":"'"$S"'/night","quiet_hours":"'"$from-$to"'"}' >/dev/null
res=$(post_appeal "$(appeal_json 150103001001 water)")
qid=$(jq -r .id <<<"${res#* }")
held() { [ "$(rcli zcard 'delivery:{150103}')" -ge 1 ]; }
check "a green alert in quiet hours is held in Redis" wait_until 10 held
end_ms=$(( ($(TZ=Asia/Shanghai date -d "today $to" +%s) + ($(TZ=Asia/Shanghai date -d "today $to" +%s) < $(date +%s) ? 86400 : 0)) * 1000 ))
check_eq "... until the quiet hours end ($to)" "$end_ms" "$(rcli zscore 'delivery:{150103}' "$qid:2|$(curl -s "$NOTIFIER/v1/subscriptions" | jq -r '.subscriptions[] | select(.name == "night") | .id')")"
for i in 1 2 3; do
  curl -s -o /dev/null -X POST "$INTAKE/v1/appeals/$qid/escalate" -H "$J" -d '{"actor":"县督办","reason":"夜间抢修"}'
done
night_red() { reqs /night | jq -e '[.[] | (.body.alerts // [.body])[] | select(.level == "red")] | length > 0' >/dev/null; }
check "the red escalation is not held" wait_until 15 night_red
check_eq "... and nothing but red went out" 0 "$(reqs /night | jq '[.[] | (.body.alerts // [.body])[] | select(.level != "red")] | length')"

# --- a receiver that hangs does not delay another
sub '{"name":"hangs","region":"150125","url":"http://127.0.0.1:'"$HANG_PORT"'/h"}' >/dev/null
sub '{"name":"quick","region":"150125","url":"'"$S"'/quick"}' >/dev/null
t0=$(date +%s%3N)
for i in $(seq 40); do post_appeal "$(appeal_json 150125100003 water)" >/dev/null; done
check "the quick receiver gets all 40 while the other hangs" wait_until 15 at_least /quick 40
last=$(reqs /quick | jq '[.[].at_ms] | max')
check "... within 10 s of the first appeal ($((last - t0)) ms)" test $((last - t0)) -lt 10000

# --- failing past max_age (3 s): dead letters, listed, then replayed to a receiver that is back
did=$(sub '{"name":"down","region":"150221","url":"http://127.0.0.1:'"$DOWN_PORT"'/d"}')
for i in 1 2; do post_appeal "$(appeal_json 150221104001 water)" >/dev/null; done
dead2() { [ "$(curl -s "$NOTIFIER/v1/subscriptions/$did/dead-letters" | jq '.dead_letters | length')" -ge 2 ]; }
check "after max_age the two are dead letters" wait_until 20 dead2
check_eq "... listed with their alerts" "150221 water" \
  "$(curl -s "$NOTIFIER/v1/subscriptions/$did/dead-letters" | jq -r '.dead_letters[0] | "\(.county) \(.alert.category)"')"
check "the dead letters metric counts them" test "$(curl -s "$NOTIFIER/metrics" | awk '$1 == "gridline_notifier_dead_letters_total" {print $2}')" -ge 2
"$BUILD/gridline-sink" --port "$DOWN_PORT" --out "$E2E_DIR/down.jsonl" --quiet >/dev/null 2>&1 &
E2E_PIDS+=($!)
wait_until 10 curl -sf "http://127.0.0.1:$DOWN_PORT/healthz"
check_eq "gridctl dead-letters lists them" 2 "$(GRIDLINE_TOKEN=$E2E_TOKEN "$BUILD/gridctl" dead-letters "$did" | jq '.dead_letters | length')"
check_eq "replay (gridctl dead-letters SUB replay): 2" 2 "$(GRIDLINE_TOKEN=$E2E_TOKEN "$BUILD/gridctl" dead-letters "$did" replay | jq .replayed)"
back() { [ "$(curl -s "http://127.0.0.1:$DOWN_PORT/count" | jq .received)" -ge 2 ]; }
check "the receiver back gets both" wait_until 15 back
check_eq "no dead letters left" 0 "$(curl -s "$NOTIFIER/v1/subscriptions/$did/dead-letters" | jq '.dead_letters | length')"
check_eq "nothing left to deliver there" 0 "$(rcli zcard 'delivery:{150221}')"
exit 0
