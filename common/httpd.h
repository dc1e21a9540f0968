/* httpd: the HTTP listener of every service (libmicrohttpd, a pool of threads).
 *
 * The service gives one handler; httpd reads the whole body first (refusing more than
 * max_body bytes with 413), answers GET /metrics itself, answers GET /healthz from the health
 * callback, and passes everything else to the handler. Handlers run on httpd's threads (as many
 * as `threads`), so whatever they use must be thread-safe or per thread: give thread_init and
 * thread_fini (httpd_options_t) and each handler call finds its thread's own state in
 * req->thread (a Redis connection, sockets, …).
 * Error bodies are always {"error":{"code":…,"field":…,"message":…}}.
 *
 * Streams (http_response_stream): the body comes from fn, called on the connection's HTTP thread
 * whenever the client can take more. When fn has nothing yet (returns 0) the connection is
 * suspended (MHD_suspend_connection, allowed from a content reader callback; the daemon runs with
 * MHD_ALLOW_SUSPEND_RESUME), so the thread serves other connections meanwhile; one "resumer"
 * thread per httpd resumes every suspended stream each HTTPD_STREAM_POLL_MS, and fn is asked
 * again. A waiting stream therefore holds no thread and costs one fn call per period, not a busy
 * loop; the resumer sleeps without a timeout while no stream waits. A waiting stream notices a
 * client that hung up (poll for POLLRDHUP on its socket) at its next call and ends. Streams have
 * no connection timeout (the 30 s one is turned off for them). httpd_destroy resumes every
 * suspended stream and ends it (the client sees the connection close without the final chunk,
 * so it cannot mistake the cut for a complete body) before stopping the daemon: MHD must not be
 * stopped with suspended connections. */
#ifndef GRIDLINE_HTTPD_H
#define GRIDLINE_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How long a stream whose fn returned 0 waits before fn is called again. */
#define HTTPD_STREAM_POLL_MS 150

struct MHD_Connection;

typedef struct {
    const char *method;
    const char *path; /* without the query string */
    const char *body; /* NUL-terminated; may contain NULs before body_len */
    size_t body_len;
    struct MHD_Connection *connection;
    void *thread; /* this thread's thread_init result; NULL without thread_init */
} http_request_t;

/* A stream's body: writes at most max bytes to buf and returns how many (> 0); 0 when there is
 * nothing to send yet (called again in about HTTPD_STREAM_POLL_MS); -1 to end the response. Runs
 * on one of httpd's threads: it must not block. */
typedef ssize_t(http_stream_fn)(void *arg, char *buf, size_t max);
/* Frees a stream's arg: called exactly once, when the response is over for any reason (fn
 * returned -1, the client went away, httpd_destroy, or the response was never sent). */
typedef void(http_stream_free_fn)(void *arg);

/* Build it with the http_response_* functions only. A builder that runs out of memory marks the
 * response failed, and httpd then answers 500 and logs why, rather than sending half of it. */
typedef struct {
    int status;
    char *body; /* malloc'd, owned by the response */
    size_t body_len;
    const char *content_type;
    char **headers; /* "Name: value", each malloc'd; grows as needed */
    int header_count;
    int header_cap;
    const char *failed;     /* why the response cannot be sent as built; NULL if it can */
    http_stream_fn *stream; /* set by http_response_stream: the body comes from stream() */
    void *stream_arg;
    http_stream_free_fn *stream_free;
} http_response_t;

typedef void(httpd_handler_fn)(void *arg, const http_request_t *req, http_response_t *res);
/* 0 = healthy; -1 = not, with the reason in why. */
typedef int(httpd_health_fn)(void *arg, char *why, size_t whylen);
/* The same, with the calling thread's state (thread_init's result, NULL without thread_init). */
typedef int(httpd_thread_health_fn)(void *arg, void *thread, char *why, size_t whylen);
/* Makes one HTTP thread's state; NULL if it cannot (that request is answered 503 and the next
 * request on the thread tries again). */
typedef void *(httpd_thread_init_fn)(void *arg);
/* Frees what thread_init made. */
typedef void(httpd_thread_fini_fn)(void *arg, void *state);
/* The largest body a request to url may send (at most max_body). */
typedef size_t(httpd_limit_fn)(void *arg, const char *url);

typedef struct {
    const char *host; /* IPv4 address to bind */
    int port;         /* 0 picks a free one: see httpd_port */
    size_t max_body;
    httpd_limit_fn *limit; /* NULL: max_body for every path */
    int threads;           /* handler threads; < 1 counts as 1 */
    httpd_handler_fn *handler;
    httpd_thread_health_fn *health; /* NULL: /healthz always answers ok */
    void *arg;                      /* first argument of every callback */
    /* Both NULL, or both given. thread_init runs on an HTTP thread the first time that thread
     * handles a request (or /healthz); thread_fini runs once for every state thread_init made,
     * on its own thread when the thread ends, at the latest in httpd_destroy. */
    httpd_thread_init_fn *thread_init;
    httpd_thread_fini_fn *thread_fini;
} httpd_options_t;

typedef struct httpd httpd_t;

/* Starts listening now; NULL (and a logged reason) if the port cannot be bound or the options
 * are wrong. The options are copied; host need not outlive the call. */
httpd_t *httpd_start(const httpd_options_t *options);
/* The same without per-thread state: httpd_start with no thread_init/thread_fini. */
httpd_t *httpd_new(const char *host, int port, size_t max_body, int threads,
                   httpd_handler_fn *handler, httpd_health_fn *health, void *arg);
/* Stops accepting, lets requests in progress finish, joins the threads; every thread state has
 * been given to thread_fini when it returns. */
void httpd_destroy(httpd_t **self_p);
int httpd_port(const httpd_t *self);

const char *http_request_header(const http_request_t *req, const char *name);
const char *http_request_arg(const http_request_t *req, const char *name);

/* Takes ownership of body (malloc'd JSON text); NULL body (a failed allocation) fails the
 * response. Replaces a stream set before (its free_fn runs now). */
void http_response_json(http_response_t *res, int status, char *body);
void http_response_text(http_response_t *res, int status, const char *content_type,
                        const char *text);
/* Any bytes (a file's, NULs allowed): takes ownership of body (malloc'd, len bytes); NULL body
 * fails the response. content_type must outlive the response (a string literal). */
void http_response_bytes(http_response_t *res, int status, const char *content_type, char *body,
                         size_t len);
void http_response_error(http_response_t *res, int status, const char *code, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Whether the request's Content-Type is type (parameters such as "; charset=utf-8" allowed). */
bool http_request_has_type(const http_request_t *req, const char *type);
/* 0 if the request's Content-Type is type (parameters such as "; charset=utf-8" allowed), else
 * answers 415 unsupported_media_type naming what was sent and returns -1. A missing type is
 * refused too: a web page cannot send another site's type without asking first. */
int http_request_require_type(const http_request_t *req, http_response_t *res, const char *type);
/* Answers with a stream (see the top of this file): status and content_type now, the body (chunked
 * on HTTP/1.1) from fn(arg, …) as it comes. Takes ownership of arg: free_fn (may be NULL) runs
 * exactly once, whatever happens, even if the response fails before it is sent. Headers added
 * with http_response_header are sent as with any response. */
void http_response_stream(http_response_t *res, int status, const char *content_type,
                          http_stream_fn *fn, void *arg, http_stream_free_fn *free_fn);
/* Any number of headers; name and value must not contain CR or LF (else the response fails). */
void http_response_header(http_response_t *res, const char *name, const char *value);

#endif
