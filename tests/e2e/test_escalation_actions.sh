#!/usr/bin/env bash
# Escalation (issue 7, docs/escalation.md), what people do, with real processes and a real Redis:
# routing by category, keyword, channel and region, with the directory's prefix fallback; the
# actions acknowledge, resolve, feedback (closed / reopened one level up), escalate, transfer;
# every wrong-state action answered 409 with nothing changed; 404s and 400s naming the field;
# racing actions; Idempotency-Key; the directory API; SIGHUP with a broken, then a valid
# configuration; and the aggregator's counters exact for every new event type.
# The ladder's clocks are long here (nothing falls due); test_escalation_ladder.sh drives time.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esc_lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure

# The county's directory: heating has an owner per level (the town's own at green), "*" covers
# 城关镇 (150123100) at blue and red, power-supply answers for the whole province; nothing for
# education, water-supply or general-office (the level's unit is the owner).
# The ladder comes from the file here (test_escalation_ladder.sh uses the environment).
esc_config() { # [extra directory entries] [green ack] [blue ack]
  cat <<YAML
ladder:
  green: {ack: ${2:-30m}, resolve: 2h}
  blue: {ack: ${3:-30m}, resolve: 2h}
  yellow: {ack: 30m, resolve: 2h}
  red: {ack: 30m, resolve: 2h, remind: 1h}
rules:
  - {keywords: "停电|断电", category: power}
  - {channel: camera, category: environment, level: yellow}
  - {region: "150123102", keywords: "草场|边界", category: land}
directory:
  - {department: heating, level: green, region: "150123", assignee: "和林格尔县供热公司 网格班"}
  - {department: heating, level: green, region: "150123100", assignee: "城关镇供热站 李明"}
  - {department: heating, level: blue, region: "150123", assignee: "和林格尔县供热公司 片区经理"}
  - {department: heating, level: yellow, region: "150123", assignee: "和林格尔县供热公司 副总经理"}
  - {department: "*", level: blue, region: "150123100", assignee: "城关镇 综治中心"}
  - {department: "*", level: red, region: "150123100", assignee: "和林格尔县委 督查室"}
  - {department: power-supply, region: "15", assignee: "内蒙古电力 调度中心"}
  - {department: natural-resources, region: "150123", assignee: "和林格尔县自然资源局 草原监理所"}
  - {department: ecology-environment, level: yellow, region: "150123", assignee: "和林格尔县生态环境分局"}
${1:-}
subscriptions:
  - {name: county-150123, region: "150123", url: "http://127.0.0.1:$SINK_PORT/alerts/county"}
YAML
}
esc_config >"$E2E_CONFIG"
check "the escalation configuration is valid" "$BUILD/gridline-router" --check-config "$E2E_CONFIG"
"$BUILD/gridline-router" --check-config "$E2E_CONFIG" 2>&1 | grep -v ': ok$' | head -n 5 | sed 's/^/# /'
out=$(GRIDLINE_LADDER_GREEN_ACK=5x "$BUILD/gridline-router" --check-config "$E2E_CONFIG" 2>&1)
check_eq "a bad duration is refused (exit 2)" 2 "$?"
check "a bad duration: the error names the variable" grep -q GRIDLINE_LADDER_GREEN_ACK <<<"$out"
check_eq "durations: ms, s, m, h, d" "500ms 90s 30m 2h 1d" "$(for d in 500ms 90s 30m 2h 1d; do
  GRIDLINE_LADDER_GREEN_ACK=$d "$BUILD/gridline-router" --config "$E2E_CONFIG" --print-config |
    awk '$1 == "ladder.green.ack" {print $3}'; done | paste -sd' ')"
e2e_start_services
ROUTER=$(router_url)

ACTOR='{"actor":"网格员 张三"}'
declare -A BODY=(
  [acknowledge]='{"actor":"网格员 张三"}'
  [resolve]='{"actor":"网格员 张三","resolution":"已更换阀门，暖气恢复"}'
  [feedback]='{"actor":"居民","verdict":"satisfied"}'
  [escalate]='{"actor":"网格员 张三","reason":"需要上级协调"}'
  [transfer]='{"actor":"网格员 张三","department":"water-supply"}'
)
ACTIONS="acknowledge resolve feedback escalate transfer"

assigned_appeal() { # REGION CATEGORY CHANNEL [TITLE] [DESCRIPTION] -> id, once assigned
  local id
  id=$(new_appeal "$@")
  [ -n "$id" ] && wait_until 10 status_is "$id" assigned
  echo "$id"
}

