#!/usr/bin/env bash
# The 12345 work-order steps (issue 11), with real processes: sign-for, return and its reasons,
# reassign, arbitration (then a second return refused), an order returned too often climbing by
# itself, extensions granted and refused, urging (the N-th climbs), invalid calls left out of the
# rates; every wrong-state step 409 with nothing changed, 400s naming the field; the counters
# recounted with no difference.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esc_lib.sh"
e2e_start_redis
e2e_configure
export GRIDLINE_LADDER_GREEN_ACK=2h GRIDLINE_LADDER_GREEN_RESOLVE=3d
export GRIDLINE_WORKORDER_MAX_RETURNS=2 GRIDLINE_WORKORDER_URGE_ESCALATE_AFTER=3
export GRIDLINE_CALLBACK_DUE_AFTER=1s GRIDLINE_CALLBACK_CLOSE_AFTER=1h
export GRIDLINE_LADDER_WARN_BEFORE=30m
e2e_start_services

ids=()
for i in 1 2 3 4 5 6 7 8; do ids+=("$(new_appeal 150123100001 heating hotline)"); done
A() { echo "${ids[$(($1 - 1))]}"; }
wait_until 15 all_assigned 8
check "eight orders assigned" all_assigned 8
step() { # ID ACTION JSON -> the HTTP status
  code_of "$(act "$@")"
}
ev() { col 2 "$(last_event "$1")"; }
rc() { col 5 "$(last_event "$1")"; }

# ---- sign-for (签收), then acknowledge ----
a=$(A 1)
check_eq "sign: 200" 200 "$(step "$a" sign '{"actor":"网格员 王芳"}')"
check_eq "signed: status and event" "signed signed" "$(hfield "$a" status) $(ev "$a")"
check_eq "signed: the acknowledge clock stopped" "" "$(rcli zscore "deadline:{150123}" "$a|ack")"
check_eq "sign twice: 409" 409 "$(step "$a" sign '{"actor":"网格员 王芳"}')"
check_eq "acknowledge after sign: 200" 200 "$(step "$a" acknowledge '{"actor":"网格员 王芳"}')"

# ---- return (退单), reassign, return, arbitrate (终审), a second return refused ----
b=$(A 2)
check_eq "return without its explanation: 400 naming note" "400 note" \
  "$(res=$(act "$b" return '{"actor":"供热站","reason":"wrong_area"}'); echo "$(code_of "$res") $(body_of "$res" | jq -r .error.field)")"
check_eq "return with an unknown reason: 400 naming reason" "400 reason" \
  "$(res=$(act "$b" return '{"actor":"供热站","reason":"lazy","note":"x"}'); echo "$(code_of "$res") $(body_of "$res" | jq -r .error.field)")"
check_eq "return: 200" 200 "$(step "$b" return '{"actor":"供热站","reason":"wrong_area","note":"该户不在本站供热范围"}')"
check_eq "returned: with the level's dispatcher" "returned dispatcher:green wrong_area" \
  "$(hfield "$b" status) $(hfield "$b" assignee) $(rc "$b")"
check_eq "return of a returned order: 409" 409 "$(step "$b" return '{"actor":"x","reason":"other","note":"x"}')"
check_eq "acknowledge of a returned order: 409" 409 "$(step "$b" acknowledge '{"actor":"x"}')"
check_eq "reassign without department: 400" 400 "$(step "$b" reassign '{"actor":"派单员"}')"
check_eq "reassign to water: 200" 200 "$(step "$b" reassign '{"actor":"派单员","department":"water"}')"
dept_b=$(hfield "$b" department)
check_eq "reassigned: assigned, to water's department, event reassigned" "assigned reassigned" "$(hfield "$b" status) $(ev "$b")"
check "reassigned: not heating's department any more" test "$dept_b" != heating
check_eq "arbitrate an assigned order: 409" 409 "$(step "$b" arbitrate '{"actor":"派单员"}')"
check_eq "the new unit returns it: 200" 200 "$(step "$b" return '{"actor":"水务","reason":"overlapping_duties","note":"应由供热站处理"}')"
check_eq "arbitrate (no department: the returning unit): 200" 200 "$(step "$b" arbitrate '{"actor":"中心主任"}')"
check_eq "arbitrated: assigned to the returning unit, bound" "assigned $dept_b $dept_b arbitrated" \
  "$(hfield "$b" status) $(hfield "$b" department) $(hfield "$b" arbitrated_department) $(ev "$b")"
