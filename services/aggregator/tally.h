/* tally: what one event adds to the counters.
 *
 * Counters live per region and local day in stats:{C}:<day>:<region> (see keys.h), for the
 * county, township, village and (when the appeal names one) grid of the appeal. Fields:
 *   ch:<channel>     +1 on collected
 *   cat:<category>   +1 on collected
 *   lvl:<level>      +1 each time an appeal reaches a level (assigned at green, escalated)
 *   ev:<type>        +1 for every event (ev:collected is the number of appeals)
 * City and province figures are sums over their counties, made when read. */
#ifndef GRIDLINE_TALLY_H
#define GRIDLINE_TALLY_H

#include <stddef.h>

#include "event.h"
#include "keys.h"

#define TALLY_MAX 24

typedef struct {
    char key[KEYS_MAX];
    char field[64];
} tally_item_t;

/* Fills out with the (key, field) pairs to increment by one; returns how many, 0 if the
 * event's region is not a village or grid code. */
size_t tally_event(const Gridline__Event *event, tally_item_t *out, size_t max);

#endif