# wrong_state ID ACTION: 409 invalid_state naming the current status and the action; nothing changed
wrong_state() {
  local id=$1 action=$2 before after res cur
  cur=$(hfield "$id" status)
  before=$(snapshot "$id")
  res=$(act "$id" "$action" "${BODY[$action]}")
  after=$(snapshot "$id")
  check_eq "$action while $cur: 409" 409 "$(code_of "$res")"
  check_eq "$action while $cur: invalid_state" "invalid_state $cur $action" \
    "$(jq -r '"\(.error.code) \(.error.status) \(.error.action)"' <<<"$(body_of "$res")")"
  check_eq "$action while $cur: nothing changed" "$before" "$after"
}
# bad_act NAME ID ACTION BODY STATUS CODE FIELD: a 4xx naming the field, nothing changed
bad_act() {
  local name=$1 id=$2 action=$3 body=$4 want=$5 code=$6 field=$7 before after res
  before=$(snapshot "$id")
  res=$(act "$id" "$action" "$body")
  after=$(snapshot "$id")
  check_eq "$name: $want $code $field" "$want $code $field" \
    "$(code_of "$res") $(jq -r '"\(.error.code) \(.error.field)"' <<<"$(body_of "$res")" 2>/dev/null)"
  check_eq "$name: nothing changed" "$before" "$after"
}
answer() { # "STATUS BODY" JQ -> the jq value of the body
  jq -r "$2" <<<"$(body_of "$1")" 2>/dev/null
}

echo "# --- routing"
a1=$(assigned_appeal 150123100001 heating hotline)
check_eq "category -> department, longest prefix for (department, green)" \
  "green heating 城关镇供热站 李明" "$(hfield "$a1" level) $(hfield "$a1" department) $(hfield "$a1" assignee)"
check_eq "GET: both clocks as numbers, 30 m and 2 h after assignment" "1800000 7200000" \
  "$(curl -s "$INTAKE/v1/appeals/$a1" | jq -r '"\(.ack_deadline_ms - .assigned_at_ms) \(.resolve_deadline_ms - .assigned_at_ms)"')"
a2=$(assigned_appeal 150123101201 heating hotline)
check_eq "another township: the county's entry (shorter prefix)" "和林格尔县供热公司 网格班" "$(hfield "$a2" assignee)"
r1=$(assigned_appeal 150123100002 water hotline "家里没电" "小区从早上开始停电，冰箱里的东西都坏了")
check_eq "keyword rule (description): category power" "power power-supply" "$(hfield "$r1" category) $(hfield "$r1" department)"
check_eq "keyword rule: the submitted category is kept" water "$(hfield "$r1" submitted_category)"
check_eq "keyword rule: owner of the new department" "内蒙古电力 调度中心" "$(hfield "$r1" assignee)"
check_eq "GET shows category and submitted_category" "power water" \
  "$(curl -s "$INTAKE/v1/appeals/$r1" | jq -r '"\(.category) \(.submitted_category)"')"
r2=$(assigned_appeal 150123100003 other web "突然断电" "整栋楼都黑了")
check_eq "keyword rule (title, second keyword): category power" "power other" \
  "$(hfield "$r2" category) $(hfield "$r2" submitted_category)"
r3=$(assigned_appeal 150123100004 city camera "烟雾报警" "摄像头识别到烟雾")
check_eq "channel rule: category, starting level yellow, yellow owner" \
  "environment city yellow 和林格尔县生态环境分局" \
  "$(hfield "$r3" category) $(hfield "$r3" submitted_category) $(hfield "$r3" level) $(hfield "$r3" assignee)"
r4=$(assigned_appeal 150123102200 other hotline "草场纠纷" "两家草场边界有争议")
check_eq "region + keyword rule inside its region: land" "land natural-resources 和林格尔县自然资源局 草原监理所" \
  "$(hfield "$r4" category) $(hfield "$r4" department) $(hfield "$r4" assignee)"
r5=$(assigned_appeal 150123101201 other hotline "草场纠纷" "两家草场边界有争议")
check_eq "same words outside the rule's region: no rule" "other general-office -" \
  "$(hfield "$r5" category) $(hfield "$r5" department) $(hfield "$r5" submitted_category || true)-"
check_eq "no directory entry at green: the grid worker of the village" "grid-worker:150123101201" "$(hfield "$r5" assignee)"
r6=$(assigned_appeal 15012310120103 education visit "学校门口" "上学放学时段拥堵")
check_eq "no directory entry at green: the grid worker of the grid" "grid-worker:15012310120103" "$(hfield "$r6" assignee)"
check_eq "no rule: no submitted_category" "" "$(hfield "$r6" submitted_category)"

