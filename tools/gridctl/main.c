/* gridctl: the operator's command line.
 *
 *   gridctl appeal ID               the appeal as intake shows it
 *   gridctl stats [REGION] [DAY]    counts for a region (default the province) and local day
 *   gridctl pending                 what is in flight: outbox entries and webhook deliveries
 *                                   per county and hop, read straight from Redis
 *   gridctl deadletters             entries parked after failing to apply (deadletter:{C})
 *   gridctl replay ENTRY|all        put parked entries back into their outboxes, due now
 *   gridctl submit CHANNEL REGION CATEGORY DESCRIPTION   POST an appeal
 *   gridctl act ID ACTION [FIELD=VALUE...]   acknowledge, resolve, feedback, escalate, transfer
 *   gridctl directory list | add DEPARTMENT LEVEL REGION ASSIGNEE | rm ID
 *   gridctl supervision [REGION]    the open appeals at red, most overdue first
 *   gridctl subscriptions list | add NAME REGION URL [FIELD=VALUE...] | rm ID
 *   gridctl dead-letters SUBSCRIPTION [replay]   a subscription's dead letters; put them back
 *   gridctl token create NAME [channels=A|B] [region=P] [actions=A|B|*] [contacts=true]
 *   gridctl token list | revoke NAME
 * HTTP commands send $GRIDLINE_TOKEN as Authorization: Bearer.
 *
 * Addresses come from the same configuration as the services (--config FILE or
 * $GRIDLINE_CONFIG, then GRIDLINE_* variables). */
#include <curl/curl.h>
#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include <openssl/rand.h>
#include "config.h"
#include "jsonbuf.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"
#include "rconn.h"
#include "region.h"
#include "scripts.h"
#include "recount.h"
#include "service.h"

extern char **environ;

static const char *s_api_token; /* --token, else $GRIDLINE_TOKEN */

static void s_usage(FILE *out)
{
    fprintf(out, "usage: gridctl [--config FILE] [--token TOKEN] COMMAND ...\n\n"
                 "  appeal ID                                    show an appeal and its history\n"
                 "  stats [REGION] [YYYYMMDD]                    counts of a region and day\n"
                 "  pending                                      outbox entries and deliveries "
                 "in flight\n"
                 "  deadletters                                  entries parked after failing "
                 "to apply\n"
                 "  replay ENTRY|all                             put parked entries back "
                 "(ENTRY as deadletters lists it: HOP|ID:SEQ)\n"
                 "  submit CHANNEL REGION CATEGORY DESCRIPTION   create an appeal\n"
                 "  act ID ACTION [FIELD=VALUE...]               act on an appeal: acknowledge, "
                 "resolve,\n"
                 "                                               feedback, escalate, transfer "
                 "(actor=... required)\n"
                 "  directory list                               the routing directory\n"
                 "  directory add DEPARTMENT LEVEL REGION ASSIGNEE   add or replace an entry\n"
                 "  directory rm ID                              remove an API entry\n"
                 "  supervision [REGION]                         open appeals at red, most "
                 "overdue first\n"
                 "  subscriptions list                           the notifier's subscriptions\n"
                 "  subscriptions add NAME REGION URL [FIELD=VALUE...]   a webhook subscription\n"
                 "                                               (secret=, role=, min_level=, "
                 "quiet_hours=, ...)\n"
                 "  subscriptions rm ID                          remove an API subscription\n"
                 "  dead-letters SUBSCRIPTION [replay]           its deliveries that failed past "
                 "max_age;\n"
                 "                                               replay puts them back, due now\n"
                 "  recount [--region P] [--from YYYYMMDD] [--to YYYYMMDD]\n"
                 "                                               count again from the stored "
                 "appeals; every\n"
                 "                                               difference printed, exit 1 if "
                 "any\n"
                 "  token create NAME [channels=A|B] [region=P] [actions=A|B|*] [contacts=true] "
                 "[rate=N]\n"
                 "                                               a new API token (printed once)\n"
                 "  token list                                   the tokens (never their secrets)\n"
                 "  token revoke NAME                            revoke an API token at once\n"
                 "HTTP commands send --token, else $GRIDLINE_TOKEN, as the API token.\n");
}

