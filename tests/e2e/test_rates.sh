#!/usr/bin/env bash
# The aggregator's rates, durations and gauges (issue 10, docs/aggregator.md) on a small data set
# worked out by hand, with real processes; then exact counters after a mixed burst with the
# aggregator and the router SIGKILLed mid-stream, checked by gridctl recount.
#
# Time: intake is restarted with clock offsets, so that its actions happen "later" than the
# router's assignments (the router and its clocks keep real time: nothing falls due). The
# aggregator runs 30 h ahead, so that the open appeals are overdue for its gauges.
#
# Ten appeals, A1..A5 in 城关镇 (150123100), A6..A10 in 盛乐镇 (150123101), all first assigned
# today (their cohort). Ladder: green ack 2h, resolve 1d.
#   +50 min:  ack A1..A6 (on time, 3000 s: bucket 3600); resolve A1..A4 (on time, bucket 3600);
#             feedback A1 satisfied, A2 basically_satisfied solved=false, A3 unsatisfied
#             (reopened, blue), A4 satisfied solved=true; escalate A9 (manual, blue)
#   +3 h:     ack A7, A8 (late, bucket 14400); resolve A5 (on time, bucket 14400); A3 acked,
#             resolved and satisfied again (its latest feedback; its first ack/resolution stay)
#   +36 h:    resolve A6 (late, bucket 172800)
# Expected: response 6/10, on_time 5/10, resolution 3/4 (A2 said not solved), satisfaction
# 4/4; acknowledge count 8, median 3600, p90 14400; resolve count 6, median 3600, p90 172800.
# Now: closed 4 (A1-A4), resolved 2 (A5, A6), acknowledged 2 (A7, A8), assigned 2 (A9, A10);
# open 4: green 3, blue 1; overdue 3 (the aggregator's clock is 30 h ahead: past green's 1 d
# resolve deadline, not A9's at blue, 2 d).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esc_lib.sh"
e2e_start_redis
e2e_configure
export GRIDLINE_LADDER_GREEN_ACK=2h GRIDLINE_LADDER_GREEN_RESOLVE=1d
GRIDLINE_CLOCK_OFFSET_MS=$((30 * 3600 * 1000)) e2e_start_service aggregator
e2e_start_service notifier
e2e_start_service router
e2e_start_service intake

intake_at() { # OFFSET_MS: intake restarted with its clock that far ahead
  e2e_kill intake TERM
  GRIDLINE_CLOCK_OFFSET_MS=$1 e2e_start_service intake
}

ids=()
for v in 150123100001 150123100002 150123100003 150123100004 150123100005 \
  150123101201 150123101204 150123101207 150123101201 150123101204; do
  ids+=("$(new_appeal "$v" heating hotline)")
done
check_eq "ten appeals created" 10 "$(printf '%s\n' "${ids[@]}" | grep -c .)"
A() { echo "${ids[$(($1 - 1))]}"; }
wait_until 15 all_assigned 10
check "all ten assigned" all_assigned 10

ok_act() { # ID ACTION JSON: the action answered 200
  local res
  res=$(act "$@")
  [ "$(code_of "$res")" == 200 ] || { echo "# $1 $2: $res"; return 1; }
}
actions_ok=0
intake_at $((50 * 60 * 1000))
for i in 1 2 3 4 5 6; do ok_act "$(A $i)" acknowledge '{"actor":"网格员"}' || actions_ok=1; done
for i in 1 2 3 4; do ok_act "$(A $i)" resolve '{"actor":"网格员","resolution":"已修好"}' || actions_ok=1; done
ok_act "$(A 1)" feedback '{"actor":"居民","verdict":"satisfied"}' || actions_ok=1
ok_act "$(A 2)" feedback '{"actor":"居民","verdict":"basically_satisfied","solved":false}' || actions_ok=1
ok_act "$(A 3)" feedback '{"actor":"居民","verdict":"unsatisfied"}' || actions_ok=1
ok_act "$(A 4)" feedback '{"actor":"居民","verdict":"satisfied","solved":true}' || actions_ok=1
ok_act "$(A 9)" escalate '{"actor":"镇长","reason":"跨部门"}' || actions_ok=1
intake_at $((3 * 3600 * 1000))
for i in 7 8 3; do ok_act "$(A $i)" acknowledge '{"actor":"网格员"}' || actions_ok=1; done
for i in 5 3; do ok_act "$(A $i)" resolve '{"actor":"网格员","resolution":"已修好"}' || actions_ok=1; done
ok_act "$(A 3)" feedback '{"actor":"居民","verdict":"satisfied"}' || actions_ok=1
intake_at $((36 * 3600 * 1000))
ok_act "$(A 6)" resolve '{"actor":"网格员","resolution":"已修好"}' || actions_ok=1
check_eq "every action answered 200" 0 "$actions_ok"