echo "# --- acknowledge, resolve, satisfied feedback -> closed"
bad_act "no actor" "$a1" acknowledge '{}' 400 missing actor
bad_act "broken JSON" "$a1" acknowledge '{"actor":' 400 bad_json body
bad_act "unknown field" "$a1" acknowledge '{"actor":"x","colour":"red"}' 400 unknown_field colour
bad_act "actor too long" "$a1" acknowledge "{\"actor\":\"$(printf 'a%.0s' {1..101})\"}" 400 invalid actor
bad_act "actor not a string" "$a1" acknowledge '{"actor":42}' 400 invalid actor
res=$(act "$a1" acknowledge '{"actor":""}')
check_eq "empty actor: 400 naming actor" "400 actor" "$(code_of "$res") $(answer "$res" .error.field)"
bad_act "body not an object" "$a1" acknowledge '["actor"]' 400 bad_json body
bad_act "note too long" "$a1" acknowledge "{\"actor\":\"x\",\"note\":\"$(printf 'n%.0s' {1..2001})\"}" 400 invalid note
bad_act "unknown appeal" 150123-20200101-000001 acknowledge "$ACTOR" 404 not_found id
check_eq "unknown action: 404" 404 "$(code_of "$(act "$a1" frobnicate "$ACTOR")")"
# outside the contract's list, but never a 2xx or a 5xx, and nothing changed
is_4xx() { [ "$1" -ge 400 ] && [ "$1" -lt 500 ]; }
before=$(snapshot "$a1")
check "malformed id: a 4xx" is_4xx "$(code_of "$(act nope acknowledge "$ACTOR")")"
check "wrong content type: a 4xx" is_4xx "$(CT=text/plain act "$a1" acknowledge "$ACTOR" | cut -d' ' -f1)"
check "bad UTF-8 in the actor: a 4xx" is_4xx "$(code_of "$(act "$a1" acknowledge $'{"actor":"\xff\xfe"}')")"
check "oversize body: a 4xx" is_4xx "$(code_of "$(act "$a1" acknowledge "{\"actor\":\"x\",\"note\":\"$(head -c 70000 /dev/zero | tr '\0' n)\"}")")"
check_eq "... none of them changed anything" "$before" "$(snapshot "$a1")"
check_eq "unknown action changed nothing" 2 "$(events_len "$a1")"
actor100=$(printf '网%.0s' {1..100})
res=$(act "$a1" acknowledge "{\"actor\":\"$actor100\",\"note\":\"已电话联系居民\"}")
check_eq "acknowledge (actor of 100 characters): 200" 200 "$(code_of "$res")"
check_eq "acknowledge: the answer" "$a1 acknowledged green 城关镇供热站 李明 heating 3" \
  "$(answer "$res" '"\(.id) \(.status) \(.level) \(.assignee) \(.department) \(.seq)"')"
check_eq "acknowledge stops the ack clock; resolve runs on" "false true" \
  "$(answer "$res" '"\(has("ack_deadline")) \(has("resolve_deadline"))"')"
check_eq "acknowledged event stored, with its actor and note" "3 acknowledged green $actor100 已电话联系居民" \
  "$(last_event "$a1" | cut -f1,2,3,7,11 | tr '\t' ' ')"
check "deadlines answered in RFC 3339, local time" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\+08:00$' \
  <<<"$(answer "$res" .resolve_deadline)"
check_eq "GET /v1/appeals shows it" "acknowledged acknowledged" \
  "$(curl -s "$INTAKE/v1/appeals/$a1" | jq -r '"\(.status) \(.events[-1].type)"')"
check "hash: no ack deadline any more" test -z "$(hfield "$a1" ack_deadline_ms | grep -v '^0$')"
for a in acknowledge feedback; do wrong_state "$a1" "$a"; done
bad_act "resolve without resolution" "$a1" resolve "$ACTOR" 400 missing resolution
bad_act "resolution too long" "$a1" resolve "{\"actor\":\"x\",\"resolution\":\"$(printf 'r%.0s' {1..2001})\"}" 400 invalid resolution
res=$(act "$a1" resolve "${BODY[resolve]}")
check_eq "resolve: 200 resolved, no clock running" "200 resolved false false" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(has("ack_deadline")) \(has("resolve_deadline"))"')"
# its resolve clock now waits for the call-back (callback.close_after, 7d by default)
check_eq "resolved: only its call-back clock left in the deadline set" "$a1|resolve" "$(deadline_members "$a1" | cut -f1)"
check_eq "resolved event keeps the resolution" "resolved 已更换阀门，暖气恢复" "$(last_event "$a1" | cut -f2,12 | tr '\t' ' ')"
for a in acknowledge resolve escalate transfer; do wrong_state "$a1" "$a"; done
bad_act "feedback without verdict" "$a1" feedback "$ACTOR" 400 missing verdict
bad_act "feedback with an unknown verdict" "$a1" feedback '{"actor":"居民","verdict":"great"}' 400 invalid verdict
bad_act "feedback: solved not a bool" "$a1" feedback '{"actor":"居民","verdict":"satisfied","solved":"yes"}' 400 invalid solved
res=$(act "$a1" feedback '{"actor":"居民","verdict":"satisfied","solved":true,"comment":"谢谢，暖气好了"}')
check_eq "satisfied feedback: 200 closed" "200 closed" "$(code_of "$res") $(answer "$res" .status)"
check_eq "closed event: verdict, comment, solved" "closed satisfied 谢谢，暖气好了 yes" "$(last_event "$a1" | cut -f2,6,13,14 | tr '\t' ' ')"
check_eq "history" "collected assigned acknowledged resolved closed" "$(event_types "$a1")"
for a in $ACTIONS; do wrong_state "$a1" "$a"; done

