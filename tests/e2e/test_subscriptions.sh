#!/usr/bin/env bash
# Subscriptions through the notifier's API (issue 9): tokens, validation naming the field, the
# configuration's listed read-only, prefix matching at every level through the index, filters,
# and a subscription made on one notifier instance applied by another to every event accepted
# after the POST answered (and a deleted one by neither).
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_two_notifiers # the router pushes to both
J='Content-Type: application/json'
S="http://127.0.0.1:$SINK_PORT"
status() { command curl -s -o "$E2E_DIR/out.json" -w '%{http_code}' "$@"; }
# sub NAME REGION [EXTRA JSON]: POSTs a webhook subscription to the sink's /s/NAME, prints its id
sub() {
  local res
  res=$(curl -s -X POST "$NOTIFIER/v1/subscriptions" -H "$J" \
    -d "{\"name\":\"$1\",\"region\":\"$2\",\"url\":\"$S/s/$1\",\"secret\":\"k-$1\"${3:+,$3}}")
  jq -r .id <<<"$res"
}
got() { curl -s "$S/requests" | jq "[.[] | select(.path == \"/s/$1\")] | length"; }

# --- locks and refusals
check_eq "no token: 401" 401 "$(status "$NOTIFIER/v1/subscriptions")"
check_eq "POST as text/plain: 415" 415 "$(status -X POST "$NOTIFIER/v1/subscriptions" -H "X-Api-Key: $E2E_TOKEN" -H 'Content-Type: text/plain' -d '{}')"
refused() { # NAME FIELD BODY
  local code
  code=$(status -X POST "$NOTIFIER/v1/subscriptions" -H "X-Api-Key: $E2E_TOKEN" -H "$J" -d "$3")
  check_eq "$1: 400 naming $2" "400 $2" "$code $(jq -r .error.field "$E2E_DIR/out.json")"
}
refused "a name with CR LF (a header injection)" name '{"name":"a\r\nX-Evil: 1","region":"150123","url":"http://127.0.0.1:9/a"}'
refused "a name of 120 characters" name "{\"name\":\"$(printf 'n%.0s' $(seq 120))\",\"region\":\"150123\",\"url\":\"http://127.0.0.1:9/a\"}"
refused "an unknown region" region '{"name":"a","region":"159999","url":"http://127.0.0.1:9/a"}'
refused "url and target both" target '{"name":"a","region":"150123","url":"http://127.0.0.1:9/a","target":{"type":"webhook","url":"http://127.0.0.1:9/a"}}'
refused "an unknown target type" target.type '{"name":"a","region":"150123","target":{"type":"fax","url":"http://127.0.0.1:9/a"}}'
refused "an unknown field" grop_wait_s '{"name":"a","region":"150123","url":"http://127.0.0.1:9/a","grop_wait_s":5}'
refused "an id from the client" id '{"id":"mine","name":"a","region":"150123","url":"http://127.0.0.1:9/a"}'
check_eq "nothing stored by the refusals" 0 "$(rcli hlen '{subscriptions}:entries')"

# --- one at every level of 和林格尔县's chain, one elsewhere, and filtered ones
declare -A ID
for lv in 15:province 1501:city 150123:county 150123100:township 150123100001:village 15012310000102:grid 150203:other; do
  ID[${lv#*:}]=$(sub "${lv#*:}" "${lv%%:*}")
done
ID[red]=$(sub red 150123 '"min_level":"red"')
ID[water]=$(sub water 150123 '"categories":["water"]')
ID[wechat]=$(sub wechat 150123 '"channels":["wechat"]')
check "ids are ASCII, server-made" grep -qE '^s[0-9a-f]{16}$' <<<"${ID[grid]}"
check_eq "GET one: 200" 200 "$(status -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER/v1/subscriptions/${ID[grid]}")"
check_eq "... the secret hidden" '***' "$(jq -r .target.secret "$E2E_DIR/out.json")"
check_eq "... made on a, listed by b" 12 "$(curl -s "$NOTIFIER2/v1/subscriptions" | jq '.subscriptions | length')"
check_eq "the configuration's listed as such" "baotou county-150123" \
  "$(curl -s "$NOTIFIER/v1/subscriptions" | jq -r '[.subscriptions[] | select(.source == "config") | .id] | sort | join(" ")')"
check_eq "DELETE a configuration one: 409 read_only" "409 read_only" \
  "$(status -X DELETE -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER/v1/subscriptions/baotou") $(jq -r .error.code "$E2E_DIR/out.json")"
check_eq "DELETE an unknown one: 404" 404 "$(status -X DELETE -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER/v1/subscriptions/s0000000000000000")"

# --- appeals in the grid (hotline, heating): the chain's six and the county's get each alert once
for i in 1 2 3 4 5 6; do post_appeal "$(appeal_json 15012310000102 heating)" >/dev/null; done
grid_done() { [ "$(got grid)" -ge 6 ]; }
check "the grid subscription: 6 alerts" wait_until 20 grid_done
sleep 1 # a stray alert would arrive by now
for name in province city county township village grid; do
  check_eq "$name: one alert per appeal (spread over both notifiers)" 6 "$(got $name)"
