/* auth: who is asking. One check for every service's API.
 *
 * A request names its token with "Authorization: Bearer <token>", "X-Api-Key: <token>" or (Open311)
 * an api_key argument. Tokens are known by the SHA-256 of their secret only, from two places:
 *  - the configuration's `tokens` list (name, sha256, channels, region, actions, contacts);
 *  - Redis, {auth}:tokens (sha256 -> "<name>\t<channels>\t<region>\t<actions>\t<0|1>") and
 *    {auth}:names (name -> sha256), written by `gridctl token create|revoke`: every instance sees
 *    a new or revoked token on its next request (one HGET, only for tokens not in the file).
 * A token limits: the channels it may submit for ("" every channel), the region prefix of
 * everything it reads, acts on or submits ("" everywhere), the actions it may take ("*" every
 * one, "" none), and whether it may read residents' contacts. Its name is recorded on every event
 * it causes. With auth.required off (a closed lab only) a request without a token acts as an
 * all-powerful "anonymous". */
#ifndef GRIDLINE_AUTH_H
#define GRIDLINE_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "httpd.h"
#include "rconn.h"

#define AUTH_TOKENS "{auth}:tokens"
#define AUTH_NAMES "{auth}:names"

typedef struct {
    char name[65];
    char channels[257];
    char region[16];
    char actions[513];
    bool contacts;
    int rate; /* requests per second, all instances together; 0: auth.rate */
} auth_token_t;

typedef enum {
    AUTH_OK = 0,
    AUTH_MISSING,     /* no token given (and one is required) */
    AUTH_UNKNOWN,     /* no such token (or revoked) */
    AUTH_UNAVAILABLE, /* Redis down while looking it up */
} auth_result_t;

/* The token of a request (header), or NULL. */
const char *auth_secret(const http_request_t *req);
/* Lowercase hex SHA-256 of secret into out (65 bytes). */
void auth_hash(const char *secret, char out[65]);
/* Finds the token whose secret this is (secret NULL: AUTH_MISSING, or anonymous when
 * config->auth_required is off). redis may be NULL (configuration tokens only). */
auth_result_t auth_lookup(const config_t *config, rconn_t *redis, const char *secret,
                          auth_token_t *out);

bool auth_allows_channel(const auth_token_t *token, const char *channel);
/* region: an appeal's region, or a query's prefix: inside the token's prefix. */
bool auth_allows_region(const auth_token_t *token, const char *region);
bool auth_allows_action(const auth_token_t *token, const char *action);

/* For a handler: finds the request's token and counts the request against its rate (the token's,
 * else auth.rate; {auth}:rate:<name>:<second>, shared by every instance); on failure answers 401
 * (missing, unknown), 429 with Retry-After (over the rate) or 503, and returns -1. 0 with *out
 * filled. */
int auth_request(const config_t *config, rconn_t *redis, const http_request_t *req,
                 http_response_t *res, auth_token_t *out);
/* Counts one request of token against its rate (the token's, else auth.rate), shared by every
 * instance. 0 within it, 1 over it, -1 Redis down. */
int auth_rate(const config_t *config, rconn_t *redis, const auth_token_t *token);
/* Answers 403 naming what the token may not do (field: the request's field it concerns). */
void auth_forbid(http_response_t *res, const auth_token_t *token, const char *field,
                 const char *what);

/* Whether the request's Host (without its port) is one the APIs answer (http.allowed_hosts,
 * default the bind address, localhost and 127.0.0.1); a request without Host passes. If not,
 * answers 421 misdirected_host and returns -1. Against DNS rebinding: a page of another site
 * resolving its own name to this machine cannot reach the API. */
int auth_host(const config_t *config, const http_request_t *req, http_response_t *res);

/* gridctl: stores a token (its secret hashed; a token of the same name is replaced). 0 / -1. */
int auth_token_put(rconn_t *redis, const char *secret, const auth_token_t *token);
/* 1 revoked, 0 no API token of that name, -1 Redis down. */
int auth_token_revoke(rconn_t *redis, const char *name);

#endif
