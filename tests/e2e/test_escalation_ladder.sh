#!/usr/bin/env bash
# Escalation (issue 7, docs/escalation.md), what time does, with real processes and a real Redis
# and a ladder of 1-second acknowledge deadlines: a full climb green -> blue -> yellow -> red on
# missed acknowledgements, with the directory's owner (or the level's unit) in every escalated
# event and alerted by name; reminders at red repeating every ladder.red.remind until resolved; the
# supervision list; acknowledge stopping the acknowledge clock (a category's own durations) and the
# resolve clock still escalating; a router that was down (or whose clock moved on) catching up;
# the aggregator's counters exact for every event type.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esc_lib.sh"
for l in GREEN BLUE YELLOW RED; do
  export "GRIDLINE_LADDER_${l}_ACK=1s" "GRIDLINE_LADDER_${l}_RESOLVE=1h"
done
export GRIDLINE_LADDER_RED_REMIND=1s
e2e_start_redis
e2e_start_sink
e2e_configure

# The catalogue as built in, water with durations of its own (they replace the level's at
# every level); heating has an owner per level in the county; education has none anywhere.
ladder_config() { # WATER_DURATIONS
  cat <<YAML
categories:
  - {name: power, department: power-supply, label: 供电}
  - {name: water, department: water-supply, label: 供水$1}
  - {name: heating, department: heating, label: 供暖}
  - {name: gas, department: gas, label: 燃气}
  - {name: policing, department: public-security, label: 治安}
  - {name: city, department: city-management, label: 城市管理}
  - {name: market, department: market-supervision, label: 市场监管}
  - {name: environment, department: ecology-environment, label: 生态环境}
  - {name: roads, department: transport, label: 道路交通}
  - {name: labor, department: human-resources, label: 劳动保障}
  - {name: land, department: natural-resources, label: 土地草原}
  - {name: social, department: civil-affairs, label: 民政救助}
  - {name: health, department: health, label: 卫生健康}
  - {name: education, department: education, label: 教育}
  - {name: other, department: general-office, label: 其他}
directory:
  - {department: heating, level: green, region: "150123100", assignee: "网格员 王小明"}
  - {department: heating, level: blue, region: "150123100201", assignee: "二道河村党支部 书记"}
  - {department: heating, level: yellow, region: "150123100", assignee: "城关镇党委 值班室"}
  - {department: heating, level: red, region: "150123", assignee: "和林格尔县委 督查室"}
subscriptions:
  - {name: county-150123, region: "150123", url: "http://127.0.0.1:$SINK_PORT/alerts/county"}
  - {name: hohhot, region: "1501", url: "http://127.0.0.1:$SINK_PORT/alerts/city"}
YAML
}
WATER_ACK_MS=2000
WATER_RESOLVE_MS=8000
ladder_config ", ack: 2s, resolve: 8s" >"$E2E_CONFIG"
if ! out=$("$BUILD/gridline-router" --check-config "$E2E_CONFIG" 2>&1); then
  echo "not ok - a category's ack/resolve accepted in the catalogue"
  sed 's/^/#   /' <<<"$out" | head -n 5
  E2E_FAILED=1
  ladder_config "" >"$E2E_CONFIG"
  WATER_ACK_MS=1000
  WATER_RESOLVE_MS=3600000
else
  echo "ok - a category's ack/resolve accepted in the catalogue"
fi
e2e_start_services
ROUTER=$(router_url)
now_ms() { date +%s%3N; }
after_ms() { [ "$(now_ms)" -gt "$1" ]; }
count_type() { events_of "$1" | cut -f2 | grep -cx "$2"; }
type_count_at_least() { [ "$(count_type "$1" "$2")" -ge "$3" ]; }
# not_early (decoded events on stdin): "ok", or the escalated/reminded events that came before the
# earliest clock (ack or resolve deadline) that the event before them had set
# (after a reminder: ladder.red.remind, 1 s, after it)
not_early() {
  awk -F'\t' '
    ($2 == "escalated" || $2 == "reminded") && !($8 >= due) { bad = bad " seq " $1 " " (due - $8) " ms early" }
    $2 == "reminded" { due = $8 + 1000; next }
    { due = 0
      if ($10 > 0) due = $10
      if ($9 > 0 && (due == 0 || $9 < due)) due = $9
      if (due == 0) due = 1e18 }
    END { print bad == "" ? "ok" : bad }'
}

h=$(new_appeal 150123100201 heating hotline)  # 二道河村, 城关镇
g=$(new_appeal 15012310120103 education visit "学校门口" "上学放学时段拥堵")  # a grid of 盛乐镇
w=$(new_appeal 150123100202 water hotline "水压低" "楼上没水")
check "appeals accepted" test -n "$h" -a -n "$g" -a -n "$w"