echo "# --- unsatisfied feedback -> reopened one level up, new owner, new clocks"
b=$a2 # heating in 盛乐镇, green 网格班
wrong_state "$b" feedback
check_eq "resolve straight from assigned" 200 "$(code_of "$(act "$b" resolve "${BODY[resolve]}")")"
res=$(act "$b" feedback '{"actor":"居民","satisfied":false,"solved":false,"comment":"还是不热"}')
check_eq "unsatisfied (satisfied:false): 200 reopened at blue, blue owner" \
  "200 reopened blue 和林格尔县供热公司 片区经理" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(.level) \(.assignee)"')"
check_eq "reopened: both clocks run again" "true true" \
  "$(answer "$res" '"\(has("ack_deadline")) \(has("resolve_deadline"))"')"
check_eq "reopened event: level, owner, reason_code, verdict" "reopened blue 和林格尔县供热公司 片区经理 unsatisfied unsatisfied" \
  "$(last_event "$b" | cut -f2-6 | tr '\t' ' ')"
check "the new owner is alerted" wait_until 10 alert_for_seq "$b" "$(last_event "$b" | cut -f1)"
check_eq "alert names the new owner" "reopened blue 和林格尔县供热公司 片区经理" \
  "$(alerts_of "$b" | tail -n 1 | cut -f2-4 | tr '\t' ' ')"
wrong_state "$b" feedback
check_eq "acknowledge from reopened" "200 acknowledged" "$(code_of "$(act "$b" acknowledge "$ACTOR")") $(hfield "$b" status)"
act "$b" resolve "${BODY[resolve]}" >/dev/null
res=$(act "$b" feedback '{"actor":"居民","verdict":"basically_satisfied"}')
check_eq "basically satisfied: closed" "200 closed" "$(code_of "$res") $(answer "$res" .status)"
check_eq "closed event: verdict basically_satisfied" "closed basically_satisfied" "$(last_event "$b" | cut -f2,6 | tr '\t' ' ')"

echo "# --- manual escalation up the ladder; the directory's fallbacks"
c=$(assigned_appeal 150123100005 water hotline "水压低" "楼上没水")
check_eq "water in 城关镇 at green: nobody in the directory" "green grid-worker:150123100005" "$(hfield "$c" level) $(hfield "$c" assignee)"
bad_act "escalate without reason" "$c" escalate "$ACTOR" 400 missing reason
bad_act "reason too long" "$c" escalate "{\"actor\":\"x\",\"reason\":\"$(printf 'r%.0s' {1..501})\"}" 400 invalid reason
res=$(act "$c" escalate '{"actor":"网格员 张三","reason":"水务公司不接电话","note":"第二次"}')
check_eq "escalate: 200 assigned at blue, (\"*\", blue) owner" "200 assigned blue 城关镇 综治中心" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(.level) \(.assignee)"')"
check_eq "escalate: new clocks" "true true" "$(answer "$res" '"\(has("ack_deadline")) \(has("resolve_deadline"))"')"
check_eq "escalated event: reason_code manual" "escalated blue 城关镇 综治中心 manual" "$(last_event "$c" | cut -f2-5 | tr '\t' ' ')"
check "escalated: the new owner is alerted" wait_until 10 alert_for_seq "$c" 3
act "$c" acknowledge "$ACTOR" >/dev/null
res=$(act "$c" escalate "${BODY[escalate]}")
check_eq "escalate from acknowledged: yellow, no entry -> township" "200 assigned yellow township:150123100" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(.level) \(.assignee)"')"
res=$(act "$c" escalate "${BODY[escalate]}")
check_eq "escalate to red: (\"*\", red) owner" "200 red 和林格尔县委 督查室" "$(code_of "$res") $(answer "$res" '"\(.level) \(.assignee)"')"
wrong_state "$c" escalate
sup=$(curl -s "$ROUTER/v1/supervision?region=150123")
check_eq "red open appeal in the supervision list" "$c 和林格尔县委 督查室 assigned" \
  "$(jq -r --arg id "$c" '.appeals[] | select(.id == $id) | "\(.id) \(.assignee) \(.status)"' <<<"$sup")"
