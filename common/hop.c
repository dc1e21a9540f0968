#include "hop.h"

#include <string.h>

#include "log.h"

static const char *s_names[HOP_COUNT] = {"router", "notifier", "aggregator"};

const char *hop_name(hop_t hop)
{
    return hop >= 0 && hop < HOP_COUNT ? s_names[hop] : "unknown";
}

int hop_parse(const char *name)
{
    for (int i = 0; i < HOP_COUNT; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

const char *hop_endpoint(const config_t *config, hop_t hop)
{
    switch (hop) {
    case HOP_ROUTER:
        return config->router_endpoint;
    case HOP_NOTIFIER:
        return config->notifier_endpoint;
    case HOP_AGGREGATOR:
        return config->aggregator_endpoint;
    default:
        return "";
    }
}

const char *hop_outcome_name(long long outcome)
{
    static const char *names[HOP_OUTCOME_COUNT] = {"parked", "forged",    "gone",
                                                   "stale",  "duplicate", "applied"};
    return outcome >= HOP_OUTCOME_MIN && outcome <= HOP_APPLIED ? names[outcome - HOP_OUTCOME_MIN]
                                                                : "unknown";
}

int hop_read_outcomes(rconn_t *redis, const char *script, size_t count, bool pairs,
                      long long *outcomes, uint32_t *seqs)
{
    redisReply *r = rconn_reply(redis);
    if (!r)
        return -1;
    return hop_parse_outcomes(r, script, count, pairs, outcomes, seqs);
}

int hop_parse_outcomes(redisReply *r, const char *script, size_t count, bool pairs,
                       long long *outcomes, uint32_t *seqs)
{
    size_t width = pairs ? 2 : 1;
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != width * count) {
        log_error("apply script failed", "script", script, "error",
                  r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply", NULL);
        rc = -2;
    } else {
        for (size_t i = 0; i < count; i++) {
            outcomes[i] = r->element[width * i]->integer;
            if (pairs && seqs)
                seqs[i] = (uint32_t)r->element[width * i + 1]->integer;
        }
    }
    freeReplyObject(r);
    return rc;
}
