#!/usr/bin/env bash
# The notifier's live stream (issue 9): GET /v1/stream as Server-Sent Events, fed by one Redis
# stream every notifier instance appends to. A client on instance a filtered to a county gets
# its appeals' alerts and no other county's; min_level filters; a client on instance b resuming
# from an id seen on a gets exactly the later messages (whichever instance accepted them);
# heartbeats; ?access_token= for a token without contacts only; CORS; refusals naming the field.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure
# camera appeals start at yellow (the min_level filter has something to let through)
cat >>"$E2E_CONFIG" <<YAML
rules:
  - {channel: camera, category: heating, level: yellow}
YAML
ORIGIN=http://127.0.0.1:8083
export GRIDLINE_NOTIFIER_STREAM_HEARTBEAT=1s GRIDLINE_NOTIFIER_CORS_ORIGIN=$ORIGIN
e2e_start_two_notifiers
e2e_token_add viewer viewer-secret "" 15 "" 0       # may not read contacts: allowed in a URL
e2e_token_add keeper keeper-secret "" 150123 "" 0   # one county
status() { command curl -s -o "$E2E_DIR/out.json" -w '%{http_code}' --max-time 5 "$@"; }
field() { jq -r .error.field "$E2E_DIR/out.json"; }

# --- refusals (each answered before any stream starts)
check_eq "no token: 401, with the CORS header (the page can read why)" "401 $ORIGIN" \
  "$(command curl -s -D - -o /dev/null "$NOTIFIER/v1/stream" | tr -d '\r' |
    awk '/^HTTP/{c=$2} tolower($1)=="access-control-allow-origin:"{o=$2} END{print c, o}')"
check_eq "an unknown access_token: 401" 401 "$(status "$NOTIFIER/v1/stream?access_token=nope")"
check_eq "a contacts token as access_token: 403 naming access_token" "403 access_token" \
  "$(status "$NOTIFIER/v1/stream?access_token=$E2E_TOKEN") $(field)"
check_eq "an unknown region: 400 naming region" "400 region" \
  "$(status -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER/v1/stream?region=159999") $(field)"
check_eq "min_level purple: 400 naming min_level" "400 min_level" \
  "$(status -H "X-Api-Key: $E2E_TOKEN" "$NOTIFIER/v1/stream?min_level=purple") $(field)"
check_eq "a bad Last-Event-ID: 400 naming it" "400 Last-Event-ID" \
  "$(status -H "X-Api-Key: $E2E_TOKEN" -H 'Last-Event-ID: x; DROP' "$NOTIFIER/v1/stream") $(field)"
check_eq "a county's token, another county: 403 naming region" "403 region" \
  "$(status -H 'X-Api-Key: keeper-secret' "$NOTIFIER/v1/stream?region=150203") $(field)"
check_eq "preflight: 204 with the dashboard's origin" "204 $ORIGIN" \
  "$(command curl -s -D - -o /dev/null -X OPTIONS -H "Origin: $ORIGIN" "$NOTIFIER/v1/stream" |
    tr -d '\r' | awk '/^HTTP/{c=$2} tolower($1)=="access-control-allow-origin:"{o=$2} END{print c, o}')"

# --- clients on instance a: the county, the county at yellow and up, the county by access_token
declare -A CLIENT
listen() { # NAME URL [curl args...]: a client in the background, its output in $E2E_DIR/NAME.sse
  local name=$1 url=$2
  shift 2
  command curl -sN --max-time 50 -D "$E2E_DIR/$name.headers" "$@" "$url" >"$E2E_DIR/$name.sse" 2>/dev/null &
  E2E_PIDS+=($!)
  CLIENT[$name]=$!
  wait_until 10 grep -q '^retry: 2000' "$E2E_DIR/$name.sse" || echo "# client $name did not start"
}
listen county "$NOTIFIER/v1/stream?region=150123" -H "Authorization: Bearer $E2E_TOKEN"
listen yellow "$NOTIFIER/v1/stream?region=150123&min_level=yellow" -H "X-Api-Key: $E2E_TOKEN"
listen url "$NOTIFIER/v1/stream?region=150123&access_token=viewer-secret"
events() { grep -c '^event: ' "$E2E_DIR/$1.sse"; }
has_events() { [ "$(events "$1")" -ge "$2" ]; }
regions() { sed -n 's/^data: //p' "$E2E_DIR/$1.sse" | jq -r .region | cut -c1-6 | sort -u | tr '\n' ' '; }
ids() { sed -n 's/^id: //p' "$E2E_DIR/$1.sse"; }

