/* registry: the subscriptions one notifier instance matches events against: the configuration's
 * and the API's (Redis {subscriptions}:entries), indexed by region prefix.
 *
 * Matching looks up each prefix of the event's region that can name a division (0, 2, 4, 6, 9
 * and 12 digits, and the grid's 14) in a sorted index: a handful of binary searches, however
 * many subscriptions there are, and no cap on how many match.
 *
 * Versions: every API change INCRs {subscriptions}:version and raises subver:{C} of every county
 * to it before it answers. The notifier passes the version it loaded to notify_accept, which
 * refuses a county's batch when subver:{C} is newer: the caller loads again and retries, so an
 * event accepted after a change answered is matched against it.
 *
 * Directory entries with a target (the configuration's and the router's API's) are
 * subscriptions too, "dir.<entry id>": alerts naming their owner go there, whatever the region,
 * indexed by owner. The notifier asks registry_directory_moved now and then (they are not
 * versioned per county). Used by one thread. */
#ifndef GRIDLINE_REGISTRY_H
#define GRIDLINE_REGISTRY_H

#include <stddef.h>

#include "config.h"
#include "rconn.h"
#include "region.h"
#include "subscription.h"

typedef struct registry registry_t;

registry_t *registry_new(void);
void registry_destroy(registry_t **self_p);
/* Loads the configuration's subscriptions and the API's from Redis (version first). On failure
 * (-1: Redis down) the previous set stays. */
int registry_load(registry_t *self, const config_t *config, const region_table_t *regions,
                  rconn_t *redis);
/* Whether the set was loaded for this configuration snapshot (a SIGHUP makes a new one). */
bool registry_current(const registry_t *self, const config_t *config);
long long registry_version(const registry_t *self);
size_t registry_count(const registry_t *self);
/* The matching subscriptions of an event into *out (grown as needed, the caller frees it);
 * returns how many, or (size_t)-1 out of memory. */
size_t registry_match(const registry_t *self, const Gridline__Event *event,
                      const subscription_t ***out, size_t *capacity);
/* Whether the directory's API entries (their targets) changed since the set was loaded (one
 * GET); the caller loads again. */
bool registry_directory_moved(registry_t *self, rconn_t *redis);
/* By id; NULL when there is none. */
const subscription_t *registry_find(const registry_t *self, const char *id);

/* For the API: the stored subscriptions' Redis steps. */
/* Stores sub (its id set) and raises every county's version. 0, -1 Redis down. */
int registry_put(rconn_t *redis, const subscription_t *sub, const char *const *counties,
                 size_t county_count);
/* Removes id. 1 removed, 0 there was none, -1 Redis down. */
int registry_remove(rconn_t *redis, const char *id, const char *const *counties,
                    size_t county_count);

#endif
