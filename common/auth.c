#include "auth.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "scripts.h"

const char *auth_secret(const http_request_t *req)
{
    const char *h = http_request_header(req, "Authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0 && h[7])
        return h + 7;
    h = http_request_header(req, "X-Api-Key");
    return h && *h ? h : NULL;
}

void auth_hash(const char *secret, char out[65])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)secret, strlen(secret), digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void s_fill(auth_token_t *t, const char *name, const char *channels, const char *region,
                   const char *actions, bool contacts)
{
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->channels, sizeof t->channels, "%s", channels);
    snprintf(t->region, sizeof t->region, "%s", region);
    snprintf(t->actions, sizeof t->actions, "%s", actions);
    t->contacts = contacts;
}

/* "<name>\t<channels>\t<region>\t<actions>\t<0|1>[\t<rate>]" */
static int s_parse(const char *text, auth_token_t *t)
{
    char copy[1024], *parts[5] = {0}, *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    char *p = copy;
    for (int i = 0; i < 5; i++) {
        parts[i] = p;
        char *tab = strchr(p, '\t');
        if (!tab && i < 4)
            return -1;
        if (tab) {
            *tab = '\0';
            p = tab + 1;
        }
    }
    (void)save;
    int rate = p != parts[4] ? atoi(p) : 0; /* a sixth field: the rate */
    s_fill(t, parts[0], parts[1], parts[2], parts[3], strcmp(parts[4], "1") == 0);
    t->rate = rate;
    return 0;
}

auth_result_t auth_lookup(const config_t *config, rconn_t *redis, const char *secret,
                          auth_token_t *out)
{
    memset(out, 0, sizeof *out);
    if (!secret || !*secret) {
        if (config->auth_required)
            return AUTH_MISSING;
        s_fill(out, "anonymous", "", "", "*", true);
        return AUTH_OK;
    }
    char sha[65];
    auth_hash(secret, sha);
    for (size_t i = 0; i < config->token_count; i++) {
        const config_token_t *t = &config->tokens[i];
        if (strcmp(t->sha256, sha) == 0) {
            s_fill(out, t->name, t->channels, t->region, t->actions, t->contacts);
            out->rate = t->rate;
            return AUTH_OK;
        }
    }
    if (!redis)
        return AUTH_UNKNOWN;
    redisReply *r = rconn_command(redis, "HGET " AUTH_TOKENS " %s", sha);
    if (!r)
        return AUTH_UNAVAILABLE;
    auth_result_t rc =
        r->type == REDIS_REPLY_STRING && s_parse(r->str, out) == 0 ? AUTH_OK : AUTH_UNKNOWN;
    freeReplyObject(r);
    return rc;
}

/* Whether item is one of the '|'-separated list ("" in list: every item). */
static bool s_listed(const char *list, const char *item, bool empty_means_all)
{
    if (!*list)
        return empty_means_all;
    if (strcmp(list, "*") == 0)
        return true;
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return true;
        p += len + (bar ? 1 : 0);
    }
    return false;
}

bool auth_allows_channel(const auth_token_t *t, const char *channel)
{
    return s_listed(t->channels, channel ? channel : "", true);
}

bool auth_allows_region(const auth_token_t *t, const char *region)
{
    return region && strncmp(region, t->region, strlen(t->region)) == 0;
}

bool auth_allows_action(const auth_token_t *t, const char *action)
{
    return s_listed(t->actions, action ? action : "", false);
}

int auth_rate(const config_t *config, rconn_t *redis, const auth_token_t *t)
{
    int rate = t->rate ? t->rate : config->auth_rate;
    if (rate <= 0 || !redis)
        return 0;
    char key[160], limit[16];
    snprintf(key, sizeof key, "{auth}:rate:%s:%lld", t->name, (long long)(clock_wall_ms() / 1000));
    snprintf(limit, sizeof limit, "%d", rate);
    const char *args[] = {key, limit};
    redisReply *r = rconn_eval(redis, &scripts_auth_rate, 1, 2, args, NULL);
    if (!r)
        return -1;
    int over = r->type == REDIS_REPLY_INTEGER && r->integer > rate;
    freeReplyObject(r);
    return over;
}

int auth_request(const config_t *config, rconn_t *redis, const http_request_t *req,
                 http_response_t *res, auth_token_t *out)
{
    switch (auth_lookup(config, redis, auth_secret(req), out)) {
    case AUTH_OK: {
        int over = auth_rate(config, redis, out);
        if (over == 0)
            return 0;
        if (over > 0) {
            http_response_error(res, 429, "rate_limited", "Authorization",
                                "token '%s' is over its %d requests a second; slow down", out->name,
                                out->rate ? out->rate : config->auth_rate);
            http_response_header(res, "Retry-After", "1");
            return -1;
        }
        http_response_error(res, 503, "unavailable", NULL, "%s; try again shortly",
                            rconn_errstr(redis));
        http_response_header(res, "Retry-After", "1");
        return -1;
    }
    case AUTH_MISSING:
        http_response_error(res, 401, "unauthorized", "Authorization",
                            "a token is required: Authorization: Bearer <token> or X-Api-Key");
        http_response_header(res, "WWW-Authenticate", "Bearer");
        return -1;
    case AUTH_UNKNOWN:
        http_response_error(res, 401, "unauthorized", "Authorization", "unknown or revoked token");
        http_response_header(res, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        return -1;
    default:
        http_response_error(res, 503, "unavailable", NULL,
                            "cannot check the token now (%s); try again shortly",
                            redis ? rconn_errstr(redis) : "no redis connection");
        http_response_header(res, "Retry-After", "1");
        return -1;
    }
}

void auth_forbid(http_response_t *res, const auth_token_t *t, const char *field, const char *what)
{
    http_response_error(res, 403, "forbidden", field, "token '%s' may not %s", t->name, what);
}

int auth_host(const config_t *config, const http_request_t *req, http_response_t *res)
{
    const char *host = http_request_header(req, "Host");
    if (!host)
        return 0;
    char name[256];
    if (host[0] == '[') { /* [::1]:8080 */
        const char *end = strchr(host, ']');
        snprintf(name, sizeof name, "%.*s", end ? (int)(end - host + 1) : 0, host);
    } else {
        snprintf(name, sizeof name, "%.*s", (int)strcspn(host, ":"), host);
    }
    bool ok;
    if (*config->allowed_hosts)
        ok = s_listed(config->allowed_hosts, name, false);
    else
        ok = strcasecmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0 ||
             strcmp(name, config->bind_host) == 0;
    if (ok)
        return 0;
    http_response_error(res, 421, "misdirected_host", "Host",
                        "this service does not answer for host '%.60s' (http.allowed_hosts)", name);
    return -1;
}

int auth_token_put(rconn_t *redis, const char *secret, const auth_token_t *t)
{
    char sha[65], value[1024];
    auth_hash(secret, sha);
    snprintf(value, sizeof value, "%s\t%s\t%s\t%s\t%d\t%d", t->name, t->channels, t->region,
             t->actions, t->contacts ? 1 : 0, t->rate);
    const char *args[] = {AUTH_TOKENS, AUTH_NAMES, "put", t->name, sha, value};
    redisReply *r = rconn_eval(redis, &scripts_auth_token, 2, 6, args, NULL);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 0 : -1;
    freeReplyObject(r);
    return rc;
}

int auth_token_revoke(rconn_t *redis, const char *name)
{
    const char *args[] = {AUTH_TOKENS, AUTH_NAMES, "revoke", name};
    redisReply *r = rconn_eval(redis, &scripts_auth_token, 2, 4, args, NULL);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    freeReplyObject(r);
    return rc;
}
