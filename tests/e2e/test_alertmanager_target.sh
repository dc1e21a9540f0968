#!/usr/bin/env bash
# The Alertmanager target's request, as target_alertmanager renders it (written out here by
# hand), is taken by a real Alertmanager and comes out of its webhook with the labels intact;
# the same alert posted again with endsAt = now comes out resolved.
source "$(dirname "$0")/lib.sh"
e2e_start_sink
e2e_start_alertmanager "http://127.0.0.1:$SINK_PORT/alertmanager"

# clock_iso's form: local time at +08:00 with milliseconds (POSIX TZ "UTC-8" is UTC+8)
iso() { TZ=UTC-8 date -d "@$1" +%Y-%m-%dT%H:%M:%S.000%:z; }
now=$(date +%s)
starts=$(iso $((now - 60)))
labels='{"alertname":"gridline_appeal","appeal_id":"E2E0000000001","region":"150123100001","county":"150123","level":"red","category":"heating","department":"供热办"}'
# alert EVENT [ENDS_AT]: the one-alert array target_alertmanager POSTs for that event
alert() {
  local ends=""
  [ -z "${2:-}" ] || ends=",\"endsAt\":\"$2\""
  printf '[{"labels":%s,"annotations":{"summary":"[红] 和林格尔县 南园村 heating: %s -> 王五","description":"内蒙古自治区 呼和浩特市 和林格尔县 城关镇 南园村 · heating · 责任人 王五","event":"%s","deadline":"%s"},"startsAt":"%s"%s}]' \
    "$labels" "$1" "$1" "$(iso $((now + 86400)))" "$starts" "$ends"
}
post() {
  command curl -s -o "$E2E_DIR/post.out" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary "$1" "$ALERTMANAGER/api/v2/alerts"
}
requests() { command curl -s "http://127.0.0.1:$SINK_PORT/requests"; }
# notified STATUS: the sink has an Alertmanager notification of that status (for wait_until)
notified() { requests | jq -e --arg s "$1" 'any(.[]; .body.status == $s)'; }
# the first notification of that status
notification() { requests | jq -c --arg s "$1" '[.[] | select(.body.status == $s)][0].body'; }

check_eq "Alertmanager takes the firing alert" 200 "$(post "$(alert escalated)")"
check "a firing notification reaches the webhook" wait_until 20 notified firing
firing=$(notification firing)
check_eq "through Alertmanager's webhook" /alertmanager "$(requests | jq -r '.[0].path')"
check_eq "the labels intact" "$(jq -cS . <<<"$labels")" "$(jq -cS '.alerts[0].labels' <<<"$firing")"
check_eq "grouped by appeal_id" '{"appeal_id":"E2E0000000001"}' "$(jq -c '.groupLabels' <<<"$firing")"
check_eq "the annotations kept" "escalated 王五" \
  "$(jq -r '.alerts[0].annotations | "\(.event) \(.summary | split(" -> ")[1])"' <<<"$firing")"
check_eq "one alert" 1 "$(jq '.alerts | length' <<<"$firing")"

check_eq "Alertmanager takes the resolving alert" 200 "$(post "$(alert resolved "$(iso "$(date +%s)")")")"
check "a resolved notification arrives" wait_until 20 notified resolved
resolved=$(notification resolved)
check_eq "the same alert, resolved" "resolved $(jq -cS . <<<"$labels")" \
  "$(jq -r '.alerts[0].status' <<<"$resolved") $(jq -cS '.alerts[0].labels' <<<"$resolved")"
exit 0