# the span covers every day touched (cohort today; events up to 36 h later), in local days
d0=$(TZ=Asia/Shanghai date -d '-1 day' +%Y%m%d)
d3=$(TZ=Asia/Shanghai date -d '+3 days' +%Y%m%d)
STATS="$AGGREGATOR/v1/stats?region=150123&from=$d0&to=$d3"
stat_q() { curl -s -H "Authorization: Bearer $E2E_TOKEN" "$STATS${2:-}" | jq -c "$1"; }
counted() { [ "$(stat_q '.by_event.closed // 0')" == 4 ] && [ "$(stat_q '.by_event.resolved // 0')" == 7 ]; }
wait_until 15 counted
check_eq "response rate 6/10" '{"num":6,"den":10,"value":0.6}' "$(stat_q .rates.response)"
check_eq "on-time rate 5/10" '{"num":5,"den":10,"value":0.5}' "$(stat_q .rates.on_time)"
check_eq "resolution rate 3/4" '{"num":3,"den":4,"value":0.75}' "$(stat_q .rates.resolution)"
check_eq "satisfaction rate 4/4" '{"num":4,"den":4,"value":1}' "$(stat_q .rates.satisfaction)"
check_eq "time to acknowledge: 8, median 1 h bucket, p90 4 h bucket" \
  '{"count":8,"median_s":3600,"p90_s":14400}' "$(stat_q .durations.acknowledge)"
check_eq "time to resolve: 6, median 1 h bucket, p90 2 d bucket" \
  '{"count":6,"median_s":3600,"p90_s":172800}' "$(stat_q .durations.resolve)"
check_eq "escalations by level and reason" '{"total":1,"by_level":{"blue":1},"by_reason":{"manual":1}}' \
  "$(stat_q .escalations)"
check_eq "now: by status" '{"acknowledged":2,"assigned":2,"closed":4,"resolved":2}' \
  "$(stat_q '.now.by_status | with_entries(select(.value != 0))' | jq -cS .)"
check_eq "now: open by level" '{"blue":1,"green":3}' \
  "$(stat_q '.now.by_level | with_entries(select(.value != 0))' | jq -cS .)"
check_eq "now: open 4, overdue 3 (the aggregator's clock is 30 h ahead)" '[4,3]' "$(stat_q '[.now.open, .now.overdue]')"
# the same for the province (summed over its counties) and per township
check_eq "the province agrees" "$(stat_q .rates)" \
  "$(curl -s -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/stats?region=15&from=$d0&to=$d3" | jq -c .rates)"
kids=$(stat_q '[.children[] | select(.appeals > 0) | {region, name, appeals, response: .rates.response.value}]' '&by=child')
check_eq "by=child: the two townships, named, with their own rates" \
  '[{"region":"150123100","name":"城关镇","appeals":5,"response":1},{"region":"150123101","name":"盛乐镇","appeals":5,"response":0.2}]' "$kids"
days=$(stat_q '[.days[] | .appeals] | add' '&by=day')
check_eq "by=day: the days add up to the appeals" 10 "$days"
one=$(curl -s -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/stats?region=150123&day=$(TZ=Asia/Shanghai date +%Y%m%d)" | jq -c '[.day, .appeals]')
check_eq "a single day keeps the old shape" "[\"$(TZ=Asia/Shanghai date +%Y%m%d)\",10]" "$one"
check_eq "from after to: 400 naming to" '400 to' \
  "$(curl -s -o "$E2E_DIR/bad.json" -w '%{http_code}' -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/stats?region=150123&from=$d3&to=$d0") $(jq -r .error.field "$E2E_DIR/bad.json")"