check_eq "only red appeals are supervised" "" \
  "$(jq -r --arg id "$a2" '.appeals[] | select(.id == $id) | .id' <<<"$sup")"
act "$c" resolve "${BODY[resolve]}" >/dev/null
res=$(act "$c" feedback '{"actor":"居民","verdict":"unsatisfied"}')
check_eq "unsatisfied at red: reopened, red stays red, red owner" "200 reopened red 和林格尔县委 督查室" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(.level) \(.assignee)"')"
wrong_state "$c" escalate
act "$c" acknowledge "$ACTOR" >/dev/null
wrong_state "$c" escalate
res=$(act "$c" transfer '{"actor":"督查室","department":"heating"}')
check_eq "transfer at red stays red" "200 assigned red heating 和林格尔县委 督查室" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(.level) \(.department) \(.assignee)"')"
d=$r6 # education on grid 15012310120103 (盛乐镇): no entry at any level
lv=""
for i in 1 2 3; do
  res=$(act "$d" escalate "${BODY[escalate]}")
  lv+="$(answer "$res" '"\(.level)=\(.assignee)"') "
done
check_eq "the level's unit at each level" "blue=village:150123101201 yellow=township:150123101 red=county:150123 " "$lv"
check_eq "escalated events: owners and reason codes" \
  "blue village:150123101201 manual|yellow township:150123101 manual|red county:150123 manual" \
  "$(events_of "$d" | awk -F'\t' '$2 == "escalated" {print $3 " " $4 " " $5}' | paste -sd'|')"

echo "# --- transfer"
e=$(assigned_appeal 150123100006 heating hotline)
rd0=$(hfield "$e" resolve_deadline_ms)
bad_act "transfer without department" "$e" transfer "$ACTOR" 400 missing department
bad_act "transfer to an unknown department" "$e" transfer '{"actor":"x","department":"weather-bureau"}' 400 invalid department
sleep 0.2 # so that a restarted resolve clock would show
res=$(act "$e" transfer '{"actor":"网格员 张三","department":"power-supply","reason":"是线路故障"}')
check_eq "transfer to a department: same level, its owner" "200 assigned green power-supply 内蒙古电力 调度中心" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(.level) \(.department) \(.assignee)"')"
check_eq "transfer: the resolve clock runs on" "$rd0" "$(hfield "$e" resolve_deadline_ms)"
check "transfer: the ack clock runs" test -n "$(answer "$res" '.ack_deadline // empty')"
check_eq "transferred event" "transferred green 内蒙古电力 调度中心" "$(last_event "$e" | cut -f2-4 | tr '\t' ' ')"
act "$e" acknowledge "$ACTOR" >/dev/null
res=$(act "$e" transfer '{"actor":"网格员 张三","department":"water"}')
check_eq "transfer to a category name: its department, ack clock back" "200 assigned water-supply grid-worker:150123100006 true" \
  "$(code_of "$res") $(answer "$res" '"\(.status) \(.department) \(.assignee) \(has("ack_deadline"))"')"
act "$e" escalate "${BODY[escalate]}" >/dev/null
res=$(act "$e" transfer '{"actor":"片区","department":"heating"}')
check_eq "transfer at blue stays blue" "200 blue heating 和林格尔县供热公司 片区经理" \
  "$(code_of "$res") $(answer "$res" '"\(.level) \(.department) \(.assignee)"')"

echo "# --- while collected: 409 not_assigned"
e2e_kill router
f=$(new_appeal 150123100007 heating hotline)
check_eq "stays collected without a router" collected "$(hfield "$f" status)"
for a in $ACTIONS; do
  before=$(snapshot "$f")
  res=$(act "$f" "$a" "${BODY[$a]}")
  check_eq "$a while collected: 409 not_assigned" "409 not_assigned" "$(code_of "$res") $(answer "$res" .error.code)"
  check_eq "$a while collected: nothing changed" "$before" "$(snapshot "$f")"
done
e2e_start_service router
check "assigned once the router is back" wait_until 15 status_is "$f" assigned

