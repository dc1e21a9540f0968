#include "keys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int keys_appeal(char *buf, const char *county, const char *id)
{
    return snprintf(buf, KEYS_MAX, "appeal:{%s}:%s", county, id);
}

int keys_events(char *buf, const char *county, const char *id)
{
    return snprintf(buf, KEYS_MAX, "events:{%s}:%s", county, id);
}

int keys_seq(char *buf, const char *county, const char *day)
{
    return snprintf(buf, KEYS_MAX, "seq:{%s}:%s", county, day);
}

int keys_idem(char *buf, const char *county, const char *idempotency_key)
{
    return snprintf(buf, KEYS_MAX, "idem:{%s}:%s", county, idempotency_key);
}

int keys_ext(char *buf, const char *county, const char *channel, const char *external_id)
{
    return snprintf(buf, KEYS_MAX, "ext:{%s}:%s:%s", county, channel, external_id);
}

int keys_outbox(char *buf, const char *county, const char *hop)
{
    return snprintf(buf, KEYS_MAX, "outbox:{%s}:%s", county, hop);
}

int keys_deadletter(char *buf, const char *county)
{
    return snprintf(buf, KEYS_MAX, "deadletter:{%s}", county);
}

int keys_pending(char *buf, const char *name)
{
    return snprintf(buf, KEYS_MAX, "pending:%s", name);
}

int keys_index_created(char *buf, const char *county)
{
    return snprintf(buf, KEYS_MAX, "index:{%s}:created", county);
}

int keys_supervision(char *buf, const char *county)
{
    return snprintf(buf, KEYS_MAX, "supervision:{%s}", county);
}

int keys_deadline(char *buf, const char *county)
{
    return snprintf(buf, KEYS_MAX, "deadline:{%s}", county);
}

int keys_delivery(char *buf, const char *county)
{
    return snprintf(buf, KEYS_MAX, "delivery:{%s}", county);
}

int keys_delivery_body(char *buf, const char *county)
{
    return snprintf(buf, KEYS_MAX, "delivery:{%s}:body", county);
}

int keys_subscription_version(char *buf, const char *county)
{
    return snprintf(buf, KEYS_MAX, "subver:{%s}", county);
}

int keys_stats(char *buf, const char *county, const char *day, const char *region)
{
    return snprintf(buf, KEYS_MAX, "stats:{%s}:%s:%s", county, day, region);
}

int keys_county_of_id(const char *id, char county[7])
{
    for (int i = 0; i < 6; i++)
        if (!isdigit((unsigned char)id[i]))
            return -1;
    if (id[6] != '-')
        return -1;
    memcpy(county, id, 6);
    county[6] = '\0';
    return 0;
}

int keys_check_id(const char *id)
{
    char county[7];
    if (keys_county_of_id(id, county) != 0)
        return -1;
    const char *p = id + 7;
    for (int i = 0; i < 8; i++, p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    if (*p++ != '-')
        return -1;
    size_t digits = 0;
    for (; isdigit((unsigned char)*p); p++)
        digits++;
    return (*p == '\0' && digits >= 6 && digits <= 12) ? 0 : -1;
}