before=$(snapshot "$b")
check_eq "a second return after the ruling: 409" 409 "$(step "$b" return '{"actor":"水务","reason":"other","note":"还是不归我们"}')"
check_eq "... and nothing changed" "$before" "$(snapshot "$b")"

# ---- returned too often: the third return climbs one level by itself ----
c=$(A 3)
step "$c" return '{"actor":"u1","reason":"wrong_area","note":"1"}' >/dev/null
step "$c" reassign '{"actor":"派单员","department":"water"}' >/dev/null
step "$c" return '{"actor":"u2","reason":"unclear_ownership","note":"2"}' >/dev/null
step "$c" reassign '{"actor":"派单员","department":"power"}' >/dev/null
check_eq "a third return (max 2): 200" 200 "$(step "$c" return '{"actor":"u3","reason":"other","note":"3"}')"
check_eq "... climbs to blue: escalated, returned_too_often" "blue escalated returned_too_often 3" \
  "$(hfield "$c" level) $(ev "$c") $(rc "$c") $(hfield "$c" returns)"

# ---- extensions (延期) ----
d=$(A 4)
until_day=$(TZ=Asia/Shanghai date -d '+10 days' +%F)
until_ms=$(($(TZ=Asia/Shanghai date -d "$until_day +1 day" +%s) * 1000))
check_eq "grant with nothing pending: 409" 409 "$(step "$d" grant_extension '{"actor":"中心"}')"
check_eq "request with a past until: 400 naming until" "400 until" \
  "$(res=$(act "$d" request_extension '{"actor":"u","reason":"缺配件","until":"2020-01-01"}'); echo "$(code_of "$res") $(body_of "$res" | jq -r .error.field)")"
check_eq "request_extension to a date: 200" 200 "$(step "$d" request_extension "{\"actor\":\"供热站\",\"reason\":\"等配件\",\"until\":\"$until_day\"}")"
check_eq "pending: the end of that local day; status unchanged" "$until_ms assigned" "$(hfield "$d" extension_until_ms) $(hfield "$d" status)"
check_eq "grant_extension: 200" 200 "$(step "$d" grant_extension '{"actor":"中心"}')"
check_eq "granted: the resolve deadline and its clock moved; nothing pending" "$until_ms $until_ms 0" \
  "$(hfield "$d" resolve_deadline_ms) $(rcli zscore "deadline:{150123}" "$d|resolve") $(hfield "$d" extension_until_ms)"
check_eq "request again, then refuse: 200 200" "200 200" \
  "$(step "$d" request_extension "{\"actor\":\"供热站\",\"reason\":\"再等等\",\"until\":\"$(TZ=Asia/Shanghai date -d '+20 days' +%F)\"}") $(step "$d" refuse_extension '{"actor":"中心","reason":"不予延期"}')"
check_eq "refused: deadline kept, nothing pending, event" "$until_ms 0 extension_refused" \
  "$(hfield "$d" resolve_deadline_ms) $(hfield "$d" extension_until_ms) $(ev "$d")"
check_eq "refuse with nothing pending: 409" 409 "$(step "$d" refuse_extension '{"actor":"中心"}')"

# ---- urging (催办): the third climbs ----
e=$(A 5)
check_eq "urge, urge: 200 200" "200 200" "$(step "$e" urge '{"actor":"市民热线"}') $(step "$e" urge '{"actor":"市民热线"}')"
check_eq "two urges: still green, urged" "green urged 2" "$(hfield "$e" level) $(ev "$e") $(hfield "$e" urges)"
check_eq "the third urge: 200" 200 "$(step "$e" urge '{"actor":"市民热线"}')"
check_eq "... climbs to blue: escalated, urged" "blue escalated urged 3" "$(hfield "$e" level) $(ev "$e") $(rc "$e") $(hfield "$e" urges)"