echo "# --- racing identical actions: exactly one wins"
g=$(assigned_appeal 150123100008 heating hotline)
race() { # ID ACTION BODY N -> the status codes, sorted, one a line
  local i
  for i in $(seq 1 "$4"); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$INTAKE/v1/appeals/$1/$2" \
      -H 'Content-Type: application/json' --data-binary "$3" >"$E2E_DIR/race.$i" &
  done
  wait
  cat "$E2E_DIR"/race.* | sort
  rm -f "$E2E_DIR"/race.*
}
codes=$(race "$g" acknowledge "$ACTOR" 10)
check_eq "10 racing acknowledges: one 200" 1 "$(grep -cx 200 <<<"$codes")"
check_eq "10 racing acknowledges: nine 409" 9 "$(grep -cx 409 <<<"$codes")"
check_eq "one acknowledged event" "collected assigned acknowledged" "$(event_types "$g")"
codes=$(race "$g" resolve "${BODY[resolve]}" 10)
check_eq "10 racing resolves: one 200, nine 409" "1 9" "$(grep -cx 200 <<<"$codes") $(grep -cx 409 <<<"$codes")"
check_eq "one resolved event" "collected assigned acknowledged resolved" "$(event_types "$g")"
res=$(act "$g" feedback '{"actor":"居民","satisfied":true}')
check_eq "satisfied:true: closed, verdict satisfied" "200 closed closed satisfied" \
  "$(code_of "$res") $(answer "$res" .status) $(last_event "$g" | cut -f2,6 | tr '\t' ' ')"
h=$(assigned_appeal 150123100009 heating hotline)
codes=$(race "$h" escalate "${BODY[escalate]}" 10)
won=$(grep -cx 200 <<<"$codes")
check_eq "10 racing escalates: every answer 200 or 409" 10 "$(grep -cxE '200|409' <<<"$codes")"
check_eq "10 racing escalates: one escalated event per 200" "$won" "$(events_of "$h" | cut -f2 | grep -cx escalated)"
levels=(green blue yellow red)
check_eq "10 racing escalates: the level matches the wins" "${levels[$won]:-none}" "$(hfield "$h" level)"

echo "# --- Idempotency-Key"
i1=$(assigned_appeal 150123100010 heating hotline)
res1=$(act "$i1" acknowledge "$ACTOR" -H 'Idempotency-Key: esc-ack-1')
h1=$(cat "$E2E_DIR/act.headers")
res2=$(act "$i1" acknowledge "$ACTOR" -H 'Idempotency-Key: esc-ack-1')
h2=$(cat "$E2E_DIR/act.headers")
check_eq "first answer 200" 200 "$(code_of "$res1")"
check_eq "same key, same body: the same answer again" "$res1" "$res2"
check "the replay says so" grep -qi '^Idempotent-Replayed: true' <<<"$h2"
check "the first answer is no replay" bash -c "! grep -qi '^Idempotent-Replayed' <<<\"\$1\"" _ "$h1"
check_eq "the replay changed nothing" "collected assigned acknowledged" "$(event_types "$i1")"
res=$(act "$i1" acknowledge '{"actor":"网格员 李四"}' -H 'Idempotency-Key: esc-ack-1')
check_eq "same key, another body: 422 idempotency_key_reused" "422 idempotency_key_reused" \
  "$(code_of "$res") $(answer "$res" .error.code)"
res=$(act "$i1" acknowledge "$ACTOR" -H 'Idempotency-Key: esc-ack-2')
check_eq "another key, same body: the state decides (409)" 409 "$(code_of "$res")"
# a key is about one request: the same key and body on another appeal, or a key first used to
# create an appeal, must not answer with that other request's answer
i2=$(assigned_appeal 150123100010 heating hotline)
res=$(act "$i2" acknowledge "$ACTOR" -H 'Idempotency-Key: esc-ack-1')
check "same key and body on another appeal: not the first appeal's answer" \
  test "$(answer "$res" '.id // empty')" != "$i1"
check_eq "... a 200 there means that appeal was acknowledged" yes \
  "$({ [ "$(code_of "$res")" != 200 ] || status_is "$i2" acknowledged; } && echo yes)"
res=$(post_appeal "$(appeal_json 150123100203 heating hotline)" -H 'Idempotency-Key: esc-shared-1')
check_eq "a key used to create an appeal" 201 "${res%% *}"
i3=$(jq -r .id <<<"${res#* }")
wait_until 10 status_is "$i3" assigned
res=$(act "$i3" acknowledge "$ACTOR" -H 'Idempotency-Key: esc-shared-1')
check "then on an action: not the creation's 201 replayed" test "$(code_of "$res")" != 201
res1=$(act "$i1" escalate "${BODY[escalate]}" -H 'Idempotency-Key: esc-esc-1')
res2=$(act "$i1" escalate "${BODY[escalate]}" -H 'Idempotency-Key: esc-esc-1')
check_eq "a replayed escalate does not climb twice" "$res1|blue|1" \
  "$res2|$(hfield "$i1" level)|$(events_of "$i1" | cut -f2 | grep -cx escalated)"

echo "# --- directory API (router)"
dir=$(curl -s "$ROUTER/v1/directory")
check_eq "GET /v1/directory lists the config entries" 9 \
  "$(jq '[.entries[] | select(.source == "config")] | length' <<<"$dir")"