check_eq "a day that is no date: 400 naming day" '400 day' \
  "$(curl -s -o "$E2E_DIR/bad.json" -w '%{http_code}' -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/stats?region=150123&day=20261131") $(jq -r .error.field "$E2E_DIR/bad.json")"
# /metrics: the county gauges (re-read every 5 s), labels down to the county only
AGG_METRICS="http://127.0.0.1:$GRIDLINE_AGGREGATOR_HTTP_PORT/metrics"
gauge_shown() { curl -s "$AGG_METRICS" | grep -qx 'gridline_appeals_open{county="150123",level="green"} 3'; }
wait_until 15 gauge_shown
check "/metrics: open appeals by county and level" gauge_shown
check_eq "/metrics: overdue by county" 'gridline_appeals_overdue{county="150123"} 3' \
  "$(curl -s "$AGG_METRICS" | grep '^gridline_appeals_overdue{')"
check_eq "/metrics: no region label below the county" "" \
  "$(curl -s "$AGG_METRICS" | grep -E '^gridline_appeals_[a-z]+\{' | grep -vE 'county="[0-9]{6}"[,}]')"
if command -v promtool >/dev/null; then
  curl -s "$AGG_METRICS" >"$E2E_DIR/metrics.txt"
  check "promtool check metrics: clean" promtool check metrics <"$E2E_DIR/metrics.txt"
fi
# ---- rankings of 和林格尔县's townships (the others have no appeal: unranked) ----
rank_q() { curl -s -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/rankings?region=150123&child_level=township&from=$d0&to=$d3$1"; }
check_eq "response rate: 城关镇 1 (red flag), 盛乐镇 0.2 (snail)" \
  '[[1,"城关镇",1,"red_flag"],[2,"盛乐镇",0.2,"snail"]]' \
  "$(rank_q '&metric=response_rate' | jq -c '[.ranked[] | [.rank, .name, .value, .flag]]')"
check_eq "response rate: 盛乐镇 lags (below 0.9), for a reminder letter" '[["盛乐镇",0.9]]' \
  "$(rank_q '&metric=response_rate' | jq -c '[.lagging[] | [.name, .threshold]]')"
check_eq "the townships with no appeal are unranked (fewer than 5 appeals)" 'true' \
  "$(rank_q '&metric=response_rate' | jq '(.unranked | length) > 0 and all(.unranked[]; .reason == "fewer than 5 appeals")')"
check_eq "resolution rate (default metric): 城关镇 0.75; 盛乐镇 has no feedback: unranked" \
  '[[[1,"城关镇",0.75]],"no feedback/assignments in the period"]' \
  "$(rank_q '' | jq -c '[[.ranked[] | [.rank, .name, .value]], (.unranked[] | select(.name == "盛乐镇") | .reason)]')"
check_eq "overdue, fewest first: 城关镇 0, 盛乐镇 3" '[[1,"城关镇",0],[2,"盛乐镇",3]]' \
  "$(rank_q '&metric=overdue' | jq -c '[.ranked[] | [.rank, .name, .value]]')"
check_eq "period=YYYY-MM names its days" "[\"${d0:0:6}01\"]" \
  "$(curl -s -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/rankings?region=150123&child_level=township&period=${d0:0:4}-${d0:4:2}" | jq -c '[.from]')"
check_eq "a township has no township beneath: 400 naming child_level" '400 child_level' \
  "$(curl -s -o "$E2E_DIR/bad.json" -w '%{http_code}' -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/rankings?region=150123100&child_level=township") $(jq -r .error.field "$E2E_DIR/bad.json")"
check_eq "an unknown metric: 400 naming metric" '400 metric' \
  "$(curl -s -o "$E2E_DIR/bad.json" -w '%{http_code}' -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/rankings?region=150123&child_level=township&metric=speed") $(jq -r .error.field "$E2E_DIR/bad.json")"
# ---- CSV for spreadsheets: UTF-8 with a BOM, CRLF ----
curl -s -D "$E2E_DIR/csv.h" -o "$E2E_DIR/rank.csv" -H "Authorization: Bearer $E2E_TOKEN" \
  "$AGGREGATOR/v1/rankings.csv?region=150123&child_level=township&from=$d0&to=$d3&metric=response_rate"
