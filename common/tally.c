#include "tally.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "hop.h"
#include "log.h"
#include "scripts.h"

const long tally_bucket_bounds[TALLY_BUCKETS - 1] = {
    60,    300,    900,    1800,   3600,   7200,    14400,   28800,
    43200, 86400L, 172800, 259200, 432000, 604800L, 1209600, 2592000};

const char *tally_bucket(int64_t seconds)
{
    static const char *names[TALLY_BUCKETS] = {
        "60",    "300",    "900",    "1800",   "3600",   "7200",    "14400",   "28800", "43200",
        "86400", "172800", "259200", "432000", "604800", "1209600", "2592000", "inf"};
    for (size_t i = 0; i < TALLY_BUCKETS - 1; i++)
        if (seconds <= tally_bucket_bounds[i])
            return names[i];
    return names[TALLY_BUCKETS - 1];
}

static void s_field(tally_t *t, const char *prefix, const char *name)
{
    if (t->nfields < TALLY_FIELDS)
        snprintf(t->fields[t->nfields++], sizeof t->fields[0], "%s%.50s", prefix, name);
}

static void s_slot_field(tally_t *t, const char *prefix, const char *name)
{
    if (t->nslot_fields < TALLY_SLOT_FIELDS)
        snprintf(t->slot_fields[t->nslot_fields++], sizeof t->slot_fields[0], "%s%s", prefix, name);
}

int tally_event(const Gridline__Event *e, tally_t *t)
{
    memset(t, 0, sizeof *t);
    const char *region = e->region ? e->region : "";
    size_t len = strlen(region);
    if (len != 12 && len != 14)
        return -1;
    static const int cuts[4] = {6, 9, 12, 14};
    t->nregions = len == 14 ? 4 : 3;
    for (size_t i = 0; i < t->nregions; i++)
        snprintf(t->regions[i], sizeof t->regions[i], "%.*s", cuts[i], region);
    clock_day(e->at_ms, t->day);
    snprintf(t->month, sizeof t->month, "%.6s", t->day);
    t->seq = e->seq;

    Gridline__EventType type = e->type;
    if (type == GRIDLINE__EVENT_TYPE__EVENT_COLLECTED) {
        s_field(t, "ch:", e->channel ? e->channel : "");
        s_field(t, "cat:", e->category ? e->category : "");
    }
    if ((type == GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED ||
         type == GRIDLINE__EVENT_TYPE__EVENT_ESCALATED ||
         type == GRIDLINE__EVENT_TYPE__EVENT_REOPENED) &&
        e->level)
        s_field(t, "lvl:", event_level_name(e->level));
    if (type == GRIDLINE__EVENT_TYPE__EVENT_ESCALATED) {
        if (e->reason_code && *e->reason_code)
            s_field(t, "esc:", e->reason_code);
        if (e->level)
            s_field(t, "escl:", event_level_name(e->level));
    }
    if (e->verdict)
        s_field(t, "fb:", event_verdict_name(e->verdict));
    if (type == GRIDLINE__EVENT_TYPE__EVENT_RETURNED && e->department && *e->department)
        s_field(t, "ret:", e->department);
    s_field(t, "ev:", event_type_name(type));

    if (e->assigned_at_ms <= 0)
        return 0;
    clock_day(e->assigned_at_ms, t->cohort_day);
    snprintf(t->cohort_month, sizeof t->cohort_month, "%.6s", t->cohort_day);
    int64_t took_s = (e->at_ms - e->assigned_at_ms) / 1000;
    switch (type) {
    case GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED:
        t->slot = "agg_asg";
        s_slot_field(t, "r:assigned", "");
        break;
    case GRIDLINE__EVENT_TYPE__EVENT_INVALIDATED:
        t->slot = "agg_inv";
        s_slot_field(t, "r:invalid", "");
        break;
    case GRIDLINE__EVENT_TYPE__EVENT_SIGNED:
    case GRIDLINE__EVENT_TYPE__EVENT_ACKNOWLEDGED:
        t->slot = "agg_ack";
        s_slot_field(t, "r:ack", "");
        if (e->on_time)
            s_slot_field(t, "r:ack_on_time", "");
        s_slot_field(t, "dack:", tally_bucket(took_s < 0 ? 0 : took_s));
        break;
    case GRIDLINE__EVENT_TYPE__EVENT_RESOLVED:
        t->slot = "agg_res";
        s_slot_field(t, "r:res", "");
        if (e->on_time)
            s_slot_field(t, "r:res_on_time", "");
        s_slot_field(t, "dres:", tally_bucket(took_s < 0 ? 0 : took_s));
        break;
    case GRIDLINE__EVENT_TYPE__EVENT_CLOSED:
    case GRIDLINE__EVENT_TYPE__EVENT_REOPENED:
        if (!e->verdict || e->verdict == GRIDLINE__VERDICT__VERDICT_NO_FEEDBACK)
            break; /* not a resident's feedback: out of the rates */
        t->slot = "agg_fb";
        t->slot_latest = true;
        s_slot_field(t, "r:fb", "");
        bool sat = e->verdict == GRIDLINE__VERDICT__VERDICT_SATISFIED ||
                   e->verdict == GRIDLINE__VERDICT__VERDICT_BASICALLY_SATISFIED;
        if (sat)
            s_slot_field(t, "r:fb_sat", "");
        /* solved: the resident's word; when not given, not unsatisfied (not reopened) */
        bool solved = e->solved == GRIDLINE__ANSWER__ANSWER_YES ||
                      (e->solved == GRIDLINE__ANSWER__ANSWER_UNSET &&
                       e->verdict != GRIDLINE__VERDICT__VERDICT_UNSATISFIED);
        if (solved)
            s_slot_field(t, "r:fb_solved", "");
        break;
    default:
        break;
    }
    return 0;
}

