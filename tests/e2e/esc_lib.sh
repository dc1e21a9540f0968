# Helpers shared by the escalation end-to-end tests (test_escalation_*.sh), on top of lib.sh.
# Written against docs/escalation.md (issue 7). Not a test itself (tests/run.sh runs test_*.sh).
#
#   act ID ACTION JSON [curl args...]   -> "STATUS BODY"; response headers in $E2E_DIR/act.headers
#   events_of ID                        -> one line per stored event, decoded from Redis:
#                                          seq<TAB>type<TAB>level<TAB>assignee<TAB>reason_code<TAB>verdict<TAB>actor
#                                          <TAB>at_ms<TAB>deadline_ms (resolve)<TAB>ack_deadline_ms
#                                          <TAB>note<TAB>resolution<TAB>comment<TAB>solved (yes/no/"")
#   snapshot ID                         -> the appeal hash, its history length and its deadline members
#   counters_expected / counters_actual -> "field count" lines for ev:/lvl:/fb:/esc: (county rows)

COUNTY=${COUNTY:-150123}

# act ID ACTION JSON [curl args...]
act() {
  local id=$1 action=$2 body=$3
  shift 3
  local out
  out=$(mktemp "$E2E_DIR/act.XXXXXX")
  local code
  code=$(curl -s -o "$out" -D "$E2E_DIR/act.headers" -w '%{http_code}' -X POST \
    "$INTAKE/v1/appeals/$id/$action" -H "Content-Type: ${CT:-application/json}" "$@" --data-binary "$body")
  echo "$code $(tr -d '\n' <"$out")"
  rm -f "$out"
}

# code_of "STATUS BODY" / body_of "STATUS BODY"
code_of() { echo "${1%% *}"; }
body_of() { echo "${1#* }"; }

# new_appeal REGION CATEGORY CHANNEL [TITLE] [DESCRIPTION] -> the id (empty on failure)
new_appeal() {
  local region=$1 category=$2 channel=$3 title=${4:-暖气不热} description=${5:-家里暖气不热，室温只有12度}
  local body res
  body=$(jq -cn --arg r "$region" --arg c "$category" --arg ch "$channel" --arg t "$title" --arg d "$description" \
    '{channel:$ch, region:$r, category:$c, title:$t, description:$d, reporter:"138****1234"}')
  res=$(post_appeal "$body")
  [ "${res%% *}" == 201 ] && jq -r .id <<<"${res#* }"
}

hfield() { # ID FIELD: a field of the appeal hash
  rcli hget "appeal:{${1%%-*}}:$1" "$2"
}
status_is() { [ "$(hfield "$1" status)" == "$2" ]; }
level_is() { [ "$(hfield "$1" level)" == "$2" ]; }
events_len() { rcli llen "events:{${1%%-*}}:$1"; }
events_len_at_least() { [ "$(events_len "$1")" -ge "$2" ]; }

# The stored events, decoded from their protobuf bytes by a small Lua walker (no protoc here):
# Event fields 2 seq, 3 type, 4 level, 5 assignee, 6 actor, 7 at_ms, 13 deadline_ms, 15 reason_code,
# 16 note, 17 resolution, 18 verdict, 19 solved, 20 comment, 21 ack_deadline_ms.
ESC_LUA_DECODE='
local types = {[0]="unset","collected","assigned","acknowledged","escalated","resolved",
  "feedback","reopened","transferred","closed","reminded","signed","returned","reassigned",
  "arbitrated","extension_requested","extension_granted","extension_refused","urged",
  "invalidated","warned"}
local levels = {[0]="", "green","blue","yellow","red"}
local verdicts = {[0]="", "satisfied","basically_satisfied","unsatisfied","no_feedback"}
local function varint(s, i)
  local n, m = 0, 1
  while true do
    local b = s:byte(i)
    if not b then return n, i end
    i = i + 1
    n = n + (b % 128) * m
    m = m * 128
    if b < 128 then return n, i end
  end