echo "# --- acknowledge stops the acknowledge clock (water: ack ${WATER_ACK_MS} ms, resolve ${WATER_RESOLVE_MS} ms)"
check "water appeal assigned" wait_until 10 status_is "$w" assigned
ack_deadline=$(hfield "$w" ack_deadline_ms)
resolve_deadline=$(hfield "$w" resolve_deadline_ms)
assigned_at=$(events_of "$w" | awk -F'\t' '$2 == "assigned" {print $8}')
check "the category's ack duration (${WATER_ACK_MS} ms, got $((ack_deadline - assigned_at)))" \
  test $((ack_deadline - assigned_at)) -ge $((WATER_ACK_MS - 100)) -a $((ack_deadline - assigned_at)) -le "$WATER_ACK_MS"
check "the category's resolve duration (${WATER_RESOLVE_MS} ms, got $((resolve_deadline - assigned_at)))" \
  test $((resolve_deadline - assigned_at)) -ge $((WATER_RESOLVE_MS - 100)) -a $((resolve_deadline - assigned_at)) -le "$WATER_RESOLVE_MS"
res=$(act "$w" acknowledge '{"actor":"水务 王建国"}')
check_eq "acknowledged in time" "200 acknowledged" "$(code_of "$res") $(hfield "$w" status)"

echo "# --- the climb on missed acknowledgements"
# (checked now, between the water appeal's ack deadline and its resolve deadline)
wait_until 10 after_ms $((ack_deadline + 1500))
check_eq "acknowledged: no escalation past the ack deadline (+1.5 s)" "collected assigned acknowledged" \
  "$(event_types "$w")"
check "heating appeal assigned" wait_until 10 events_len_at_least "$h" 2
check_eq "assigned green to the green owner" "assigned green 网格员 王小明" "$(events_of "$h" | sed -n 2p | cut -f2-4 | tr '\t' ' ')"
check "climbs to red" wait_until 15 level_is "$h" red
check "education appeal climbs to red too" wait_until 10 level_is "$g" red
esc=$(events_of "$h" | awk -F'\t' '$2 == "escalated" {print $3 "|" $4 "|" $5}' | paste -sd' ')
check_eq "escalated: owners from the directory (longest prefix), reason ack_overdue" \
  "blue|二道河村党支部 书记|ack_overdue yellow|城关镇党委 值班室|ack_overdue red|和林格尔县委 督查室|ack_overdue" "$esc"
check_eq "history of the climb" "collected assigned escalated escalated escalated" \
  "$(events_of "$h" | head -n 5 | cut -f2 | paste -sd' ')"
check_eq "status after an automatic escalation" assigned "$(hfield "$h" status)"
# each step no earlier than the earliest clock the event before it set, and with the new level's
# clocks (1 s ack, 1 h resolve, counted from the event or from the missed deadline)
check_eq "no step before its deadline" ok "$(events_of "$h" | not_early)"
check_eq "each escalation restarts both clocks of its level" ok "$(events_of "$h" | awk -F'\t' '
  $2 == "escalated" && ($10 - $8 < 500 || $10 - $8 > 1000 || $9 - $8 < 3599500 || $9 - $8 > 3600000) {
    bad = bad " seq " $1 ": ack +" ($10 - $8) " resolve +" ($9 - $8) }
  END { print bad == "" ? "ok" : bad }')"
esc=$(events_of "$g" | awk -F'\t' '$2 == "escalated" {print $3 "|" $4}' | paste -sd' ')
check_eq "no entry: the level's unit at each step" \
  "blue|village:150123101201 yellow|township:150123101 red|county:150123" "$esc"
check_eq "no entry at green: the grid worker" "grid-worker:15012310120103" \
  "$(events_of "$g" | awk -F'\t' '$2 == "assigned" {print $4}')"

last_seq=$(events_of "$h" | awk -F'\t' '$2 == "escalated" {s = $1} END {print s}')
check "every step alerted" wait_until 10 alert_for_seq "$h" "$last_seq"
check_eq "alerts name each owner (recipients)" \
  "assigned green 网格员 王小明|escalated blue 二道河村党支部 书记|escalated yellow 城关镇党委 值班室|escalated red 和林格尔县委 督查室" \
  "$(alerts_of "$h" | awk -F'\t' '$2 == "assigned" || $2 == "escalated" {print $2 " " $3 " " $4}' | paste -sd'|')"
red_alert=$(alerts_of "$h" | awk -F'\t' '$2 == "escalated" && $3 == "red" {print $1}')
paths_got_red() {
  [ "$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r --arg id "$h:$red_alert" \
    '[.[] | select(.body.id == $id) | "\(.path)=\(.body.recipients[0])"] | unique | join(" ")')" == "$1" ]
}
check "the red step alerted to every subscription of the region, naming the owner" wait_until 10 paths_got_red \
  "/alerts/city=和林格尔县委 督查室 /alerts/county=和林格尔县委 督查室"