static size_t s_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
    jsonbuf_appendn(arg, ptr, size * nmemb);
    return size * nmemb;
}

/* A request (method NULL: GET, or POST when body != NULL); prints the body; exit status 0 for
 * 2xx. */
static int s_request(const char *method, const char *url, const char *body)
{
    CURL *curl = curl_easy_init();
    if (!curl) {
        fprintf(stderr, "gridctl: libcurl could not make a handle\n");
        return 1;
    }
    jsonbuf_t out;
    jsonbuf_init(&out);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    const char *token = s_api_token;
    char auth[600];
    if (token && *token && headers) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %.512s", token);
        headers = curl_slist_append(headers, auth);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    if (method)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        fprintf(stderr, "gridctl: %s: %s\n", url, curl_easy_strerror(rc));
    else
        printf("%s%s", out.data ? out.data : "",
               out.len && out.data[out.len - 1] == '\n' ? "" : "\n");
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    jsonbuf_release(&out);
    return rc == CURLE_OK && status >= 200 && status < 300 ? 0 : 1;
}

static int s_http(const char *url, const char *body)
{
    return s_request(NULL, url, body);
}

/* POSTs a JSON object to url and frees it. */
static int s_post_json(const char *url, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = text ? s_http(url, text) : 1;
    free(text);
    json_decref(body);
    return rc;
}

/* FIELD=VALUE arguments as a JSON object: true/false are booleans (satisfied, solved). */
static json_t *s_fields(char **args, int n)
{
    json_t *o = json_object();
    for (int i = 0; o && i < n; i++) {
        const char *eq = strchr(args[i], '=');
        if (!eq || eq == args[i]) {
            fprintf(stderr, "gridctl: '%s' is not FIELD=VALUE\n", args[i]);
            json_decref(o);
            return NULL;
        }
        char *name = strndup(args[i], (size_t)(eq - args[i]));
        json_t *value = strcmp(eq + 1, "true") == 0    ? json_true()
                        : strcmp(eq + 1, "false") == 0 ? json_false()
                                                       : json_string(eq + 1);
        json_object_set_new(o, name ? name : "", value);
        free(name);
    }
    return o;
}

/* text %-escaped for a URL path segment or query value ("a/b" must not become two segments);
 * NULL if out of memory. The caller frees it with curl_free. */
static char *s_escape(const char *text)
{
    return curl_easy_escape(NULL, text, 0);
}

/* DELETE base/<id> (url holds the base; size is its buffer's). */
static int s_delete(char *url, size_t size, const char *id)
{
    char *escaped = s_escape(id);
    size_t len = strlen(url);
    snprintf(url + len, size - len, "/%s", escaped ? escaped : "");
    int rc = escaped ? s_request("DELETE", url, NULL) : 1;
    curl_free(escaped);
    return rc;
}

/* The region table and a Redis connection, for the commands that read Redis directly.
 * 0, or -1 (said on stderr). */
static int s_open(const config_t *cfg, region_table_t **regions, rconn_t **redis)
{
    char err[256];
    *regions = region_table_load(cfg->regions_file, err, sizeof err);
    if (!*regions) {
        fprintf(stderr, "gridctl: %s\n", err);
        return -1;
    }
    *redis = service_redis_new(cfg);
    if (!*redis) {
        fprintf(stderr, "gridctl: out of memory\n");
        region_table_destroy(regions);
        return -1;
    }
    return 0;
}