check_eq "rankings.csv starts with the UTF-8 BOM" "efbbbf" "$(head -c 3 "$E2E_DIR/rank.csv" | od -An -tx1 | tr -d ' \n')"
check_eq "rankings.csv: header, then 城关镇 first, CRLF" $'rank,region,name,value,num,den,appeals,flag\r|1,150123100,城关镇,1,5,5,5,red_flag\r' \
  "$(tail -c +4 "$E2E_DIR/rank.csv" | head -n 2 | paste -sd'|')"
check "rankings.csv is text/csv, an attachment" grep -qi '^content-disposition: attachment' "$E2E_DIR/csv.h"
curl -s -o "$E2E_DIR/stats.csv" -H "Authorization: Bearer $E2E_TOKEN" "${STATS/stats?/stats.csv?}&by=child"
check_eq "stats.csv by=child: 盛乐镇's row" "150123101,盛乐镇,$d0-$d3,5,5,1,0,0,0.2000,,,0.0000" \
  "$(grep '^150123101,' "$E2E_DIR/stats.csv" | tr -d '\r')"
check_counters
recount() { "$BUILD/gridctl" recount "$@" >"$E2E_DIR/recount.out" 2>&1; }
check "gridctl recount: no difference after the hand-made set" recount --region 150123
sed 's/^/# /' "$E2E_DIR/recount.out" | tail -n 3

# ---- a mixed burst with the aggregator and the router SIGKILLed mid-stream ----
intake_at 0
"$BUILD/gridline-loadgen" --url "$INTAKE" --count 600 --concurrency 8 --prefix 150123 --quiet \
  >"$E2E_DIR/loadgen.out" 2>&1 &
lg=$!
sleep 0.3
e2e_kill aggregator KILL
e2e_kill router KILL
sleep 0.2
e2e_start_service router
GRIDLINE_CLOCK_OFFSET_MS=$((30 * 3600 * 1000)) e2e_start_service aggregator
wait "$lg"
# actions on a few of the burst's appeals while the aggregator is killed again
mapfile -t burst < <(rcli zrange "index:{150123}:created" -20 -1)
e2e_kill aggregator KILL
for id in "${burst[@]:0:10}"; do
  wait_until 10 status_is "$id" assigned
  act "$id" acknowledge '{"actor":"网格员"}' >/dev/null
done
for id in "${burst[@]:0:5}"; do act "$id" resolve '{"actor":"网格员","resolution":"好了"}' >/dev/null; done
for id in "${burst[@]:0:3}"; do act "$id" feedback '{"actor":"居民","verdict":"unsatisfied"}' >/dev/null; done
for id in "${burst[@]:10:3}"; do act "$id" transfer '{"actor":"网格员","department":"water"}' >/dev/null; done
for id in "${burst[@]:13:3}"; do act "$id" escalate '{"actor":"网格员","reason":"需要上级"}' >/dev/null; done
GRIDLINE_CLOCK_OFFSET_MS=$((30 * 3600 * 1000)) e2e_start_service aggregator
quiet() { [ "$(rcli zcard 'outbox:{150123}:aggregator')" == 0 ] && [ "$(rcli zcard 'outbox:{150123}:router')" == 0 ]; }
wait_until 30 quiet
check "the outboxes drained after the kills" quiet
check_counters 20
check "gridctl recount --region 150123: no difference after the kills" recount --region 150123
sed 's/^/# /' "$E2E_DIR/recount.out" | tail -n 3
check "gridctl recount (the province): no difference" recount
check "gridctl recount --from/--to: no difference" recount --region 150123100 --from "$d0" --to "$d3"
# a difference is found and reported: one counter changed by hand
rcli hincrby "stats:{150123}:$(TZ=Asia/Shanghai date +%Y%m%d):150123" ev:collected 1 >/dev/null
recount --region 150123
check_eq "a counter changed by hand: recount exits 1" 1 "$?"
check "and names the key and the field" grep -q "ev:collected: expected" "$E2E_DIR/recount.out"
exit 0
