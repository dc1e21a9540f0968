/* action: one request to act on an appeal (POST /v1/appeals/{id}/<action>), read from its JSON
 * body into a lifecycle_input_t.
 *
 *   every action  actor (required, <= 100 characters), note (<= 2000)
 *   acknowledge   -
 *   resolve       resolution (required, <= 2000): what the resident is told
 *   feedback      verdict: satisfied | basically_satisfied | unsatisfied, or satisfied:
 *                 true/false as a shorthand (one of the two); solved: true/false (optional);
 *                 comment (<= 2000)
 *   escalate      reason (required, <= 500)
 *   transfer      department (required: a department, or a category meaning its department),
 *                 reason (<= 500)
 * Anything else in the body is refused, naming the field. */
#ifndef GRIDLINE_ACTION_H
#define GRIDLINE_ACTION_H

#include <stddef.h>

#include "lifecycle.h"
#include "rules.h"

typedef struct action action_t;

/* NULL with err filled: an unknown action name is 404 not_found, a body error 400. */
action_t *action_parse(const char *name, const char *body, size_t len, rules_error_t *err);
void action_destroy(action_t **self_p);
/* What to decide (strings owned by the action). */
const lifecycle_input_t *action_input(const action_t *self);
/* The name as requested ("feedback"). */
const char *action_name(const action_t *self);

#endif