done
check_eq "another county's: none" 0 "$(got other)"
check_eq "min_level red: none for green assignments" 0 "$(got red)"
check_eq "categories [water]: none for heating" 0 "$(got water)"
check_eq "channels [wechat]: none for hotline" 0 "$(got wechat)"
check_eq "both notifier instances delivered" 2 \
  "$(for u in "$NOTIFIER" "$NOTIFIER2"; do curl -s "$u/metrics" | grep -E '^gridline_notifier_deliveries_total\{target="webhook",result="delivered"\} [1-9]'; done | wc -l)"
check "the alert names the subscription" test "$(curl -s "$S/requests" | jq -r '[.[] | select(.path == "/s/grid")][0].body.subscription')" == grid
check_eq "X-Gridline-Subscription is the id" "${ID[grid]}" \
  "$(curl -s "$S/requests" | jq -r '[.[] | select(.path == "/s/grid")][0].headers["X-Gridline-Subscription"] // empty')"

# --- a new subscription made on b, a deleted one on a: the next appeals know both at once
ID[late]=$(sub late 150123100001)
check_eq "DELETE the township's: 204" 204 "$(status -X DELETE -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER2/v1/subscriptions/${ID[township]}")"
check_eq "... gone from a too" 404 "$(status -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER/v1/subscriptions/${ID[township]}")"
for i in 1 2 3 4; do post_appeal "$(appeal_json 15012310000102 heating)" >/dev/null; done
late_done() { [ "$(got late)" -ge 4 ] && [ "$(got grid)" -ge 10 ]; }
check "the new subscription: an alert for each later appeal" wait_until 20 late_done
sleep 1
check_eq "... exactly" 4 "$(got late)"
check_eq "the deleted one: nothing more" 6 "$(got township)"

# --- a directory entry with a target (router API): alerts naming its owner go there as well
ROUTER="http://127.0.0.1:$GRIDLINE_ROUTER_HTTP_PORT"
code=$(curl -s -o "$E2E_DIR/dir.json" -w '%{http_code}' -X POST "$ROUTER/v1/directory" -H "$J" \
  -d "{\"department\":\"heating\",\"level\":\"green\",\"region\":\"150123100003\",\"assignee\":\"网格员 王芳\",\"target\":{\"type\":\"webhook\",\"url\":\"$S/s/owner?token=T0\",\"secret\":\"o\"}}")
check_eq "directory entry with a target: 201" 201 "$code"
check_eq "... shown without the URL's query, the secret hidden" "$S/s/owner ***" "$(jq -r '"\(.target.url) \(.target.secret)"' "$E2E_DIR/dir.json")"
sleep 1.2 # the notifiers look at the directory's version at most once a second
for i in 1 2; do post_appeal "$(appeal_json 150123100003 heating)" >/dev/null; done
post_appeal "$(appeal_json 150123100004 heating)" >/dev/null
owner_done() { [ "$(got owner)" -ge 2 ]; }
check "the owner's target gets the alerts naming the owner" wait_until 20 owner_done
sleep 1
check_eq "... only those (not the other village's)" 2 "$(got owner)"
check_eq "... each names the owner" "网格员 王芳" "$(curl -s "$S/requests" | jq -r '[.[] | select(.path == "/s/owner")][0].body.recipients[0]')"

# --- a county's token: subscribes and lists within its county only
e2e_token_add county-keeper county-secret "" 150123 "*" 0
C=(-H "X-Api-Key: county-secret" -H "$J")
check_eq "county token, a township of it: 201" 201 "$(status -X POST "$NOTIFIER/v1/subscriptions" "${C[@]}" -d "{\"name\":\"t\",\"region\":\"150123100\",\"url\":\"$S/s/t\"}")"
check_eq "county token, the province: 403" 403 "$(status -X POST "$NOTIFIER/v1/subscriptions" "${C[@]}" -d "{\"name\":\"t\",\"region\":\"15\",\"url\":\"$S/s/t\"}")"
check_eq "county token lists its county's only" 0 \
  "$(command curl -s "$NOTIFIER/v1/subscriptions" -H 'X-Api-Key: county-secret' | jq '[.subscriptions[] | select(.region | startswith("150123") | not)] | length')"
check_eq "... and cannot read the province's" 404 "$(status "$NOTIFIER/v1/subscriptions/${ID[province]}" -H 'X-Api-Key: county-secret')"
made=$(GRIDLINE_TOKEN=$E2E_TOKEN "$BUILD/gridctl" subscriptions add 旗督办 150123 "$S/s/ctl" secret=x min_level=red group_wait_s=5)
check_eq "gridctl subscriptions add" "red 5 ***" "$(jq -r '"\(.min_level) \(.group_wait_s) \(.target.secret)"' <<<"$made")"
check "gridctl subscriptions list shows it" sh -c "GRIDLINE_TOKEN=$E2E_TOKEN '$BUILD/gridctl' subscriptions list | jq -e '.subscriptions[] | select(.name == \"旗督办\")' >/dev/null"
GRIDLINE_TOKEN=$E2E_TOKEN "$BUILD/gridctl" subscriptions rm "$(jq -r .id <<<"$made")" >/dev/null
check_eq "gridctl subscriptions rm" 404 "$(status -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER/v1/subscriptions/$(jq -r .id <<<"$made")")"
check "notifiers still up" sh -c "curl -sf '$NOTIFIER/healthz' >/dev/null && curl -sf '$NOTIFIER2/healthz' >/dev/null"
exit 0
