#!/usr/bin/env bash
# GET /v1/appeals: newest first from the per-county index, filters, pages by cursor, a prefix
# above the county fanning out, the token's region and contacts.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services
for i in $(seq 12); do post_appeal "$(appeal_json 150123100001 heating)" >/dev/null; done
for i in $(seq 5); do post_appeal "$(appeal_json 150123100002 water wechat)" >/dev/null; done
for i in $(seq 3); do post_appeal "$(appeal_json 150203001015 heating)" >/dev/null; done
check "every appeal indexed" test "$(rcli zcard 'index:{150123}:created')" == 17
list() { curl -s "$INTAKE/v1/appeals?$1"; }
all=$(list "region=150123&limit=500")
check_eq "a county: all 17" 17 "$(jq '.appeals|length' <<<"$all")"
check_eq "no more pages" null "$(jq -r .next_cursor <<<"$all")"
check "newest first" jq -e '[.appeals[].created_at] as $c | $c == ($c|sort|reverse)' <<<"$all"
check_eq "channel filter" 5 "$(list "region=150123&channel=wechat" | jq '.appeals|length')"
check_eq "category filter" 12 "$(list "region=150123&category=heating" | jq '.appeals|length')"
check_eq "a village" 5 "$(list "region=150123100002" | jq '.appeals|length')"
check_eq "the province fans out over its counties" 20 "$(list "region=15&limit=500" | jq '.appeals|length')"
check_eq "a city" 3 "$(list "region=1502" | jq '.appeals|length')"
# pages of 5, following next_cursor until null: every appeal once
seen="" cursor="" pages=0
while :; do
  page=$(list "region=150123&limit=5${cursor:+&cursor=$cursor}")
  seen+=$(jq -r '.appeals[].id' <<<"$page")$'\n'
  cursor=$(jq -r .next_cursor <<<"$page")
  pages=$((pages + 1))
  [ "$cursor" == null ] || [ $pages -gt 10 ] && break
done
check_eq "pages of 5 cover the 17 once" "17 17" "$(grep -c . <<<"$seen") $(grep . <<<"$seen" | sort -u | wc -l)"
check_eq "bad limit: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$INTAKE/v1/appeals?limit=0")"
check_eq "bad cursor: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$INTAKE/v1/appeals?cursor=x")"
check_eq "unknown region: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$INTAKE/v1/appeals?region=150199")"
assigned_all() { [ "$(list "region=15&status=assigned&limit=500" | jq '.appeals|length')" == 20 ]; }
check "status filter (all assigned in time)" wait_until 10 assigned_all
check_eq "overdue=false: all" 20 "$(list "region=15&overdue=false&limit=500" | jq '.appeals|length')"
check_eq "the reporter in clear for a token with contacts" "13812341234" "$(list "region=150123&limit=1" | jq -r '.appeals[0].reporter.phone')"
e2e_token_add county-wx county-wx-secret "" 150123 "" 0
W=(-H "X-Api-Key: county-wx-secret")
check_eq "a county token: its county" 17 "$(command curl -s "${W[@]}" "$INTAKE/v1/appeals?limit=500" | jq '.appeals|length')"
check_eq "a county token: not the province" 403 "$(command curl -s -o /dev/null -w '%{http_code}' "${W[@]}" "$INTAKE/v1/appeals?region=15")"
check_eq "masked for a token without contacts" "张*" "$(command curl -s "${W[@]}" "$INTAKE/v1/appeals?limit=1" | jq -r '.appeals[0].reporter.name')"
exit 0