check "every step of the fallback climb alerted" wait_until 10 bash -c \
  "[ \$(curl -s http://127.0.0.1:$SINK_PORT/requests | jq --arg id '$g' '[.[] | .body | select(.appeal_id == \$id and .event == \"escalated\")] | length') -ge 3 ]"
check_eq "fallback alerts name the units" "blue village:150123101201|yellow township:150123101|red county:150123" \
  "$(alerts_of "$g" | awk -F'\t' '$2 == "escalated" {print $3 " " $4}' | paste -sd'|')"

echo "# --- reminders at red"
check "reminded three times" wait_until 10 type_count_at_least "$h" reminded 3
rem=$(events_of "$h" | awk -F'\t' '$2 == "reminded"')
check_eq "reminders: red, the red owner" "red 和林格尔县委 督查室" \
  "$(cut -f3,4 <<<"$rem" | sort -u | tr '\t' ' ')"
check_eq "first reminder: the red ack clock" ack_overdue "$(head -n 1 <<<"$rem" | cut -f5)"
check_eq "later reminders: the resolve clock set again" resolve_overdue "$(sed -n '2,3p' <<<"$rem" | cut -f5 | sort -u)"
check_eq "no reminder before its deadline" ok "$(events_of "$h" | not_early)"
check_eq "each reminded event: deadline_ms (the resolve deadline) ladder.red.remind later, no ack deadline" ok "$(awk -F'\t' '
  $9 - $8 < 500 || $9 - $8 > 1000 || $10 != 0 { bad = bad " seq " $1 ": resolve +" ($9 - $8) " ack " $10 }
  END { print bad == "" ? "ok" : bad }' <<<"$rem")"
seq3=$(sed -n 3p <<<"$rem" | cut -f1)
check "each reminder re-alerts (its own seq)" wait_until 10 alert_for_seq "$h" "$seq3"
check_eq "reminder alerts: distinct ids, to the red owner" "3 和林格尔县委 督查室" \
  "$(alerts_of "$h" | awk -F'\t' '$2 == "reminded"' | head -n 3 | cut -f1,4 | sort -u | awk -F'\t' '{n++; r = $2} END {print n " " r}')"

echo "# --- the supervision list"
sup=$(curl -s "$ROUTER/v1/supervision?region=150123")
check_eq "both red appeals supervised" "$(printf '%s\n' "$g" "$h" | sort | paste -sd' ')" \
  "$(jq -r --arg h "$h" --arg g "$g" '[.appeals[].id | select(. == $h or . == $g)] | sort | join(" ")' <<<"$sup")"
check_eq "most overdue first" true "$(jq '[.appeals[].overdue_s] as $o | $o == ($o | sort | reverse)' <<<"$sup")"
check_eq "an entry's fields" "$h 150123100201 heating 和林格尔县委 督查室 assigned true true" \
  "$(jq -r --arg h "$h" '.appeals[] | select(.id == $h) | "\(.id) \(.region) \(.category) \(.assignee) \(.status) \(.resolve_deadline != null) \(.overdue_s | type == "number")"' <<<"$sup")"
check_eq "region prefix filter" "$g" \
  "$(curl -s "$ROUTER/v1/supervision?region=150123101" | jq -r '[.appeals[].id] | join(" ")')"

echo "# --- the resolve clock still runs after acknowledge"
check "escalated at its resolve deadline" wait_until 15 type_count_at_least "$w" escalated 1
we=$(events_of "$w" | awk -F'\t' '$2 == "escalated"' | head -n 1)
check_eq "resolve_overdue, one level up, the level's unit" "blue village:150123100202 resolve_overdue" \
  "$(cut -f3-5 <<<"$we" | tr '\t' ' ')"
check "not before the resolve deadline" test "$(cut -f8 <<<"$we")" -ge "$resolve_deadline"
check_eq "status assigned again (both clocks restart)" "assigned" "$(hfield "$w" status)"
check_eq "the category's durations at the next level too" "$WATER_ACK_MS $WATER_RESOLVE_MS" \
  "$(awk -F'\t' '{print $10 - $8, $9 - $8}' <<<"$we")"
act "$w" resolve '{"actor":"水务 王建国","resolution":"已修复"}' >/dev/null