cfg_id=$(jq -r '.entries[] | select(.source == "config" and .department == "power-supply") | .id' <<<"$dir")
code=$(curl -s -o "$E2E_DIR/del.json" -w '%{http_code}' -X DELETE "$ROUTER/v1/directory/$cfg_id")
check_eq "a config entry cannot be deleted: 409 read_only" "409 read_only" "$code $(jq -r .error.code "$E2E_DIR/del.json" 2>/dev/null)"
res=$(curl -s -w ' %{http_code}' -X POST "$ROUTER/v1/directory" -H 'Content-Type: application/json' \
  -d '{"department":"heating","level":"green","region":"150123100","assignee":"API 城关镇供热站 替班"}')
check_eq "POST /v1/directory: 201" 201 "${res##* }"
api_id=$(jq -r .id <<<"${res% *}")
e2e_kill router TERM
e2e_start_service router
check_eq "a router restart keeps API entries (they live in Redis)" "API 城关镇供热站 替班" \
  "$(curl -s "$ROUTER/v1/directory" | jq -r --arg id "$api_id" '.entries[] | select(.id == $id and .source == "api") | .assignee')"
dir_bad() { # NAME FIELD BODY
  local code
  code=$(curl -s -o "$E2E_DIR/dir.json" -w '%{http_code}' -X POST "$ROUTER/v1/directory" -H 'Content-Type: application/json' -d "$3")
  check_eq "POST /v1/directory, $1: 400 naming $2" "400 $2" "$code $(jq -r .error.field "$E2E_DIR/dir.json" 2>/dev/null)"
}
n_entries=$(curl -s "$ROUTER/v1/directory" | jq '.entries | length')
dir_bad "a bad level" level '{"department":"heating","level":"purple","region":"150123","assignee":"x"}'
dir_bad "an unknown field" colour '{"department":"heating","level":"green","region":"150123","assignee":"x","colour":"red"}'
dir_bad "no assignee" assignee '{"department":"heating","level":"green","region":"150123"}'
check_eq "refused entries added nothing" "$n_entries" "$(curl -s "$ROUTER/v1/directory" | jq '.entries | length')"
k=$(assigned_appeal 150123100200 heating hotline)
check_eq "an API entry overrides the config entry with the same key" "API 城关镇供热站 替班" "$(hfield "$k" assignee)"
check_eq "it is listed with source api" "api API 城关镇供热站 替班" \
  "$(curl -s "$ROUTER/v1/directory" | jq -r --arg id "$api_id" '.entries[] | select(.id == $id and .source == "api") | "\(.source) \(.assignee)"')"
check_eq "DELETE /v1/directory/{id}: 204" 204 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$ROUTER/v1/directory/$api_id")"
k2=$(assigned_appeal 150123100201 heating hotline)
check_eq "deleted: the config entry is back" "城关镇供热站 李明" "$(hfield "$k2" assignee)"

out=$("$BUILD/gridctl" directory add education green 150123103 "巧什营镇中心校 网格员" 2>&1)
check "gridctl directory add" grep -q . <<<"$out"
check "gridctl directory list shows it" bash -c "'$BUILD/gridctl' directory list | grep -q '巧什营镇中心校 网格员'"
gid=$(curl -s "$ROUTER/v1/directory" | jq -r '.entries[] | select(.assignee == "巧什营镇中心校 网格员") | .id')
check "gridctl directory rm" "$BUILD/gridctl" directory rm "$gid"
check_eq "removed" "" "$(curl -s "$ROUTER/v1/directory" | jq -r '.entries[] | select(.assignee == "巧什营镇中心校 网格员") | .id')"