# ---- invalid calls (无效诉求) ----
f=$(A 6)
check_eq "invalidate with an unknown reason: 400 naming reason" "400 reason" \
  "$(res=$(act "$f" invalidate '{"actor":"话务员","reason":"boring"}'); echo "$(code_of "$res") $(body_of "$res" | jq -r .error.field)")"
step "$f" acknowledge '{"actor":"网格员"}' >/dev/null
check_eq "invalidate (acknowledged before): 200" 200 "$(step "$f" invalidate '{"actor":"话务员","reason":"harassment","note":"骚扰电话"}')"
check_eq "invalid: status, clocks gone" "invalid  " \
  "$(hfield "$f" status) $(rcli zscore "deadline:{150123}" "$f|ack") $(rcli zscore "deadline:{150123}" "$f|resolve")"
check_eq "acting on an invalid order: 409" 409 "$(step "$f" resolve '{"actor":"x","resolution":"x"}')"
check_eq "an unknown action: 404" 404 "$(step "$f" teleport '{"actor":"x"}')"

# ---- call-backs (回访): listed when due, answered by phone; one closing by itself ----
h=$(A 7)
step "$h" acknowledge '{"actor":"网格员"}' >/dev/null
check_eq "resolve: 200" 200 "$(step "$h" resolve '{"actor":"网格员","resolution":"已修复"}')"
due() { curl -s -H "Authorization: Bearer $E2E_TOKEN" "$INTAKE/v1/callbacks/due?region=150123" | jq -r '.callbacks[].id'; }
listed() { due | grep -qx "$1"; }
wait_until 10 listed "$h"
check "GET /v1/callbacks/due lists it once callback.due_after (1 s) has passed" listed "$h"
check_eq "a call-back channel other than phone or sms: 400 naming channel" "400 channel" \
  "$(res=$(act "$h" feedback '{"actor":"回访员","verdict":"satisfied","channel":"fax"}'); echo "$(code_of "$res") $(body_of "$res" | jq -r .error.field)")"
check_eq "a resident cannot give no_feedback: 400 naming verdict" "400 verdict" \
  "$(res=$(act "$h" feedback '{"actor":"回访员","verdict":"no_feedback"}'); echo "$(code_of "$res") $(body_of "$res" | jq -r .error.field)")"
check_eq "feedback by phone: 200" 200 "$(step "$h" feedback '{"actor":"回访员","verdict":"satisfied","channel":"phone"}')"
check_eq "the call-back's channel is in its event" phone \
  "$(curl -s -H "Authorization: Bearer $E2E_TOKEN" "$INTAKE/v1/appeals/$h" | jq -r '.events[-1].channel')"
check "answered: no longer listed" bash -c "! curl -s -H 'Authorization: Bearer $E2E_TOKEN' '$INTAKE/v1/callbacks/due?region=150123' | grep -q '$h'"
check_eq "closed: its call-back clock gone" "" "$(rcli zscore "deadline:{150123}" "$h|resolve")"
# an order resolved under callback.close_after 2 s closes by itself, verdict no_feedback
e2e_kill intake TERM
GRIDLINE_CALLBACK_CLOSE_AFTER=2s e2e_start_service intake
g=$(A 8)
step "$g" acknowledge '{"actor":"网格员"}' >/dev/null
step "$g" resolve '{"actor":"网格员","resolution":"已修复"}' >/dev/null
wait_until 20 status_is "$g" closed
check_eq "no call-back within callback.close_after: closed by the router, no_feedback" \
  "closed closed no_feedback router" \
  "$(hfield "$g" status) $(ev "$g") $(col 6 "$(last_event "$g")") $(col 7 "$(last_event "$g")")"

