#!/usr/bin/env bash
# The ZeroMQ gateway (intake.gateway_port): thousands of protobuf submissions in flight on one
# DEALER connection, each answered once its appeal is in Redis; every answered id stored
# exactly once, assigned by the router and counted by the aggregator. A repeated
# idempotency_key answers "replayed" with the same id; a refused submission names the field
# and stores nothing; junk frames leave intake up.
source "$(dirname "$0")/lib.sh"
N=${N:-5000}
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services
SEED=4242

"$BUILD/gridline-loadgen" --gateway "$GATEWAY" --count "$N" --concurrency "$N" --prefix 150123 \
  --seed $SEED --idempotency --quiet --json --replies "$E2E_DIR/replies" >"$E2E_DIR/loadgen.json"
check "loadgen: every submission answered without error" test $? -eq 0
echo "# $(cat "$E2E_DIR/loadgen.json")"
check_eq "one reply per submission" "$N" "$(wc -l <"$E2E_DIR/replies")"
check_eq "every reply names its own submission" "$N" "$(cut -d' ' -f1 "$E2E_DIR/replies" | sort -un | wc -l)"
check_eq "every one created" "$N" "$(awk '$2 == "created"' "$E2E_DIR/replies" | wc -l)"
cut -d' ' -f3 "$E2E_DIR/replies" | sort >"$E2E_DIR/answered"
check_eq "every answered id distinct" "$N" "$(sort -u "$E2E_DIR/answered" | wc -l)"
rcli --scan --pattern 'appeal:*' | sed 's/^appeal:{[0-9]*}://' | sort >"$E2E_DIR/stored"
check "the answered ids are exactly the stored appeals" cmp -s "$E2E_DIR/answered" "$E2E_DIR/stored"
check "every appeal assigned" wait_until 60 all_assigned "$N"
check_eq "assigned exactly once" 0 "$(histories_not_assigned_once)"
check "counted exactly once" wait_until 30 stat_is 150123 .appeals "$N"
check "assignments counted" wait_until 30 stat_is 150123 .by_event.assigned "$N"

# the same seed and keys again: the first 20 submissions, each answered "replayed" with its id
"$BUILD/gridline-loadgen" --gateway "$GATEWAY" --count 20 --concurrency 20 --prefix 150123 \
  --seed $SEED --idempotency --quiet --replies "$E2E_DIR/again" >/dev/null
check_eq "a repeated idempotency_key answers replayed" 20 "$(awk '$2 == "replayed"' "$E2E_DIR/again" | wc -l)"
check_eq "... with the same id" "$(sort -n "$E2E_DIR/replies" | head -n 20 | cut -d' ' -f3)" \
  "$(sort -n "$E2E_DIR/again" | cut -d' ' -f3)"
check_eq "and stores nothing" "$N" "$(appeal_count)"

GW="$BUILD/tests/tools/gwsend"
out=$("$GW" "$GATEWAY" bad-1 hotline 150123999999 heating "暖气不热")
check_eq "an unknown region is refused naming the field" "bad-1 - - unknown_region appeal.region" "$out"
out=$("$GW" "$GATEWAY" bad-2 hotline 150123100201 no-such-category "暖气不热")
check_eq "an unknown category is refused naming the field" "bad-2 - - unknown_category appeal.category" "$out"
out=$("$GW" "$GATEWAY" bad-3 hotline 150123100201 heating "暖气不热" $'bad\x01key')
check_eq "a bad idempotency_key is refused" "bad-3 - - invalid idempotency_key" "$out"
out=$("$GW" "$GATEWAY" bad-4 hotline 150123100201 heating "")
check_eq "an empty description is refused" "bad-4 - - missing appeal.description" "$out"
check_eq "refusals store nothing" "$N" "$(appeal_count)"
# field 4 (request_id "j1") readable, then a truncated field 1: answered bad_frame
out=$("$GW" --junk 22026a310a05ffff "$GATEWAY")
check_eq "a broken frame with a request_id answers bad_frame" "j1 - - bad_frame -" "$out"
out=$("$GW" --junk 5a5a5a5a5a5a5a5a "$GATEWAY")
check_eq "junk without a request_id is dropped" "noreply" "$out"
out=$("$GW" --junk "" "$GATEWAY")
check_eq "an empty frame is refused (no appeal)" "- - - missing appeal" "$out"
metric() { curl -s "$INTAKE/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
check_eq "the dropped frame is counted" 1 "$(metric 'gridline_intake_gateway_total{result="dropped"}')"
check "intake still up" curl -sf "$INTAKE/healthz"
out=$("$GW" "$GATEWAY" ok-1 web 150123100201 heating "暖气还是不热")
check "and still storing" grep -q "^ok-1 created 150123-" <<<"$out"
check_eq "one more appeal" $((N + 1)) "$(appeal_count)"
rcli script flush >/dev/null
out=$("$GW" "$GATEWAY" ok-2 web 150123100201 heating "SCRIPT FLUSH 之后")
check "after SCRIPT FLUSH a submission is still stored (the batch is sent again)" grep -q "^ok-2 created 150123-" <<<"$out"
check_eq "once" $((N + 2)) "$(appeal_count)"
# the token: none, or one limited to another county, is refused naming it; nothing stored
before=$(appeal_count)
GRIDLINE_TOKEN= "$GW" "$GATEWAY" t-none hotline 150123100001 heating "无令牌" >"$E2E_DIR/t1.out" 2>&1
check "no token: unauthorized, naming the token" grep -q 'unauthorized.*token' "$E2E_DIR/t1.out"
e2e_token_add gw-other gw-other-secret "" 150203 "" 0
GRIDLINE_TOKEN=gw-other-secret "$GW" "$GATEWAY" t-other hotline 150123100001 heating "别县令牌" >"$E2E_DIR/t2.out" 2>&1
check "another county's token: forbidden, naming appeal.region" grep -q 'forbidden.*appeal.region' "$E2E_DIR/t2.out"
check_eq "... and nothing stored" "$before" "$(appeal_count)"
exit 0
