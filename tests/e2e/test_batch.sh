#!/usr/bin/env bash
# POST /v1/appeals:batch with real processes: good and bad lines in one NDJSON body, the good
# ones stored and assigned, one answer line per non-blank input line in order, a re-import that
# creates nothing, the batch's own media type and limits, and Redis down.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure
# small limits, so that each one is reached with a few lines; the single POST keeps its own
# (smaller) limit although httpd now reads bodies up to the batch's
export GRIDLINE_INTAKE_MAX_BODY=1024 GRIDLINE_INTAKE_MAX_BATCH_BODY=8192 GRIDLINE_INTAKE_MAX_BATCH_LINES=10
e2e_start_services

# post_batch BODY [curl args...] -> prints "STATUS BODY"; headers in $E2E_DIR/batch.headers
post_batch() {
  local body=$1
  shift
  curl -s -o "$E2E_DIR/batch.out" -D "$E2E_DIR/batch.headers" -w '%{http_code}' -X POST \
    "$INTAKE/v1/appeals:batch" -H "Content-Type: ${CT:-application/x-ndjson}" "$@" --data-binary "$body"
  echo " $(cat "$E2E_DIR/batch.out")"
}
line() { # REGION EXTERNAL_ID [CHANNEL] [CATEGORY]
  printf '{"channel":"%s","region":"%s","category":"%s","description":"暖气不热，室温只有12度","external_id":"%s"}' \
    "${3:-wechat}" "$1" "${4:-heating}" "$2"
}

# 1 good, 2 blank, 3 bad JSON, 4 good (CRLF), 5 unknown region, 6 no external_id, 7 bad UTF-8,
# 8 good in another county (Baotou), 9 line 1 again (a duplicate inside the batch), 10 spaces,
# 11 good, the last line without LF
batch="$(line 150123100001 wx-1)"$'\n'
batch+=$'\n'
batch+='{"channel":"wechat",'$'\n'
batch+="$(line 150123100002 wx-2)"$'\r\n'
batch+="$(line 150123999999 wx-3)"$'\n'
batch+='{"channel":"wechat","region":"150123100001","category":"heating","description":"x"}'$'\n'
batch+=$'{"channel":"wechat","region":"150123100001","category":"heating","description":"\xff\xfe","external_id":"wx-4"}\n'
batch+="$(line 150203001015 wx-5 app power)"$'\n'
batch+="$(line 150123100001 wx-1)"$'\n'
batch+=$'  \t \n'
batch+="$(line 150123100003 wx-6 visit water)"

