#!/usr/bin/env bash
# Working-day clocks (issue 11): a ladder in working days ("1wd", "5wd") with real processes, every
# clock set by clock.offset_ms to the Friday before the 2026 Spring Festival (02-15..02-23 off,
# Sat 02-14 a make-up working day). The router sets the deadlines at 24:00 local time (+08:00) of
# the N-th working day after the start day; a router whose clock has passed local midnight
# escalates, and the next level's 1wd clock, started on a holiday, ends on the first working day
# after the festival; a clock started the day before the National Day week ends after it, the
# make-up Saturday counted. SIGHUP rereads the calendar file: a broken one is refused (the line named)
# and the old one stays; a changed one moves the next deadlines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esc_lib.sh"
export GRIDLINE_LADDER_GREEN_ACK=1wd GRIDLINE_LADDER_GREEN_RESOLVE=5wd GRIDLINE_LADDER_BLUE_ACK=1wd
CAL="$E2E_DIR/calendar.csv"
cp "$E2E_ROOT/data/calendar-cn.csv" "$CAL"
export GRIDLINE_CALENDAR_FILE=$CAL

count_type() { events_of "$1" | cut -f2 | grep -cx "$2"; }
type_count_at_least() { [ "$(count_type "$1" "$2")" -ge "$3" ]; }
ms_of() { echo "$(date -u -d "$1" +%s)000"; }
# the offset that puts a process's clock at the instant $1 now
offset_to() { echo $(($(ms_of "$1") - $(date +%s%3N))); }

T0=2026-02-13T02:00:00Z                         # Fri 2026-02-13 10:00 +08:00
SAT_END=$(ms_of 2026-02-14T16:00:00Z)           # 24:00 +08:00 at the end of Sat 02-14 (make-up)
FRI_27_END=$(ms_of 2026-02-27T16:00:00Z)        # 5wd: 02-14, 24, 25, 26, 27
TUE_24_END=$(ms_of 2026-02-24T16:00:00Z)        # the first working day after the festival

e2e_start_redis
e2e_configure
export GRIDLINE_CLOCK_OFFSET_MS=$(offset_to $T0)
e2e_start_services

echo "# --- 1wd / 5wd deadlines at local midnight, across the make-up Saturday and the festival"
a=$(new_appeal 150123100201 heating hotline)
check "assigned" wait_until 10 status_is "$a" assigned
check_eq "ack deadline: 24:00 +08:00 on Sat 02-14 (1wd)" "$SAT_END" "$(hfield "$a" ack_deadline_ms)"
check_eq "resolve deadline: 24:00 +08:00 on Fri 02-27 (5wd)" "$FRI_27_END" "$(hfield "$a" resolve_deadline_ms)"
check_eq "the assigned event says the same" "$FRI_27_END $SAT_END" \
  "$(events_of "$a" | awk -F'\t' '$2 == "assigned" {print $9, $10}')"
check "--print-config shows the clocks as written" \
  bash -c "'$BUILD/gridline-router' --print-config | grep -qx 'ladder.green.resolve = 5wd'"

echo "# --- SIGHUP: a broken calendar file is refused, the old one stays"
printf '2026-02-20,holliday,春节\n' >>"$CAL"
kill -HUP "${E2E_PID[router]}"
line=$(wc -l <"$CAL")
check "refused, naming the file and line" wait_until 10 log_has router "configuration refused" \
  "calendar.file: $CAL:$line: kind"
b=$(new_appeal 150123100201 heating hotline)
check "assigned" wait_until 10 status_is "$b" assigned
check_eq "the old calendar still counts Sat 02-14" "$SAT_END" "$(hfield "$b" ack_deadline_ms)"

echo "# --- SIGHUP: a changed calendar file moves the next deadlines"
grep -v -e '^2026-02-14,' -e holliday "$E2E_ROOT/data/calendar-cn.csv" >"$CAL"
kill -HUP "${E2E_PID[router]}"
check "reloaded" wait_until 10 bash -c "[ \$(grep -c 'configuration reloaded' '$E2E_DIR/router.log') -ge 1 ]"
c=$(new_appeal 150123100201 heating hotline)
check "assigned" wait_until 10 status_is "$c" assigned
check_eq "02-14 no longer a working day: 1wd ends on Tue 02-24" "$TUE_24_END" "$(hfield "$c" ack_deadline_ms)"
check_eq "the earlier appeal keeps its deadline" "$SAT_END" "$(hfield "$a" ack_deadline_ms)"
cp "$E2E_ROOT/data/calendar-cn.csv" "$CAL"

echo "# --- past local midnight: the 1wd clock is due; blue's 1wd, started in the festival, ends 02-24"
e2e_kill router
e2e_start_service router GRIDLINE_CLOCK_OFFSET_MS="$(offset_to 2026-02-14T16:00:05Z)"
check "escalated on its acknowledge clock" wait_until 10 type_count_at_least "$a" escalated 1
check_eq "blue, ack_overdue" "blue ack_overdue" \
  "$(events_of "$a" | awk -F'\t' '$2 == "escalated" {print $3, $5}' | head -n 1)"
check_eq "blue's ack deadline: 24:00 +08:00 on Tue 02-24" "$TUE_24_END" "$(hfield "$a" ack_deadline_ms)"

echo "# --- the National Day week: 10-01..10-07 off, Sat 10-10 a make-up working day"
e2e_kill router
e2e_start_service router GRIDLINE_CLOCK_OFFSET_MS="$(offset_to 2026-09-30T02:00:00Z)" # Wed 10:00 +08:00
n=$(new_appeal 150123100201 heating hotline)
check "assigned" wait_until 10 status_is "$n" assigned
check_eq "ack deadline: 24:00 +08:00 on Thu 10-08, the first working day after the week (1wd)" \
  "$(ms_of 2026-10-08T16:00:00Z)" "$(hfield "$n" ack_deadline_ms)"
check_eq "resolve deadline: 24:00 +08:00 on Tue 10-13 (5wd: 10-08, 09, the make-up 10, 12, 13)" \
  "$(ms_of 2026-10-13T16:00:00Z)" "$(hfield "$n" resolve_deadline_ms)"
exit 0
