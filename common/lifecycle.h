/* lifecycle: what one step of an appeal's life changes, decided from its state.
 *
 * Every writer after intake's collection decides here: the router's first assignment and what
 * time drives (a missed clock escalates below red and reminds at red), and intake's actions
 * (acknowledge, resolve, feedback, escalate, transfer). lifecycle_decide checks the action
 * against the status (appeal_transition), picks the new level and owner (routing.h), sets the
 * clocks, and packs the event; the caller applies lifecycle_step_t.change with appeal_advance,
 * which applies it only while the appeal is still at the seq it was decided on.
 *
 * Clocks (deadline:{C} members "<id>|ack" and "<id>|resolve"):
 *   assign, escalate, reopen  both clocks of the new level start now
 *   acknowledge               stops the acknowledge clock
 *   resolve                   stops both (and leaves the supervision list)
 *   transfer                  the acknowledge clock restarts; the resolve clock runs on
 *   remind (red)              the acknowledge clock stops; the resolve clock fires again
 *                             ladder.red.remind later, until the appeal is resolved (the
 *                             reminded event's deadline_ms says when; the hash keeps the
 *                             level's resolve deadline)
 * An appeal at red and open is on the supervision list (supervision:{C}, by resolve deadline). */
#ifndef GRIDLINE_LIFECYCLE_H
#define GRIDLINE_LIFECYCLE_H

#include <stdint.h>

#include "appeal.h"
#include "config.h"
#include "directory.h"
#include "routing.h"

typedef struct {
    appeal_action_t action;
    const char *actor;       /* required: who ("router" for time) */
    const char *token;       /* the API token's name, or NULL */
    const char *note;        /* or NULL */
    const char *reason;      /* free text, or NULL */
    const char *reason_code; /* ack_overdue, resolve_overdue, manual, ... or NULL */
    const char *resolution;  /* resolve */
    const char *comment;     /* feedback */
    const char *department;  /* transfer: a department, or a category meaning its department */
    Gridline__Verdict verdict;
    Gridline__Answer solved;
    Gridline__Level level; /* assign: the starting level (unset: green) */
    int64_t until_ms;      /* request_extension (required), grant_extension (0: the requested) */
    const char *feedback_channel; /* feedback: phone | sms, or NULL */
    bool complex;                 /* sign, reassign: a complex order (workorder.complex_resolve) */
} lifecycle_input_t;

typedef enum {
    LIFECYCLE_OK = 0,
    LIFECYCLE_NOT_ASSIGNED,       /* still collected: the router has not assigned it yet */
    LIFECYCLE_INVALID_STATE,      /* the action is not allowed from the status (or level) */
    LIFECYCLE_UNKNOWN_DEPARTMENT, /* transfer to a name that is no department or category */
    LIFECYCLE_NO_MEMORY,
} lifecycle_result_t;

typedef struct {
    appeal_status_t status; /* after */
    Gridline__Level level;
    char assignee[ROUTING_ASSIGNEE_MAX];
    char department[65];
    int64_t ack_deadline_ms; /* after; 0: the clock does not run */
    int64_t resolve_deadline_ms;
    uint32_t seq;
    uint8_t *event; /* packed, malloc'd */
    size_t event_len;
    appeal_change_t change; /* for appeal_advance; points into this struct */
    const char *fields[32];
    char text[8][24]; /* numbers of the fields */
} lifecycle_step_t;

/* Decides action on the appeal in state at now. LIFECYCLE_OK with out filled (release it with
 * lifecycle_step_fini), or why not (out then holds nothing to release). */
lifecycle_result_t lifecycle_decide(const config_t *config, const directory_t *directory,
                                    const appeal_state_t *state, const lifecycle_input_t *input,
                                    int64_t now_ms, lifecycle_step_t *out);
void lifecycle_step_fini(lifecycle_step_t *step);
/* The status an event leaves its appeal in (for answers built from a stored event); -1 when
 * the event does not tell (reminded: unchanged). */
int lifecycle_status_after(const Gridline__Event *event);

#endif
