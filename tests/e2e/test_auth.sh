#!/usr/bin/env bash
# Tokens (issue 8's locks): missing or unknown is 401; a token's channels, region and actions
# are 403 outside them; residents' contacts are masked unless the token may see them; a token
# made by gridctl works at once on every instance and a revoked one stops at once; the token's
# name is recorded on the events it causes.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services
ROUTER="http://127.0.0.1:$GRIDLINE_ROUTER_HTTP_PORT"
J='Content-Type: application/json'
# status CURL-ARGS...: the HTTP status of a request made with no token but the ones given
status() { command curl -s -o "$E2E_DIR/out.json" -w '%{http_code}' "$@"; }
body='{"channel":"wechat","region":"150123100001","category":"heating","description":"暖气不热","reporter":"张三 138-1234-5678"}'

check_eq "no token: POST is 401" 401 "$(status -X POST "$INTAKE/v1/appeals" -H "$J" -d "$body")"
check_eq "the answer names Authorization" Authorization "$(jq -r .error.field "$E2E_DIR/out.json")"
check_eq "unknown token: 401" 401 "$(status -X POST "$INTAKE/v1/appeals" -H "$J" -H 'X-Api-Key: nope' -d "$body")"
check_eq "no token: the router's directory is 401" 401 "$(status "$ROUTER/v1/directory")"
check_eq "healthz stays open" 200 "$(status "$INTAKE/healthz")"
check_eq "metrics stay open" 200 "$(status "$INTAKE/metrics")"