echo "# --- resolve stops the reminders; feedback at red"
res=$(act "$h" resolve '{"actor":"县委督查室","resolution":"供热公司已更换管道"}')
check_eq "resolve at red" "200 resolved" "$(code_of "$res") $(jq -r .status <<<"$(body_of "$res")")"
check_eq "resolved: only its call-back clock left in the deadline set" "$h|resolve" "$(deadline_members "$h" | cut -f1)"
check_eq "resolved: out of the supervision list" "" \
  "$(curl -s "$ROUTER/v1/supervision?region=150123" | jq -r --arg h "$h" '.appeals[] | select(.id == $h) | .id')"
res=$(act "$h" feedback '{"actor":"居民","verdict":"unsatisfied","comment":"还是不热"}')
check_eq "unsatisfied at red: reopened, red stays red, same owner" "200 reopened red 和林格尔县委 督查室" \
  "$(code_of "$res") $(jq -r '"\(.status) \(.level) \(.assignee)"' <<<"$(body_of "$res")")"
n=$(count_type "$h" reminded)
check "reopened at red: reminded again on its new ack clock" wait_until 10 type_count_at_least "$h" reminded $((n + 1))
act "$h" resolve '{"actor":"县委督查室","resolution":"管道已全部更换"}' >/dev/null
res=$(act "$h" feedback '{"actor":"居民","verdict":"satisfied"}')
check_eq "satisfied: closed" "200 closed" "$(code_of "$res") $(jq -r .status <<<"$(body_of "$res")")"
act "$g" resolve '{"actor":"县教育局","resolution":"已安排交警疏导"}' >/dev/null
len_h=$(events_len "$h")
len_g=$(events_len "$g")
len_w=$(events_len "$w")
sleep 2.5 # > 2 x ladder.red.remind: the absence of events takes a wait
check_eq "closed / resolved appeals: no more events" "$len_h $len_g $len_w" \
  "$(events_len "$h") $(events_len "$g") $(events_len "$w")"

echo "# --- a router that was down catches up, once"
e2e_kill router
k=$(new_appeal 150123100203 heating hotline)
e2e_start_service router
check "assigned" wait_until 10 status_is "$k" assigned
e2e_kill router
ack_k=$(hfield "$k" ack_deadline_ms)
wait_until 5 after_ms $((ack_k + 500))
e2e_start_service router
check "escalated after the restart" wait_until 10 type_count_at_least "$k" escalated 1
act "$k" acknowledge '{"actor":"二道河村党支部"}' >/dev/null
check_eq "one escalation for the missed deadline" "collected assigned escalated acknowledged" "$(event_types "$k")"

echo "# --- clock.offset_ms: a router whose clock is 2 h ahead sees the 1 h resolve deadline passed"
e2e_kill router
e2e_start_service router GRIDLINE_CLOCK_OFFSET_MS=7200000
check "acknowledged appeal escalated on its resolve clock" wait_until 10 type_count_at_least "$k" escalated 2
check_eq "reason resolve_overdue, yellow" "yellow 城关镇党委 值班室 resolve_overdue" \
  "$(events_of "$k" | awk -F'\t' '$2 == "escalated"' | sed -n 2p | cut -f3-5 | tr '\t' ' ')"
act "$k" resolve '{"actor":"城关镇","resolution":"已处理"}' >/dev/null

echo "# --- manual escalations racing the clock: each level reached once"
r=$(new_appeal 150123100204 heating hotline)
check "assigned" wait_until 10 status_is "$r" assigned
r_ack=$(hfield "$r" ack_deadline_ms)
wait_until 5 after_ms $((r_ack - 60))
racers=()
for i in $(seq 1 10); do
  curl -s -o /dev/null -w '%{http_code}\n' -X POST "$INTAKE/v1/appeals/$r/escalate" -H 'Content-Type: application/json' \
    --data-binary '{"actor":"网格员","reason":"催办"}' >"$E2E_DIR/race.$i" &
  racers+=($!)
done
wait "${racers[@]}" # (a bare wait would wait for the services too)
codes=$(cat "$E2E_DIR"/race.*)
check "climbs to red" wait_until 10 level_is "$r" red
act "$r" resolve '{"actor":"县委督查室","resolution":"已处理"}' >/dev/null
check_eq "every answer 200 or 409" 10 "$(grep -cxE '200|409' <<<"$codes")"
check_eq "one escalated event per level" "blue yellow red" \
  "$(events_of "$r" | awk -F'\t' '$2 == "escalated" {print $3}' | paste -sd' ')"
check_eq "one manual escalated event per 200" "$(grep -cx 200 <<<"$codes")" \
  "$(events_of "$r" | awk -F'\t' '$2 == "escalated" && $5 == "manual"' | wc -l)"
check_eq "no step before its deadline (automatic ones)" ok "$(events_of "$r" | awk -F'\t' '$5 != "manual"' | not_early)"

echo "# --- counters"
ESC_EXPECT_TYPES="acknowledged escalated resolved closed reopened reminded" check_counters 15
exit 0