res=$(post_batch "$batch")
status=${res%% *}
body=${res#* }
check_eq "batch answers 200" 200 "$status"
check "answer is NDJSON" grep -qi '^content-type: application/x-ndjson' "$E2E_DIR/batch.headers"
check_eq "one answer per non-blank line" 9 "$(grep -c . <<<"$body")"
check "every answer line is one JSON object" jq -e -s 'length == 9 and all(type == "object")' <<<"$body"
check_eq "physical line numbers, blank lines skipped" "1 3 4 5 6 7 8 9 11" "$(jq -r .line <<<"$body" | paste -sd' ')"
ans() { jq -c "select(.line == $1)" <<<"$body"; }
check_eq "line 1 created" created "$(ans 1 | jq -r .result)"
check_eq "line 3 bad JSON" "bad_json body" "$(ans 3 | jq -r '.error.code + " " + .error.field')"
check_eq "line 4 (CRLF) created" created "$(ans 4 | jq -r .result)"
check_eq "line 5 unknown region" "unknown_region region" "$(ans 5 | jq -r '.error.code + " " + .error.field')"
check_eq "line 6 missing external_id" "missing external_id" "$(ans 6 | jq -r '.error.code + " " + .error.field')"
check "line 6 says why" grep -q re-import <<<"$(ans 6 | jq -r .error.message)"
check_eq "line 7 bad UTF-8" "bad_utf8 body" "$(ans 7 | jq -r '.error.code + " " + .error.field')"
check_eq "line 8 (Baotou) created" created "$(ans 8 | jq -r .result)"
check_eq "line 9 repeats line 1: duplicate" duplicate "$(ans 9 | jq -r .result)"
check_eq "line 9 answers line 1's id" "$(ans 1 | jq -r .id)" "$(ans 9 | jq -r .id)"
check_eq "line 11 (no final LF) created" created "$(ans 11 | jq -r .result)"
check_eq "ids are county-day-counter" 5 "$(jq -r 'select(.id) | .id' <<<"$body" | grep -Ec '^[0-9]{6}-[0-9]{8}-[0-9]{6}$')"
check_eq "Baotou line in its own county" 150203 "$(ans 8 | jq -r .id | cut -d- -f1)"
check_eq "four appeals stored" 4 "$(appeal_count)"
check "all four assigned by the router" wait_until 15 all_assigned 4
check_eq "each assigned once" 0 "$(histories_not_assigned_once)"
stored=$(curl -s "$INTAKE/v1/appeals/$(ans 11 | jq -r .id)")
check_eq "stored as sent: channel" visit "$(jq -r .channel <<<"$stored")"
check_eq "stored as sent: external_id" wx-6 "$(jq -r .external_id <<<"$stored")"
check "counted by the aggregator" wait_until 10 stat_is 150123 .appeals 3
check "intake counts batch appeals" bash -c "curl -s $INTAKE/metrics | grep -q 'gridline_intake_appeals_total{result=\"created\"} 4'"

# --- a re-import creates nothing and answers every good line with its id, "duplicate"
# settled N: N appeals, all assigned, every outbox drained (then no key changes by itself)
settled() { all_assigned "$1" && [ "$(outbox_entries)" == 0 ]; }
check "outboxes drained" wait_until 10 settled 4
keys_before=$(rcli dbsize)
seq_before=$(rcli eval "local n=0 for _,k in ipairs(redis.call('keys','seq:*')) do n=n+redis.call('get',k) end return n" 0)
res2=$(post_batch "$batch")
body2=${res2#* }
check_eq "re-import answers 200" 200 "${res2%% *}"
check_eq "re-import: every good line duplicate" "duplicate duplicate duplicate duplicate duplicate" \
  "$(jq -r 'select(.id) | .result' <<<"$body2" | paste -sd' ')"
check_eq "re-import: the same ids" "$(jq -c 'select(.id) | [.line, .id]' <<<"$body" | paste -sd' ')" \
  "$(jq -c 'select(.id) | [.line, .id]' <<<"$body2" | paste -sd' ')"
check_eq "re-import: the same errors" "$(jq -c 'select(.error) | [.line, .error.code]' <<<"$body" | paste -sd' ')" \
  "$(jq -c 'select(.error) | [.line, .error.code]' <<<"$body2" | paste -sd' ')"
check_eq "re-import created no appeal" 4 "$(appeal_count)"
check_eq "re-import changed no key" "$keys_before" "$(rcli dbsize)"
check_eq "re-import used no id" "$seq_before" \
  "$(rcli eval "local n=0 for _,k in ipairs(redis.call('keys','seq:*')) do n=n+redis.call('get',k) end return n" 0)"
single=$(post_appeal "$(line 150123100001 wx-1)")
check_eq "the single POST sees the batch's external_id: 409" 409 "${single%% *}"

# --- media type, method, limits: the whole request refused, nothing stored
ok_line="$(line 150123100004 wx-7)"
res=$(CT=application/json post_batch "$ok_line")
check_eq "application/json: 415" 415 "${res%% *}"
check_eq "415 names Content-Type" Content-Type "$(jq -r .error.field <<<"${res#* }")"
res=$(CT=text/plain post_batch "$ok_line")
check_eq "text/plain: 415" 415 "${res%% *}"
check_eq "no Content-Type: 415" 415 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$INTAKE/v1/appeals:batch" -H 'Content-Type:' --data-binary "$ok_line")"
res=$(CT='application/x-ndjson; charset=utf-8' post_batch "")
check_eq "a parameter is fine; an empty batch is 200 with no lines" "200 " "$res"
check_eq "GET: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$INTAKE/v1/appeals:batch")"
many=""
for i in $(seq 1 11); do many+="$(line 150123100004 many-$i)"$'\n'; done
res=$(post_batch "$many")
check_eq "11 lines over max_batch_lines 10: 413" 413 "${res%% *}"
check "413 names the limit" grep -q intake.max_batch_lines <<<"$(jq -r .error.message <<<"${res#* }")"
ten=$'\n\n'"$(head -n 10 <<<"$many")"$'\n\n'
check_eq "10 lines and blank ones: within the limit" 10 "$(post_batch "$ten" | cut -d' ' -f2- | jq -s 'map(select(.result == "created")) | length')"
check "the 10 assigned, outboxes drained" wait_until 15 settled 14
keys_before=$(rcli dbsize)
pad=$(head -c 9000 /dev/zero | tr '\0' ' ')
res=$(post_batch "$ok_line$pad")
check_eq "9 KB over max_batch_body 8 KiB: 413" 413 "${res%% *}"
# (httpd reads up to the larger of intake.max_body and intake.max_batch_body: here the batch's)
check "413 names the limit" grep -q 8192 <<<"$(jq -r .error.message <<<"${res#* }")"
pad=$(head -c 70000 /dev/zero | tr '\0' ' ')
res=$(post_batch "$ok_line$pad")
check_eq "70 KB: 413" 413 "${res%% *}"
check_eq "refused batches stored nothing" "$keys_before" "$(rcli dbsize)"
res=$(post_appeal "{\"channel\":\"hotline\",\"description\":\"$(head -c 2000 /dev/zero | tr '\0' a)\"}")
check_eq "single POST keeps intake.max_body (1 KiB): 413" 413 "${res%% *}"
check_eq "single POST under its limit still works" 201 "$(post_appeal "$(appeal_json)" | cut -d' ' -f1)"

# --- a store step that fails for one county (a script error there, as Redis down would): the
# lines of other counties are stored (the batch goes to Redis as one call per county), that
# county's answer "unavailable", and sending the same batch again finishes the work
day=$(ans 8 | jq -r .id | cut -d- -f2)
rcli del "seq:{150203}:$day" >/dev/null
rcli hset "seq:{150203}:$day" broken 1 >/dev/null
part="$(line 150123100005 part-1)"$'\n'"$(line 150203001015 part-2 app power)"$'\n'"$(line 150123100005 part-3)"$'\n'
res=$(post_batch "$part")
check_eq "part-way failure: still 200" 200 "${res%% *}"
check_eq "part-way failure: only the broken county's line unavailable" "1 created 2 unavailable 3 created" \
  "$(jq -r '"\(.line) \(.result // .error.code)"' <<<"${res#* }" | paste -sd' ')"
rcli del "seq:{150203}:$day" >/dev/null
res=$(post_batch "$part")
check_eq "sent again: the stored lines duplicate, the other created" "1 duplicate 2 created 3 duplicate" \
  "$(jq -r '"\(.line) \(.result // .error.code)"' <<<"${res#* }" | paste -sd' ')"
check "the new Baotou id walked past the one in use" test "$(jq -r 'select(.line == 2) | .id' <<<"${res#* }")" != "$(ans 8 | jq -r .id)"

# --- Redis down: nothing can be stored, so the whole batch is 503
e2e_kill redis
res=$(post_batch "$(line 150123100005 down-1)"$'\n'"$(line 150123100005 down-2)"$'\n{bad\n')
check_eq "Redis down: 503" 503 "${res%% *}"
check_eq "503 says unavailable" unavailable "$(jq -r .error.code <<<"${res#* }")"
check "503 asks for a retry" grep -qi '^retry-after: 1' "$E2E_DIR/batch.headers"