for i in 1 2 3; do post_appeal "$(appeal_json 150123100001 heating)" >/dev/null; done
for i in 1 2; do post_appeal "$(appeal_json 150203001015 heating)" >/dev/null; done
# the camera appeal last, once the others are in the stream: a client that has it has read them
stream_has() { [ "$(rcli xlen '{alerts}:stream')" -ge "$1" ]; }
check "five alerts in the Redis stream" wait_until 30 stream_has 5
post_appeal "$(appeal_json 150123100002 heating camera)" >/dev/null
check "the county's client: 4 messages" wait_until 30 has_events county 4
check "the access_token client: 4 messages" wait_until 30 has_events url 4
check "the yellow client: 1 message" wait_until 30 has_events yellow 1
check_eq "the county's client: only its county" "150123 " "$(regions county)"
check_eq "... exactly 4 (none of the other county's)" 4 "$(events county)"
check_eq "yellow and up: only the camera appeal's" "1 yellow" \
  "$(events yellow) $(sed -n 's/^data: //p' "$E2E_DIR/yellow.sse" | jq -r .level)"
check_eq "access_token: the same messages as the header's" "$(ids county | tr '\n' ' ')" "$(ids url | tr '\n' ' ')"
check_eq "a message: id, event, data lines then a blank line" "id event data blank" \
  "$(awk '/^id: /{getline e; getline d; getline b; print "id", substr(e,1,6)=="event:" ? "event" : e, substr(d,1,5)=="data:" ? "data" : d, b=="" ? "blank" : b; exit}' "$E2E_DIR/county.sse")"
check_eq "event is the alert's type, data the alert" "assigned assigned" \
  "$(grep -m1 '^event: ' "$E2E_DIR/county.sse" | cut -c8-) $(sed -n 's/^data: //p' "$E2E_DIR/county.sse" | head -1 | jq -r .event)"
check_eq "no subscription, no contacts in the alert" "false false" \
  "$(sed -n 's/^data: //p' "$E2E_DIR/county.sse" | head -1 | jq -c '[has("subscription"), (tostring | test("13812341234"))]' | jq -r 'map(tostring) | join(" ")')"
check "heartbeats" wait_until 10 grep -q '^: heartbeat$' "$E2E_DIR/county.sse"
hdr() { tr -d '\r' <"$E2E_DIR/$1.headers" | awk -v h="$2" 'tolower($1)==tolower(h)":"{$1=""; sub(/^ /,""); print}'; }
check_eq "Content-Type" "text/event-stream" "$(hdr county Content-Type)"
check_eq "Cache-Control" "no-cache" "$(hdr county Cache-Control)"
check_eq "X-Accel-Buffering" "no" "$(hdr county X-Accel-Buffering)"
check_eq "Access-Control-Allow-Origin" "$ORIGIN" "$(hdr url Access-Control-Allow-Origin)"

# --- resume on instance b from the second id a showed: exactly the later ones
for i in 1 2; do post_appeal "$(appeal_json 150123100003 heating)" >/dev/null; done
check "the county's client: 6 messages" wait_until 30 has_events county 6
SECOND=$(ids county | sed -n 2p)
listen resumed "$NOTIFIER2/v1/stream?region=150123" -H "Authorization: Bearer $E2E_TOKEN" -H "Last-Event-ID: $SECOND"
check "the resumed client on b: 4 messages" wait_until 30 has_events resumed 4
check_eq "... exactly those after $SECOND, in order" "$(ids county | sed -n '3,$p' | tr '\n' ' ')" "$(ids resumed | tr '\n' ' ')"
listen resumed_arg "$NOTIFIER2/v1/stream?region=150123&last_event_id=$SECOND&access_token=viewer-secret"
check "?last_event_id= does the same" wait_until 30 has_events resumed_arg 4
check_eq "both instances accepted events" 2 \
  "$(for u in "$NOTIFIER" "$NOTIFIER2"; do curl -s "$u/metrics" | grep -E '^gridline_notifier_events_total\{result="applied"\} [1-9]'; done | wc -l)"
check "notifiers still up" sh -c "curl -sf '$NOTIFIER/healthz' >/dev/null && curl -sf '$NOTIFIER2/healthz' >/dev/null"

# --- SIGTERM with clients watching: b stops without waiting for them, and their streams end
kill -TERM "${E2E_PID[notifier]}"
gone() { ! kill -0 "$1" 2>/dev/null; }
check "SIGTERM: notifier b exits with two streams open" wait_until 20 gone "${E2E_PID[notifier]}"
check "... and its clients' connections end" wait_until 20 gone "${CLIENT[resumed]}"
check "notifier a's clients still connected" kill -0 "${CLIENT[county]}"
exit 0