# ---- counted: invalid calls apart and out of the rates; returns per unit ----
today=$(TZ=Asia/Shanghai date +%Y%m%d)
sq() { curl -s -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/stats?region=150123&day=$today" | jq -c "$1"; }
counted() { [ "$(sq '.by_event.invalidated // 0')" == 1 ] && [ "$(sq '.by_event.urged // 0')" == 2 ]; }
wait_until 15 counted
check_eq "events counted: signed 1, returned 4 (the third of c climbed instead), reassigned 3, arbitrated 1, urged 2, invalidated 1" \
  '[1,4,3,1,2,1,1,1]' "$(sq '[.by_event.signed, .by_event.returned, .by_event.reassigned, .by_event.arbitrated, .by_event.urged, .by_event.invalidated, .by_event.extension_granted, .by_event.extension_refused]')"
check_eq "escalations by reason: returned_too_often 1, urged 1" '{"returned_too_often":1,"urged":1}' \
  "$(sq '.escalations.by_reason' | jq -cS .)"
# eight assigned, one invalid: seven in the rates; answered in time: a (signed), h, g (f is
# invalid)
check_eq "response rate: the invalid call left out (3 of 7: the sign-for counts)" \
  '{"num":3,"den":7,"value":0.4286}' "$(sq .rates.response)"
check_eq "satisfaction: h's call-back counts, g's no_feedback does not" \
  '{"num":1,"den":1,"value":1}' "$(sq .rates.satisfaction)"
check_eq "now: one invalid, kept" 1 "$(sq '.now.by_status.invalid')"
check_eq "returns counted per unit: heating's (b and c once each)" 2 "$(rcli hget "stats:{150123}:$today:150123" ret:heating)"
check_eq "/v1/stats shows the returns by department" '{"heating":2,"water-supply":2}' "$(sq '.returns.by_department' | jq -cS .)"
# ---- a repeat call (same phone, village, category) urges the open order ----
e2e_kill intake TERM
GRIDLINE_WORKORDER_REPEAT_WINDOW=1h e2e_start_service intake
call() { # PHONE CATEGORY [curl args...] -> "STATUS BODY"
  local phone=$1 category=$2
  shift 2
  post_appeal "{\"channel\":\"hotline\",\"region\":\"150123100002\",\"category\":\"$category\",\"description\":\"楼道灯不亮\",\"reporter\":{\"name\":\"赵六\",\"phone\":\"$phone\"}}" "$@"
}
first=$(call 13900001111 city)
check_eq "the first call: 201, a new order" 201 "$(code_of "$first")"
r=$(body_of "$first" | jq -r .id)
wait_until 10 status_is "$r" assigned
again=$(call 13900001111 city)
check_eq "the same resident again: 200, urged, naming the open order" "200 urged $r" \
  "$(code_of "$again") $(body_of "$again" | jq -r '"\(.result) \(.id)"')"
check_eq "no new order stored; an urged event on the open one" "$(appeal_count) urged repeat_call" \
  "$(($(appeal_count))) $(ev "$r") $(rc "$r")"
check_eq "another category: a new order" 201 "$(code_of "$(call 13900001111 water)")"
check_eq "another resident: a new order" 201 "$(code_of "$(call 13900002222 city)")"
# a repeat call retried with its Idempotency-Key urges once
q=$(body_of "$(call 13900003333 city)" | jq -r .id)
wait_until 10 status_is "$q" assigned
k1=$(call 13900003333 city -H 'Idempotency-Key: repeat-call-7')
k2=$(call 13900003333 city -H 'Idempotency-Key: repeat-call-7')
check_eq "a repeat call and its retry with the same Idempotency-Key: 200 urged twice, one urge" \
  "200 urged 200 urged 1" \
  "$(code_of "$k1") $(body_of "$k1" | jq -r .result) $(code_of "$k2") $(body_of "$k2" | jq -r .result) $(hfield "$q" urges)"
call 13900001111 city >/dev/null
check_eq "the third call: urged again, still green" "green urged 2" "$(hfield "$r" level) $(ev "$r") $(hfield "$r" urges)"
call 13900001111 city >/dev/null
check_eq "the fourth call, the third urge (urge_escalate_after 3): climbs to blue" "blue escalated urged" \
  "$(hfield "$r" level) $(ev "$r") $(rc "$r")"

# ---- warnings (预警): 30 min before each clock, once ----
d=$(A 4)
check_eq "d has a warning clock 30 min before its acknowledge clock" \
  "$(($(rcli zscore "deadline:{150123}" "$d|ack") - 1800000))" "$(rcli zscore "deadline:{150123}" "$d|warn_ack")"
e2e_kill router TERM
GRIDLINE_CLOCK_OFFSET_MS=$((100 * 60 * 1000)) e2e_start_service router # 1 h 40 min on: past the warning, before the clock
warned_once() { [ "$(events_of "$d" | cut -f2 | grep -c '^warned$')" == 1 ]; }
wait_until 15 warned_once
check_eq "warned: its own event, ack_due_soon, status and level unchanged" "warned ack_due_soon assigned green" \
  "$(ev "$d") $(rc "$d") $(hfield "$d" status) $(hfield "$d" level)"
sleep 2
check "once per clock: still one warning" warned_once
check_eq "the warning clock is gone, the acknowledge clock stays" "1" \
  "$(rcli zrange "deadline:{150123}" 0 -1 | grep -c "^$d|ack$")$(rcli zscore "deadline:{150123}" "$d|warn_ack")"
# ---- a sign-for clock (ladder.green.sign 1h), the resolve clock starting at the sign-for ----
e2e_kill router TERM
e2e_kill intake TERM
export GRIDLINE_LADDER_GREEN_SIGN=1h GRIDLINE_LADDER_RESOLVE_FROM_SIGN=on
e2e_start_service router
e2e_start_service intake
s1=$(new_appeal 150123100003 heating hotline)
s2=$(new_appeal 150123100003 heating hotline)
wait_until 10 status_is "$s1" assigned
wait_until 10 status_is "$s2" assigned
check_eq "assigned: the first clock is the sign-for's (1 h), no resolve clock yet" "3600000 0" \
  "$(($(rcli zscore "deadline:{150123}" "$s1|ack") - $(hfield "$s1" assigned_at_ms))) $(hfield "$s1" resolve_deadline_ms)"
check_eq "signed: 200" 200 "$(step "$s1" sign '{"actor":"网格员"}')"
check "signed: the resolve clock starts now (3 d)" test "$(rcli zscore "deadline:{150123}" "$s1|resolve")" -gt \
  "$(($(date +%s%3N) + 3 * 86400000 - 60000))"
e2e_kill router TERM
GRIDLINE_CLOCK_OFFSET_MS=$((70 * 60 * 1000)) e2e_start_service router
wait_until 15 level_is "$s2" blue
check_eq "not signed for within 1 h: climbs, reason sign_overdue" "blue sign_overdue" \
  "$(hfield "$s2" level) $(events_of "$s2" | awk -F'\t' '$2 == "escalated" {print $5}' | head -n 1)"
check_eq "the signed one stays green" "green signed" "$(hfield "$s1" level) $(hfield "$s1" status)"
# a complex order (complex: true on sign): workorder.complex_resolve, 15 working days
s3=$(new_appeal 150123100003 heating hotline)
wait_until 10 status_is "$s3" assigned
check_eq "complex must be true or false: 400 naming complex" "400 complex" \
  "$(res=$(act "$s3" sign '{"actor":"派单员","complex":"yes"}'); echo "$(code_of "$res") $(body_of "$res" | jq -r .error.field)")"
check_eq "sign, complex: 200" 200 "$(step "$s3" sign '{"actor":"派单员","complex":true}')"
r3=$(hfield "$s3" resolve_deadline_ms)
check_eq "its resolve deadline: a local midnight (16:00 UTC)" 57600000 "$((r3 % 86400000))"
check "... at least 15 working days (19 calendar days) away" test "$r3" -gt "$(($(date +%s%3N) + 19 * 86400000))"
check_eq "... and its clock with it" "$r3" "$(rcli zscore "deadline:{150123}" "$s3|resolve")"
check "gridctl recount: no difference" "$BUILD/gridctl" recount --region 150123
exit 0