echo "# --- SIGHUP: a broken configuration is refused, the old one stays; a valid one is taken"
n_refused_router=$(log_count router "configuration refused")
n_refused_intake=$(log_count intake "configuration refused")
printf 'rules: [ {keywords: "停电"\n  ::: not yaml\n' >"$E2E_CONFIG"
kill -HUP "${E2E_PID[router]}" "${E2E_PID[intake]}"
refused_more() { [ "$(log_count "$1" "configuration refused")" -gt "$2" ]; }
check "garbage file: router says configuration refused" wait_until 5 refused_more router "$n_refused_router"
check "garbage file: intake says configuration refused" wait_until 5 refused_more intake "$n_refused_intake"
check "garbage file: the error names the file and line" log_has router "configuration refused" "$E2E_CONFIG:"
n_refused_router=$(log_count router "configuration refused")
n_refused_intake=$(log_count intake "configuration refused")
esc_config "  - {department: heating, level: red, region: \"150123\", assignee: \"x\", colour: red}
  - {department: heating, level: purple, region: \"150123\", assignee: \"y\"}" >"$E2E_CONFIG"
kill -HUP "${E2E_PID[router]}" "${E2E_PID[intake]}"
check "unknown key: router refuses, naming it" wait_until 5 log_has router "configuration refused" colour
check "unknown key: intake refuses, naming it" wait_until 5 log_has intake "configuration refused" colour
check "every error of the file logged (the bad level too)" log_has router "configuration refused" purple
check "router still running" kill -0 "${E2E_PID[router]}"
check "intake still running" kill -0 "${E2E_PID[intake]}"
check "router healthy" curl -sf "$ROUTER/healthz"
o1=$(assigned_appeal 150123101204 other hotline "楼下垃圾" "垃圾堆积三天没人清运，又停电了")
check_eq "the old rules stay in force" "power" "$(hfield "$o1" category)"
o2=$(assigned_appeal 150123101204 other hotline "楼下垃圾" "垃圾堆积三天没人清运")
check_eq "the old rules: no rule for 垃圾 yet" "other" "$(hfield "$o2" category)"
n_reloaded=$(log_count router "configuration reloaded")
n_reloaded_i=$(log_count intake "configuration reloaded")
esc_config '  - {department: city-management, level: green, region: "150123101", assignee: "盛乐镇 城管中队"}
  - {department: education, level: blue, region: "150123101", assignee: "盛乐镇中心校 校长"}' 45m 50m |
  sed 's/^rules:$/rules:\n  - {keywords: "垃圾", category: city}/' >"$E2E_CONFIG"
# ... and a subscription for 盛乐镇, and the catalogue with a category of its own (snow)
cat >>"$E2E_CONFIG" <<YAML
  - {name: town-150123101, region: "150123101", url: "http://127.0.0.1:$SINK_PORT/alerts/town"}
categories:
$(for c in power:power-supply water:water-supply heating:heating gas:gas policing:public-security \
  city:city-management market:market-supervision environment:ecology-environment roads:transport \
  labor:human-resources land:natural-resources social:civil-affairs health:health education:education \
  other:general-office snow:city-management; do echo "  - {name: ${c%%:*}, department: ${c#*:}}"; done)
YAML
snow='{"channel":"hotline","region":"150123101201","category":"snow","description":"路上积雪没人清"}'
check_eq "before the reload: snow is no category" 400 "$(post_appeal "$snow" | cut -d' ' -f1)"
check "the new file is valid" "$BUILD/gridline-router" --check-config "$E2E_CONFIG"
for s in router intake notifier aggregator; do
  n=$(log_count "$s" "configuration reloaded")
  kill -HUP "${E2E_PID[$s]}"
  check "$s: configuration reloaded" wait_until 5 bash -c "[ \$(grep -cF 'configuration reloaded' '$E2E_DIR/$s.log') -gt $n ]"
done
o3=$(assigned_appeal 150123101204 other hotline "楼下垃圾" "垃圾堆积三天没人清运")
check_eq "reloaded: the new rule and the new directory entry (router)" "city other 盛乐镇 城管中队" \
  "$(hfield "$o3" category) $(hfield "$o3" submitted_category) $(hfield "$o3" assignee)"
check_eq "reloaded: the router's ladder (green ack 45 m)" 2700000 "$(($(hfield "$o3" ack_deadline_ms) - $(hfield "$o3" assigned_at_ms)))"
check "reloaded: the new subscription gets alerts" wait_until 10 bash -c \
  "curl -s http://127.0.0.1:$SINK_PORT/requests | jq -e --arg id '$o3' 'any(.[]; .path == \"/alerts/town\" and .body.appeal_id == \$id)'"
res=$(post_appeal "$snow")
check_eq "reloaded: intake's catalogue (snow)" 201 "${res%% *}"
sn=$(jq -r .id <<<"${res#* }")
check "reloaded: the router's catalogue (snow -> city-management)" wait_until 10 bash -c \
  "[ \"\$(redis-cli -p $REDIS_PORT hget 'appeal:{150123}:$sn' department)\" == city-management ]"
o4=$(assigned_appeal 150123101207 education hotline "校车" "校车超载")
res=$(act "$o4" escalate "${BODY[escalate]}")
check_eq "reloaded: intake's escalate uses the new directory entry" "200 blue 盛乐镇中心校 校长" \
  "$(code_of "$res") $(answer "$res" '"\(.level) \(.assignee)"')"
check_eq "reloaded: intake's ladder (blue ack 50 m)" 3000000 \
  "$(last_event "$o4" | awk -F'\t' '{print $10 - $8}')"

echo "# --- counters"
ESC_EXPECT_TYPES="acknowledged escalated resolved closed reopened transferred" check_counters 15
exit 0