end
local function decode(ev)
  local i, f = 1, {}
  while i <= #ev do
    local tag
    tag, i = varint(ev, i)
    local field, wt = math.floor(tag / 8), tag % 8
    if wt == 0 then
      local v
      v, i = varint(ev, i)
      f[field] = v
    elseif wt == 2 then
      local l
      l, i = varint(ev, i)
      f[field] = ev:sub(i, i + l - 1)
      i = i + l
    elseif wt == 1 then i = i + 8
    elseif wt == 5 then i = i + 4
    else break end
  end
  return {seq = f[2] or 0, type = types[f[3] or 0] or tostring(f[3]), level = levels[f[4] or 0] or tostring(f[4]),
    assignee = f[5] or "", actor = f[6] or "", reason_code = f[15] or "",
    verdict = verdicts[f[18] or 0] or tostring(f[18]),
    at_ms = f[7] or 0, deadline_ms = f[13] or 0, ack_deadline_ms = f[21] or 0,
    note = f[16] or "", resolution = f[17] or "", comment = f[20] or "",
    solved = ({[0] = "", "yes", "no"})[f[19] or 0] or tostring(f[19])}
end
'
events_of() {
  rcli eval "$ESC_LUA_DECODE"'
local out = {}
for _, raw in ipairs(redis.call("lrange", KEYS[1], 0, -1)) do
  local e = decode(raw)
  out[#out + 1] = string.format("%.0f", e.seq) .. "\t" .. e.type .. "\t" .. e.level .. "\t" ..
    e.assignee .. "\t" .. e.reason_code .. "\t" .. e.verdict .. "\t" .. e.actor .. "\t" ..
    string.format("%.0f\t%.0f\t%.0f", e.at_ms, e.deadline_ms, e.ack_deadline_ms) .. "\t" ..
    e.note .. "\t" .. e.resolution .. "\t" .. e.comment .. "\t" .. e.solved
end
return table.concat(out, "\n")' 1 "events:{${1%%-*}}:$1"
}
# event_types ID -> "collected assigned acknowledged ..."
event_types() { events_of "$1" | cut -f2 | paste -sd' '; }
# last_event ID -> the last decoded line
last_event() { events_of "$1" | tail -n 1; }
# col N LINE -> field N (1-based) of a tab-separated line
col() { cut -f"$1" <<<"$2"; }

# What must not change when an action is refused: the hash, the history length and the
# appeal's members of the deadline set (whatever their names: they contain the id).
snapshot() {
  local c=${1%%-*}
  rcli hgetall "appeal:{$c}:$1" | paste - - | sort
  echo "events $(rcli llen "events:{$c}:$1")"
  deadline_members "$1" | sort
}

# Counters the aggregator should hold, computed from every stored history of the county
# (ev:<type> every event; lvl:<level> on assigned, escalated, reopened; fb:<verdict> on closed and
# reopened with a verdict; esc:<reason_code> on escalated), one "field count" a line, sorted.
counters_expected() {
  rcli eval "$ESC_LUA_DECODE"'
local n = {}
local function add(f) n[f] = (n[f] or 0) + 1 end
for _, k in ipairs(redis.call("keys", "events:{" .. ARGV[1] .. "}:*")) do
  for _, raw in ipairs(redis.call("lrange", k, 0, -1)) do
    local e = decode(raw)
    add("ev:" .. e.type)
    if (e.type == "assigned" or e.type == "escalated" or e.type == "reopened") and e.level ~= "" then
      add("lvl:" .. e.level)
    end
    if (e.type == "closed" or e.type == "reopened") and e.verdict ~= "" then add("fb:" .. e.verdict) end
    if e.type == "escalated" and e.reason_code ~= "" then add("esc:" .. e.reason_code) end
  end
end
local out = {}
for f, c in pairs(n) do out[#out + 1] = f .. " " .. c end
table.sort(out)
return table.concat(out, "\n")' 0 "$COUNTY"
}
# The county rows of every day (a clock offset may move events to another day), summed; the
# monthly roll-ups (stats:{C}:YYYYMM:C) left out.
counters_actual() {
  rcli eval '
local n = {}
for _, k in ipairs(redis.call("keys", "stats:{" .. ARGV[1] .. "}:" .. string.rep("[0-9]", 8) .. ":" .. ARGV[1])) do
  local h = redis.call("hgetall", k)
  for i = 1, #h, 2 do
    local f = h[i]
    if f:match("^ev:") or f:match("^lvl:") or f:match("^fb:") or f:match("^esc:") then
      n[f] = (n[f] or 0) + tonumber(h[i + 1])
    end
  end
end
local out = {}
for f, c in pairs(n) do if c ~= 0 then out[#out + 1] = f .. " " .. c end end
table.sort(out)
return table.concat(out, "\n")' 0 "$COUNTY"
}
counters_match() { [ "$(counters_expected)" == "$(counters_actual)" ]; }

# check_counters: wait for the aggregator to catch up, then compare field by field
check_counters() {
  wait_until "${1:-15}" counters_match
  local exp act
  exp=$(counters_expected)
  act=$(counters_actual)
  if [ "$exp" == "$act" ]; then
    echo "ok - counters exact for every event type ($(wc -l <<<"$exp") fields)"
  else
    echo "not ok - counters exact for every event type"
    diff <(echo "$exp") <(echo "$act") | sed 's/^/#   /'
    E2E_FAILED=1
  fi
  local t
  for t in acknowledged escalated resolved closed reopened transferred reminded; do
    [ -n "${ESC_EXPECT_TYPES:-}" ] && [[ " $ESC_EXPECT_TYPES " == *" $t "* ]] || continue
    check "scenario produced $t events (so the counter check covers them)" grep -q "^ev:$t " <<<"$exp"
  done
  # every counter (cohort rates, durations, roll-ups) and the gauges, computed again
  if "$BUILD/gridctl" recount --region "$COUNTY" >"$E2E_DIR/recount.out" 2>&1; then
    echo "ok - gridctl recount --region $COUNTY: no difference"
  else
    echo "not ok - gridctl recount --region $COUNTY: no difference"
    head -n 20 "$E2E_DIR/recount.out" | sed 's/^/#   /'
    E2E_FAILED=1
  fi
}

# The alerts the sink received for one appeal: "seq event level recipient0" lines by seq, one per
# alert id (several subscriptions may match; the test configs have one per region).
alerts_of() {
  curl -s "http://127.0.0.1:$SINK_PORT/requests" |
    jq -r --arg id "$1" '[.[] | .body | select(type == "object" and .appeal_id == $id)]
      | unique_by(.id) | sort_by(.seq) | .[] | "\(.seq)\t\(.event)\t\(.level)\t\(.recipients[0] // "")"'
}
alert_for_seq() { # ID SEQ: there is an alert for that event
  alerts_of "$1" | cut -f1 | grep -qx "$2"
}

# log_has SERVICE TEXT...: one line of the service's log contains every TEXT
log_has() {
  local f="$E2E_DIR/$1.log"
  shift
  local lines
  lines=$(cat "$f")
  local t
  for t in "$@"; do lines=$(grep -F -- "$t" <<<"$lines") || return 1; done
  [ -n "$lines" ]
}
log_count() { # SERVICE TEXT
  grep -cF -- "$2" "$E2E_DIR/$1.log"
}

# The router's HTTP address
router_url() { echo "http://127.0.0.1:$GRIDLINE_ROUTER_HTTP_PORT"; }

# deadline_members ID: the appeal's members of its county's deadline set, with scores
deadline_members() {
  local c=${1%%-*}
  [ "$(rcli type "deadline:{$c}")" == zset ] || return 0
  rcli zrange "deadline:{$c}" 0 -1 withscores | paste - - | grep -F "$1"
  return 0
}
