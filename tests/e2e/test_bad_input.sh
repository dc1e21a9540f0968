#!/usr/bin/env bash
# Issue 8's stricter input: control characters, impossible or future times, coordinates outside
# the area served, an address without coordinates. Each refusal names the field and stores
# nothing; the process stays up.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_configure
GRIDLINE_REDIS_TIMEOUT_MS=700 e2e_start_services
base='"channel":"hotline","region":"150123100001","category":"heating"'
refused() { # NAME FIELD BODY
  local before after res
  before=$(appeal_count)
  res=$(post_appeal "$3")
  after=$(appeal_count)
  check_eq "$1: 400 naming $2, nothing stored" "400 $2 $before" \
    "${res%% *} $(jq -r .error.field <<<"${res#* }" 2>/dev/null) $after"
}
refused "a control character in the description" description "{$base,\"description\":\"暖气\u0007不热\"}"
refused "DEL in the title" title "{$base,\"description\":\"x\",\"title\":\"a\u007fb\"}"
refused "an escape in the channel" channel '{"channel":"hot\u001bline","region":"150123100001","category":"heating","description":"x"}'
refused "February 31st" occurred_at "{$base,\"description\":\"x\",\"occurred_at\":\"2026-02-31T08:00:00+08:00\"}"
refused "a time in the year 2999" occurred_at "{$base,\"description\":\"x\",\"occurred_at\":\"2999-01-01T08:00:00+08:00\"}"
refused "the old loophole" occurred_at "{$base,\"description\":\"x\",\"occurred_at\":\"2026-02-31T+1:+1:+1+-1:-1\"}"
refused "coordinates in Beijing's south (outside the area)" location "{$base,\"description\":\"x\",\"location\":{\"lat\":30.0,\"lon\":116.4}}"
refused "a media URL that is not http(s)" 'media_urls[1]' "{$base,\"description\":\"x\",\"media_urls\":[\"https://a.example/1.jpg\",\"file:///etc/passwd\"]}"
refused "a media URL with a space" 'media_urls[0]' "{$base,\"description\":\"x\",\"media_urls\":[\"https://a.example/a b.jpg\"]}"
refused "media_urls not an array" media_urls "{$base,\"description\":\"x\",\"media_urls\":\"https://a.example/1.jpg\"}"
refused "eleven media URLs" media_urls "{$base,\"description\":\"x\",\"media_urls\":[$(printf '"https://a.example/%d.jpg",' 1 2 3 4 5 6 7 8 9 10)\"https://a.example/11.jpg\"]}"
res=$(post_appeal "{$base,\"description\":\"x\",\"media_urls\":[\"https://a.example/1.jpg\",\"http://b.example/v.mp4?x=1\"]}")
check_eq "two media URLs: 201" 201 "${res%% *}"
id=$(jq -r .id <<<"${res#* }")
check_eq "... shown as a list" '["https://a.example/1.jpg","http://b.example/v.mp4?x=1"]' "$(curl -s "$INTAKE/v1/appeals/$id" | jq -c .media_urls)"
res=$(post_appeal "{$base,\"description\":\"换行\\n和制表\\t可以\",\"occurred_at\":\"2024-02-29T08:00:00+08:00\"}")
check_eq "newline and tab in text, and a leap day, are fine" 201 "${res%% *}"
res=$(post_appeal "{$base,\"description\":\"x\",\"location\":{\"address\":\"城关镇南街12号\"}}")
check_eq "an address alone: 201" 201 "${res%% *}"
id=$(jq -r .id <<<"${res#* }")
check_eq "... stores the address" "城关镇南街12号" "$(rcli hget "appeal:{150123}:$id" address)"
check_eq "... and no coordinates (not 0,0)" "" "$(rcli hget "appeal:{150123}:$id" lat)"
res=$(post_appeal "{$base,\"description\":\"x\",\"location\":{\"lat\":40.55,\"lon\":111.82}}")
check_eq "coordinates in 和林格尔县: 201" 201 "${res%% *}"
check "intake is still up" curl -sf "$INTAKE/healthz"

# a huge announced body is refused at once: no 100 Continue, nothing read
code=$(command curl -s -o "$E2E_DIR/big.json" -w '%{http_code}' -m 10 -X POST "$INTAKE/v1/appeals" \
  -H "Authorization: Bearer $E2E_TOKEN" -H 'Content-Type: application/json' \
  -H 'Content-Length: 50000000' -H 'Expect: 100-continue' --data-binary @/dev/null)
# (a server waiting for the 50 MB would leave curl to give up: 000)
check_eq "Content-Length of 50 MB, no body sent: 413 before any is read" 413 "$code"
check_eq "a single appeal is held to intake.max_body, not the batch's limit" 413 \
  "$(command curl -s -o /dev/null -w '%{http_code}' -m 10 -X POST "$INTAKE/v1/appeals" -H "Authorization: Bearer $E2E_TOKEN" \
     -H 'Content-Type: application/json' -H 'Content-Length: 3000000' -H 'Expect: 100-continue' --data-binary @/dev/null)"

# the idempotency fingerprint is over the parsed fields: the same content re-serialised replays
k=(-H 'Idempotency-Key: same-content')
a=$(post_appeal "{$base,\"description\":\"同一内容\"}" "${k[@]}")
b=$(post_appeal "{ \"description\" : \"同一内容\", $base }" "${k[@]}")
check_eq "same content, other spacing and key order: the same 201" "$(jq -r .id <<<"${a#* }")" "$(jq -r .id <<<"${b#* }")"
check_eq "... as a replay" 201 "${b%% *}"
c=$(post_appeal "{$base,\"description\":\"别的内容\"}" "${k[@]}")
check_eq "other content with the key: 422" 422 "${c%% *}"

# Redis stops answering after the appeal was sent: 504 outcome_unknown, and a retry with the same
# Idempotency-Key, once Redis answers again, gives the one appeal
# (an HTTP thread that never connected yet answers 503: nothing was sent; so up to 8 tries, with
# the same key, until one goes out on a connection that was up)
for i in $(seq 16); do curl -s -o /dev/null "$INTAKE/v1/appeals/$id"; done # connect the threads
kill -STOP "${E2E_PID[redis]}"
codes=""
for i in $(seq 8); do
  res=$(post_appeal "{$base,\"description\":\"超时\"}" -H 'Idempotency-Key: timeout-1' -m 10)
  codes+=" ${res%% *}:$(jq -r .error.code <<<"${res#* }" 2>/dev/null)"
  [ "${res%% *}" == 504 ] && break
done
kill -CONT "${E2E_PID[redis]}"
check "no answer from Redis: 504 outcome_unknown (got$codes)" grep -q "504:outcome_unknown" <<<"$codes"
retry() { res=$(post_appeal "{$base,\"description\":\"超时\"}" -H 'Idempotency-Key: timeout-1'); [ "${res%% *}" == 201 ]; }
check "the retry with the same key answers 201" wait_until 15 retry
check_eq "... and there is one such appeal" 1 "$(rcli eval "local n=0 for _,k in ipairs(redis.call('keys','appeal:*')) do if redis.call('hget',k,'description')=='超时' then n=n+1 end end return n" 0)"
exit 0
