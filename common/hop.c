#include "hop.h"

#include <string.h>

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