/* gridctl recount [--region P] [--from D] [--to D] */
static int s_recount(const config_t *cfg, char **args, int n)
{
    const char *region = "15", *from = NULL, *to = NULL;
    for (int i = 0; i < n; i += 2) {
        const char *v = i + 1 < n ? args[i + 1] : NULL;
        if (v && strcmp(args[i], "--region") == 0) {
            region = v;
        } else if (v && strcmp(args[i], "--from") == 0) {
            from = v;
        } else if (v && strcmp(args[i], "--to") == 0) {
            to = v;
        } else {
            fprintf(stderr, "gridctl recount: unknown argument '%s'\n", args[i]);
            return 2;
        }
    }
    region_table_t *regions;
    rconn_t *redis;
    if (s_open(cfg, &regions, &redis) != 0)
        return 1;
    const region_t *known;
    if (region_query(regions, region, &known) < 0) {
        fprintf(stderr, "gridctl recount: --region '%s' is not a known division code\n", region);
        rconn_destroy(&redis);
        region_table_destroy(&regions);
        return 2;
    }
    recount_result_t r;
    int rc = recount_run(redis, regions, region, from, to, stdout, &r);
    printf("recount %s: %lld counties, %lld appeals, %lld events, %lld keys (%lld fields) "
           "compared: %lld differences\n",
           region, r.counties, r.appeals, r.events, r.keys, r.fields, r.differences);
    rconn_destroy(&redis);
    region_table_destroy(&regions);
    return rc != 0 || r.differences ? 1 : 0;
}

/* gridctl token ...: straight to Redis ({auth}:tokens), so every instance sees it at once. */
static int s_token(const config_t *cfg, char **args, int n)
{
    region_table_t *regions = NULL;
    rconn_t *redis = NULL;
    if (n < 1 || s_open(cfg, &regions, &redis) != 0)
        return 2;
    int rc = 1;
    if (strcmp(args[0], "create") == 0 && n >= 2) {
        auth_token_t t = {.actions = ""};
        snprintf(t.name, sizeof t.name, "%s", args[1]);
        for (int i = 2; i < n; i++) {
            const char *eq = strchr(args[i], '=');
            size_t klen = eq ? (size_t)(eq - args[i]) : 0;
            if (eq && klen == 8 && strncmp(args[i], "channels", 8) == 0)
                snprintf(t.channels, sizeof t.channels, "%s", eq + 1);
            else if (eq && klen == 6 && strncmp(args[i], "region", 6) == 0)
                snprintf(t.region, sizeof t.region, "%s", eq + 1);
            else if (eq && klen == 7 && strncmp(args[i], "actions", 7) == 0)
                snprintf(t.actions, sizeof t.actions, "%s", eq + 1);
            else if (eq && klen == 8 && strncmp(args[i], "contacts", 8) == 0)
                t.contacts = strcmp(eq + 1, "true") == 0;
            else if (eq && klen == 4 && strncmp(args[i], "rate", 4) == 0)
                t.rate = atoi(eq + 1);
            else {
                fprintf(stderr,
                        "gridctl: '%s': expected channels=, region=, actions= or "
                        "contacts=\n",
                        args[i]);
                goto done;
            }
        }
        unsigned char raw[24];
        char secret[64];
        if (RAND_bytes(raw, sizeof raw) != 1)
            goto done;
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(secret + 2 * i, 3, "%02x", raw[i]);
        if (strspn(t.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                strlen(t.name) ||
            !*t.name) {
            fprintf(stderr, "gridctl: a token name is [A-Za-z0-9._-]{1,64}\n");
            goto done;
        }
        if (auth_token_put(redis, secret, &t) != 0) {
            fprintf(stderr, "gridctl: %s\n", rconn_errstr(redis));
            goto done;
        }
        printf("{\"name\":\"%s\",\"token\":\"%s\"}\n", t.name, secret);
        fprintf(stderr, "gridctl: the token is shown once; only its SHA-256 is stored\n");
        rc = 0;
    } else if (strcmp(args[0], "list") == 0 && n == 1) {
        for (size_t i = 0; i < cfg->token_count; i++)
            printf("%-24s config  channels=%s region=%s actions=%s contacts=%s\n",
                   cfg->tokens[i].name, cfg->tokens[i].channels, cfg->tokens[i].region,
                   cfg->tokens[i].actions, cfg->tokens[i].contacts ? "true" : "false");
        redisReply *r = rconn_command(redis, "HVALS " AUTH_TOKENS);
        for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
            char f[5][260] = {{0}};
            sscanf(r->element[i]->str, "%259[^\t]\t%259[^\t]\t%259[^\t]\t%259[^\t]\t%259s", f[0],
                   f[1], f[2], f[3], f[4]);
            printf("%-24s api     %s\n", f[0], r->element[i]->str + strlen(f[0]));
        }
        rc = r ? 0 : 1;
        if (r)
            freeReplyObject(r);
    } else if (strcmp(args[0], "revoke") == 0 && n == 2) {
        int k = auth_token_revoke(redis, args[1]);
        if (k == 1)
            printf("revoked %s\n", args[1]);
        else
            fprintf(stderr, "gridctl: %s\n",
                    k == 0 ? "no API token of that name" : rconn_errstr(redis));
        rc = k == 1 ? 0 : 1;
    } else {
        s_usage(stderr);
        rc = 2;
    }
done:
    rconn_destroy(&redis);
    region_table_destroy(&regions);
    return rc;
}