int tally_apply_append(rconn_t *redis, argv_t *a, const char *county, int64_t now_ms,
                       const tally_event_t *events, size_t count)
{
    char key[KEYS_MAX];
    keys_outbox(key, county, hop_name(HOP_AGGREGATOR));
    argv_reset(a);
    argv_add(a, key);
    argv_add(a, county);
    argv_add_int(a, HOP_MAX_TRIES);
    argv_add_int(a, now_ms);
    argv_add_int(a, (long long)count);
    for (size_t i = 0; i < count; i++) {
        const tally_event_t *e = &events[i];
        const tally_t *t = e->tally;
        argv_add(a, e->member);
        argv_addn(a, e->received, e->received_len);
        argv_add(a, e->appeal_id);
        argv_add_int(a, (long long)t->nregions);
        for (size_t k = 0; k < t->nregions; k++)
            argv_add(a, t->regions[k]);
        argv_add(a, t->day);
        argv_add(a, t->month);
        argv_add_int(a, (long long)t->nfields);
        for (size_t k = 0; k < t->nfields; k++)
            argv_add(a, t->fields[k]);
        argv_add(a, t->cohort_day);
        argv_add(a, t->cohort_month);
        argv_add(a, t->slot ? t->slot : "");
        argv_add(a, t->slot_latest ? "max" : "min");
        argv_add_int(a, (long long)t->seq);
        char joined[TALLY_SLOT_FIELDS * 25] = "";
        size_t used = 0;
        for (size_t k = 0; k < t->nslot_fields; k++)
            used += (size_t)snprintf(joined + used, sizeof joined - used, "%s%s", k ? "," : "",
                                     t->slot_fields[k]);
        argv_add_copy(a, joined, used); /* joined is this loop's: copied */
    }
    if (a->failed)
        return -1;
    return rconn_append_eval(redis, &scripts_stats_apply, 1, (int)a->count, a->args, a->lens);
}

int tally_apply_read(rconn_t *redis, size_t count, long long *outcomes)
{
    return hop_read_outcomes(redis, scripts_stats_apply.name, count, false, outcomes, NULL);
}
