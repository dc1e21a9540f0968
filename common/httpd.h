/* httpd: the HTTP listener of every service (libmicrohttpd, a pool of threads).
 *
 * The service gives one handler; httpd reads the whole body first (refusing more than
 * max_body bytes with 413), answers GET /metrics itself, answers GET /healthz from the health
 * callback, and passes everything else to the handler. Handlers run on httpd's threads, so
 * whatever they use must be per thread (see thread_init/thread_fini) or thread-safe.
 * Error bodies are always {"error":{"code":…,"field":…,"message":…}}. */
#ifndef GRIDLINE_HTTPD_H
#define GRIDLINE_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;

typedef struct {
    const char *method;
    const char *path; /* without the query string */
    const char *body; /* NUL-terminated; may contain NULs before body_len */
    size_t body_len;
    struct MHD_Connection *connection;
} http_request_t;

typedef struct {
    int status;
    char *body; /* malloc'd, owned by the response */
    size_t body_len;
    const char *content_type;
    char *headers[8]; /* "Name: value", malloc'd */
    int header_count;
} http_response_t;

typedef void(httpd_handler_fn)(void *arg, const http_request_t *req, http_response_t *res);
/* 0 = healthy; -1 = not, with the reason in why. */
typedef int(httpd_health_fn)(void *arg, char *why, size_t whylen);

typedef struct httpd httpd_t;

/* Starts listening now; NULL (and a logged reason) if the port cannot be bound. port 0 picks a
 * free one: see httpd_port. */
httpd_t *httpd_new(const char *host, int port, size_t max_body, int threads,
                   httpd_handler_fn *handler, httpd_health_fn *health, void *arg);
/* Stops accepting, lets requests in progress finish, joins the threads. */
void httpd_destroy(httpd_t **self_p);
int httpd_port(const httpd_t *self);

const char *http_request_header(const http_request_t *req, const char *name);
const char *http_request_arg(const http_request_t *req, const char *name);

/* Takes ownership of body (malloc'd JSON text). */
void http_response_json(http_response_t *res, int status, char *body);
void http_response_text(http_response_t *res, int status, const char *content_type,
                        const char *text);
void http_response_error(http_response_t *res, int status, const char *code, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void http_response_header(http_response_t *res, const char *name, const char *value);

#endif