static int s_pending(const config_t *cfg)
{
    region_table_t *regions;
    rconn_t *redis;
    if (s_open(cfg, &regions, &redis) != 0)
        return 1;
    size_t count = 0;
    const region_t *const *counties = region_counties(regions, &count);
    static const char *hops[] = {"router", "notifier", "aggregator"};
    char key[KEYS_MAX];
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        for (int h = 0; h < 3; h++) {
            keys_outbox(key, counties[i]->code, hops[h]);
            rc |= rconn_append(redis, "ZCARD %s", key);
        }
        keys_delivery(key, counties[i]->code);
        rc |= rconn_append(redis, "ZCARD %s", key);
    }
    if (rc != 0) {
        fprintf(stderr, "gridctl: %s\n", rconn_errstr(redis));
    } else {
        long long total[4] = {0};
        printf("%-8s %-24s %8s %8s %10s %10s\n", "county", "name", "router", "notifier",
               "aggregator", "deliveries");
        for (size_t i = 0; i < count; i++) {
            long long v[4];
            for (int k = 0; k < 4; k++) {
                redisReply *r = rconn_reply(redis);
                v[k] = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
                total[k] += v[k] > 0 ? v[k] : 0;
                if (r)
                    freeReplyObject(r);
            }
            if (v[0] || v[1] || v[2] || v[3])
                printf("%-8s %-24s %8lld %8lld %10lld %10lld\n", counties[i]->code,
                       counties[i]->name, v[0], v[1], v[2], v[3]);
        }
        printf("%-8s %-24s %8lld %8lld %10lld %10lld\n", "total", "", total[0], total[1], total[2],
               total[3]);
    }
    rconn_destroy(&redis);
    region_table_destroy(&regions);
    return rc == 0 ? 0 : 1;
}

/* Every parked entry of every county: prints "ENTRY<TAB>parked at" lines, or replays them
 * (only = NULL: all; else the one named). */