# a county dispatcher's token for WeChat in 和林格尔县, acknowledge only, no contacts
made=$("$BUILD/gridctl" token create wx-150123 channels=wechat region=150123 actions=acknowledge 2>/dev/null)
secret=$(jq -r .token <<<"$made")
check "gridctl token create prints the secret once" test ${#secret} -ge 32
check "only its hash is stored" test -z "$(rcli hgetall '{auth}:tokens' | grep -F "$secret")"
W=(-H "Authorization: Bearer $secret")
check_eq "its channel and region: 201" 201 "$(status -X POST "$INTAKE/v1/appeals" -H "$J" "${W[@]}" -d "$body")"
id=$(jq -r .id "$E2E_DIR/out.json")
check_eq "another channel: 403" 403 "$(status -X POST "$INTAKE/v1/appeals" -H "$J" "${W[@]}" -d "${body/wechat/hotline}")"
check_eq "the 403 names the field" channel "$(jq -r .error.field "$E2E_DIR/out.json")"
check_eq "another county: 403" 403 "$(status -X POST "$INTAKE/v1/appeals" -H "$J" "${W[@]}" -d "${body/150123100001/150203001015}")"
check_eq "the 403 names the region" region "$(jq -r .error.field "$E2E_DIR/out.json")"

# an Idempotency-Key is the county's: its 422 names the other appeal only to a token of its channel
hot=$(post_appeal "${body/wechat/hotline}" -H 'Idempotency-Key: shared-key-1')
hid=$(jq -r .id <<<"${hot#* }")
check_eq "wechat token, key of a hotline appeal: 422" 422 "$(status -X POST "$INTAKE/v1/appeals" -H "$J" "${W[@]}" -H 'Idempotency-Key: shared-key-1' -d "$body")"
check "... not naming the hotline appeal" sh -c "! grep -q '$hid' '$E2E_DIR/out.json'"
res=$(post_appeal "${body/暖气不热/停水}" -H 'Idempotency-Key: shared-key-1')
check_eq "a token of every channel: 422 names it" "422 1" "${res%% *} $(grep -c "$hid" <<<"${res#* }")"
ext=${body/\"reporter\"/\"external_id\":\"wx-777\",\"reporter\"}
check_eq "an external id: 201" 201 "$(status -X POST "$INTAKE/v1/appeals" -H "$J" "${W[@]}" -d "$ext")"
eid=$(jq -r .id "$E2E_DIR/out.json")
check_eq "again: 409 naming the appeal (the key is the channel's)" "409 1" "$(status -X POST "$INTAKE/v1/appeals" -H "$J" "${W[@]}" -d "$ext") $(grep -c "$eid" "$E2E_DIR/out.json")"

assigned() { [ "$(curl -s "$INTAKE/v1/appeals/$id" | jq -r .status)" == assigned ]; }
check "assigned" wait_until 10 assigned
check_eq "GET with the token: 200" 200 "$(status "$INTAKE/v1/appeals/$id" "${W[@]}")"
check_eq "the reporter's phone is masked" "138****5678" "$(jq -r .reporter.phone "$E2E_DIR/out.json")"
check_eq "the reporter's name is masked" "张*" "$(jq -r .reporter.name "$E2E_DIR/out.json")"
check "no raw contact field" test "$(jq -r '[keys[]|select(startswith("reporter_"))]|length' "$E2E_DIR/out.json")" == 0
check "the event records the token's name" test "$(jq -r '.events[0].token' "$E2E_DIR/out.json")" == wx-150123
check_eq "a token allowed contacts sees them" "13812345678" "$(curl -s "$INTAKE/v1/appeals/$id" | jq -r .reporter.phone)"
check_eq "the structured reporter keeps the name" "张三" "$(curl -s "$INTAKE/v1/appeals/$id" | jq -r .reporter.name)"

check_eq "resolve is not among its actions: 403" 403 "$(status -X POST "$INTAKE/v1/appeals/$id/resolve" -H "$J" "${W[@]}" -d '{"actor":"a","resolution":"r"}')"
check_eq "acknowledge is: 200" 200 "$(status -X POST "$INTAKE/v1/appeals/$id/acknowledge" -H "$J" "${W[@]}" -d '{"actor":"王五"}')"
check "the acknowledged event records the token" test "$(curl -s "$INTAKE/v1/appeals/$id" | jq -r '.events[-1].token')" == wx-150123

# an appeal of another county: neither readable nor actionable by the county token
other=$(post_appeal "$(appeal_json 150203001015 heating)")
oid=$(jq -r .id <<<"${other#* }")
check_eq "another county's appeal: GET 403" 403 "$(status "$INTAKE/v1/appeals/$oid" "${W[@]}")"
check_eq "another county's appeal: action 403" 403 "$(status -X POST "$INTAKE/v1/appeals/$oid/acknowledge" -H "$J" "${W[@]}" -d '{"actor":"a"}')"

check_eq "router: supervision of its county: 200" 200 "$(status "$ROUTER/v1/supervision?region=150123" "${W[@]}")"
check_eq "router: supervision of the province: 403" 403 "$(status "$ROUTER/v1/supervision?region=15" "${W[@]}")"
check_eq "router: directory changes need the directory action: 403" 403 "$(status -X POST "$ROUTER/v1/directory" "${W[@]}" -d '{"department":"heating","level":"blue","region":"150123","assignee":"x"}')"

# browsers: their own media type, and only our host names (DNS rebinding)
check_eq "POST without Content-Type: 415" 415 "$(status -X POST "$INTAKE/v1/appeals" "${W[@]}" --data-binary "$body" -H 'Content-Type:')"
check_eq "an action as a form: 415" 415 "$(status -X POST "$INTAKE/v1/appeals/$id/acknowledge" "${W[@]}" -d '{"actor":"a"}')"
check_eq "another Host: 421" 421 "$(status "$INTAKE/v1/appeals/$id" "${W[@]}" -H 'Host: evil.example:8080')"
check_eq "the router too" 421 "$(status "$ROUTER/v1/directory" "${W[@]}" -H 'Host: evil.example')"
check_eq "localhost is ours" 200 "$(status "$INTAKE/v1/appeals/$id" "${W[@]}" -H 'Host: localhost:8080')"

# a rate per token, shared by the instances: 5 a second, then 429 with Retry-After
slow=$("$BUILD/gridctl" token create slow rate=5 2>/dev/null | jq -r .token)
codes=$(for i in $(seq 12); do status "$INTAKE/v1/appeals/$id" -H "X-Api-Key: $slow"; echo; done | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
check "12 requests in a second at rate 5: some 429 (got: $codes)" grep -q 429 <<<"$codes"
for i in $(seq 12); do command curl -s -D "$E2E_DIR/h$i" -o /dev/null "$INTAKE/v1/appeals/$id" -H "X-Api-Key: $slow"; done
check "a 429 says Retry-After: 1" sh -c "grep -l '^HTTP/1.1 429' '$E2E_DIR'/h* | head -n 1 | xargs grep -qi '^Retry-After: 1'"

# a county's directory keeper: entries of its county, not the province's
e2e_token_add keeper keeper-secret "" 150123 "directory" 0
K=(-H "X-Api-Key: keeper-secret" -H "Content-Type: application/json")
check_eq "directory keeper: an entry in its county: 201" 201 "$(status -X POST "$ROUTER/v1/directory" "${K[@]}" -d '{"department":"heating","level":"blue","region":"150123100","assignee":"x"}')"
check_eq "directory keeper: a province-wide entry: 403" 403 "$(status -X POST "$ROUTER/v1/directory" "${K[@]}" -d '{"department":"heating","level":"blue","region":"15","assignee":"x"}')"
check_eq "directory keeper: deleting another county's entry: 403" 403 "$(status -X DELETE "$ROUTER/v1/directory/heating.blue.150203" "${K[@]}")"
check_eq "directory keeper: deleting its own: 204" 204 "$(status -X DELETE "$ROUTER/v1/directory/heating.blue.150123100" "${K[@]}")"

# the aggregator's counts: the same tokens, the token's region bounding what is read
check_eq "aggregator: no token: 401" 401 "$(status "$AGGREGATOR/v1/stats?region=150123")"
check_eq "aggregator: the county token, its county: 200" 200 "$(status "$AGGREGATOR/v1/stats?region=150123" "${W[@]}")"
check_eq "aggregator: a village of it: 200" 200 "$(status "$AGGREGATOR/v1/stats?region=150123100001" "${W[@]}")"
check_eq "aggregator: the province: 403 naming region" "403 region" "$(status "$AGGREGATOR/v1/stats?region=15" "${W[@]}") $(jq -r .error.field "$E2E_DIR/out.json")"
check_eq "aggregator: no region means the province: 403" 403 "$(status "$AGGREGATOR/v1/stats" "${W[@]}")"
check_eq "gridctl --token: the county's stats" 0 "$(GRIDLINE_TOKEN= "$BUILD/gridctl" --token "$secret" stats 150123 >/dev/null 2>&1; echo $?)"
check "gridctl without a token: refused" sh -c "! GRIDLINE_TOKEN= '$BUILD/gridctl' stats 150123 >/dev/null 2>&1"

check "gridctl token list shows it, not its secret" sh -c "'$BUILD/gridctl' token list | grep -q wx-150123 && ! '$BUILD/gridctl' token list | grep -qF '$secret'"
check "gridctl token revoke" "$BUILD/gridctl" token revoke wx-150123
check_eq "a revoked token is 401 at once" 401 "$(status "$INTAKE/v1/appeals/$id" "${W[@]}")"
exit 0