static int s_deadletters(const config_t *cfg, bool replay, const char *only)
{
    region_table_t *regions;
    rconn_t *redis;
    if (s_open(cfg, &regions, &redis) != 0)
        return 1;
    int rc = 0, found = 0;
    int64_t now = clock_wall_ms();
    if (replay && only) {
        int n = outbox_replay(redis, only, now);
        if (n < 0)
            fprintf(stderr, "gridctl: cannot replay '%s': %s\n", only,
                    rconn_is_up(redis) ? "not HOP|ID:SEQ" : rconn_errstr(redis));
        else if (n == 0)
            fprintf(stderr, "gridctl: no parked entry '%s'\n", only);
        else
            printf("replayed %s\n", only);
        rconn_destroy(&redis);
        region_table_destroy(&regions);
        return n == 1 ? 0 : 1;
    }
    size_t count = 0;
    const region_t *const *counties = region_counties(regions, &count);
    char key[KEYS_MAX];
    for (size_t i = 0; i < count && rc == 0; i++) {
        keys_deadletter(key, counties[i]->code);
        rc |= rconn_append(redis, "ZRANGE %s 0 -1 WITHSCORES", key);
    }
    if (rc != 0) {
        fprintf(stderr, "gridctl: %s\n", rconn_errstr(redis));
    } else {
        redisReply **lists = calloc(count, sizeof *lists);
        for (size_t i = 0; lists && i < count; i++)
            lists[i] = rconn_reply(redis);
        for (size_t i = 0; lists && i < count; i++) {
            redisReply *r = lists[i];
            for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
                found++;
                if (!replay) {
                    char at[40];
                    clock_iso(strtoll(r->element[k + 1]->str, NULL, 10), at);
                    printf("%s\t%s\n", r->element[k]->str, at);
                } else if (outbox_replay(redis, r->element[k]->str, now) == 1) {
                    printf("replayed %s\n", r->element[k]->str);
                } else {
                    rc = 1;
                }
            }
        }
        for (size_t i = 0; lists && i < count; i++)
            if (lists[i])
                freeReplyObject(lists[i]);
        free(lists);
        if (!replay)
            fprintf(stderr, "%d parked\n", found);
    }
    rconn_destroy(&redis);
    region_table_destroy(&regions);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"help", no_argument, NULL, 'h'},
                                            {"token", required_argument, NULL, 't'},
                                            {NULL, 0, NULL, 0}};
    const char *path = getenv("GRIDLINE_CONFIG");
    s_api_token = getenv("GRIDLINE_TOKEN");
    int opt;
    while ((opt = getopt_long(argc, argv, "+c:ht:", options, NULL)) != -1) {
        if (opt == 'c') {
            path = optarg;
        } else if (opt == 't') {
            s_api_token = optarg;
        } else if (opt == 'h') {
            s_usage(stdout);
            return 0;
        } else {
            s_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        s_usage(stderr);
        return 2;
    }
    log_set_level(LOG_WARN);
    config_t *cfg = config_new();
    if (!cfg || (path && *path && config_load_file(cfg, path) != 0) ||
        config_apply_env(cfg, environ) != 0) {
        fprintf(stderr, "gridctl: configuration: %s\n", cfg ? config_errstr(cfg) : "no memory");
        config_destroy(&cfg);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *cmd = argv[optind];
    int nargs = argc - optind - 1;
    char **args = argv + optind + 1;
    char url[1024];
    int rc = 2;
    if (strcmp(cmd, "appeal") == 0 && nargs == 1) {
        char *id = s_escape(args[0]);
        snprintf(url, sizeof url, "http://%s:%d/v1/appeals/%s", cfg->bind_host,
                 cfg->intake_http_port, id ? id : "");
        rc = id ? s_http(url, NULL) : 1;
        curl_free(id);
    } else if (strcmp(cmd, "stats") == 0 && nargs <= 2) {
        char *region = s_escape(nargs >= 1 ? args[0] : "15");
        char *day = nargs == 2 ? s_escape(args[1]) : NULL;
        snprintf(url, sizeof url, "http://%s:%d/v1/stats?region=%s%s%s", cfg->bind_host,
                 cfg->aggregator_http_port, region ? region : "", day ? "&day=" : "",
                 day ? day : "");
        rc = region && (nargs < 2 || day) ? s_http(url, NULL) : 1;
        curl_free(region);
        curl_free(day);
    } else if (strcmp(cmd, "pending") == 0 && nargs == 0) {
        rc = s_pending(cfg);
    } else if (strcmp(cmd, "deadletters") == 0 && nargs == 0) {
        rc = s_deadletters(cfg, false, NULL);
    } else if (strcmp(cmd, "replay") == 0 && nargs == 1) {
        rc = s_deadletters(cfg, true, strcmp(args[0], "all") == 0 ? NULL : args[0]);
    } else if (strcmp(cmd, "submit") == 0 && nargs == 4) {
        json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "channel", args[0], "region", args[1],
                                 "category", args[2], "description", args[3]);
        snprintf(url, sizeof url, "http://%s:%d/v1/appeals", cfg->bind_host, cfg->intake_http_port);
        rc = s_post_json(url, body);
    } else if (strcmp(cmd, "act") == 0 && nargs >= 2) {
        char *id = s_escape(args[0]), *action = s_escape(args[1]);
        snprintf(url, sizeof url, "http://%s:%d/v1/appeals/%s/%s", cfg->bind_host,
                 cfg->intake_http_port, id ? id : "", action ? action : "");
        json_t *body = s_fields(args + 2, nargs - 2);
        rc = id && action && body ? s_post_json(url, body) : 1;
        curl_free(id);
        curl_free(action);
    } else if (strcmp(cmd, "directory") == 0 && nargs >= 1) {
        snprintf(url, sizeof url, "http://%s:%d/v1/directory", cfg->bind_host,
                 cfg->router_http_port);
        if (strcmp(args[0], "list") == 0 && nargs == 1) {
            rc = s_http(url, NULL);
        } else if (strcmp(args[0], "add") == 0 && nargs == 5) {
            rc = s_post_json(url, json_pack("{s:s, s:s, s:s, s:s}", "department", args[1], "level",
                                            args[2], "region", args[3], "assignee", args[4]));
        } else if (strcmp(args[0], "rm") == 0 && nargs == 2) {
            rc = s_delete(url, sizeof url, args[1]);
        } else {
            s_usage(stderr);
        }
    } else if (strcmp(cmd, "subscriptions") == 0 && nargs >= 1) {
        snprintf(url, sizeof url, "http://%s:%d/v1/subscriptions", cfg->bind_host,
                 cfg->notifier_http_port);
        if (strcmp(args[0], "list") == 0 && nargs == 1) {
            rc = s_http(url, NULL);
        } else if (strcmp(args[0], "add") == 0 && nargs >= 4) {
            json_t *body = s_fields(args + 4, nargs - 4);
            if (body) {
                json_object_set_new(body, "name", json_string(args[1]));
                json_object_set_new(body, "region", json_string(args[2]));
                json_object_set_new(body, "url", json_string(args[3]));
                /* numbers stay numbers for the API */
                const char *ints[] = {"group_wait_s", "group_interval_s"};
                for (size_t i = 0; i < 2; i++) {
                    const char *v = json_string_value(json_object_get(body, ints[i]));
                    if (v)
                        json_object_set_new(body, ints[i], json_integer(atoll(v)));
                }
            }
            rc = body ? s_post_json(url, body) : 1;
        } else if (strcmp(args[0], "rm") == 0 && nargs == 2) {
            rc = s_delete(url, sizeof url, args[1]);
        } else {
            s_usage(stderr);
        }
    } else if (strcmp(cmd, "dead-letters") == 0 && (nargs == 1 || nargs == 2)) {
        bool replay = nargs == 2 && strcmp(args[1], "replay") == 0;
        char *id = s_escape(args[0]);
        snprintf(url, sizeof url, "http://%s:%d/v1/subscriptions/%s/dead-letters%s", cfg->bind_host,
                 cfg->notifier_http_port, id ? id : "", replay ? "/replay" : "");
        if (nargs == 2 && !replay)
            s_usage(stderr);
        else
            rc = id ? (replay ? s_request("POST", url, "") : s_http(url, NULL)) : 1;
        curl_free(id);
    } else if (strcmp(cmd, "recount") == 0) {
        rc = s_recount(cfg, args, nargs);
    } else if (strcmp(cmd, "token") == 0 && nargs >= 1) {
        rc = s_token(cfg, args, nargs);
    } else if (strcmp(cmd, "supervision") == 0 && nargs <= 1) {
        char *region = s_escape(nargs == 1 ? args[0] : "15");
        snprintf(url, sizeof url, "http://%s:%d/v1/supervision?region=%s", cfg->bind_host,
                 cfg->router_http_port, region ? region : "");
        rc = region ? s_http(url, NULL) : 1;
        curl_free(region);
    } else {
        s_usage(stderr);
    }
    curl_global_cleanup();
    config_destroy(&cfg);
    return rc;
}
