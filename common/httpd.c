#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jsonbuf.h"
#include "log.h"
#include "metrics.h"

/* One HTTP thread's state, on the httpd's list until thread_fini has it. */
typedef struct s_thread s_thread_t;
struct s_thread {
    httpd_t *owner;
    void *state;
    s_thread_t *prev, *next;
};

/* One streamed response, on the httpd's list from its creation until MHD frees the response. */
typedef struct s_stream s_stream_t;
struct s_stream {
    httpd_t *owner;
    struct MHD_Connection *connection;
    int fd;         /* the connection's socket, to notice a client gone while we wait */
    bool suspended; /* suspended by us, not yet resumed (streams_lock) */
    http_stream_fn *fn;
    void *arg;
    http_stream_free_fn *free_fn;
    s_stream_t *prev, *next;
};

struct httpd {
    struct MHD_Daemon *daemon;
    size_t max_body;
    httpd_limit_fn *limit;
    httpd_handler_fn *handler;
    httpd_thread_health_fn *health;
    httpd_health_fn *health_without_thread; /* httpd_new's */
    void *arg;
    int port;
    httpd_thread_init_fn *thread_init;
    httpd_thread_fini_fn *thread_fini;
    pthread_key_t thread_key; /* -> s_thread_t; its destructor runs thread_fini */
    pthread_mutex_t threads_lock;
    s_thread_t *threads; /* every state not yet finished, so httpd_destroy can finish them */
    /* Streams: the list, how many of them are suspended, and the resumer that wakes them. */
    pthread_mutex_t streams_lock;
    pthread_cond_t resumer_wake; /* a first stream suspended, or stopping (CLOCK_MONOTONIC) */
    s_stream_t *streams;
    int suspended;
    bool stopping; /* httpd_destroy: no stream suspends any more, every stream ends */
    bool resumer_started;
    pthread_t resumer;
};

/* Per-request state while the body arrives. */
typedef struct {
    jsonbuf_t body;
    bool too_large;
    size_t limit; /* this request's */
} s_upload_t;

/* Seconds an idle connection is kept; streams have none while they last (s_send). */
#define S_CONNECTION_TIMEOUT_S 30u

static metric_t *s_requests_2xx, *s_requests_4xx, *s_requests_5xx;

/* Gives a stream the response still owns back to its free_fn. */
static void s_stream_drop(http_response_t *res)
{
    if (res->stream && res->stream_free)
        res->stream_free(res->stream_arg);
    res->stream = NULL;
    res->stream_arg = NULL;
    res->stream_free = NULL;
}

void http_response_json(http_response_t *res, int status, char *body)
{
    s_stream_drop(res);
    free(res->body);
    res->status = status;
    res->body = body;
    res->body_len = body ? strlen(body) : 0;
    res->content_type = "application/json; charset=utf-8";
}

void http_response_text(http_response_t *res, int status, const char *content_type,
                        const char *text)
{
    http_response_json(res, status, strdup(text));
    res->content_type = content_type;
}

void http_response_bytes(http_response_t *res, int status, const char *content_type, char *body,
                         size_t len)
{
    http_response_json(res, status, NULL);
    res->body = body;
    res->body_len = body ? len : 0;
    res->content_type = content_type;
}

void http_response_error(http_response_t *res, int status, const char *code, const char *field,
                         const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_append(&jb, "{\"error\":{");
    jsonbuf_kv(&jb, "code", code);
    if (field) {
        jsonbuf_append(&jb, ",");
        jsonbuf_kv(&jb, "field", field);
    }
    jsonbuf_append(&jb, ",");
    jsonbuf_kv(&jb, "message", message);
    jsonbuf_append(&jb, "}}\n");
    http_response_json(res, status, jsonbuf_take(&jb, NULL));
}

void http_response_stream(http_response_t *res, int status, const char *content_type,
                          http_stream_fn *fn, void *arg, http_stream_free_fn *free_fn)
{
    s_stream_drop(res);
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
    res->status = status;
    res->content_type = content_type;
    res->stream = fn;
    res->stream_arg = arg;
    res->stream_free = free_fn;
    if (!fn)
        res->failed = "a stream without a function";
}

void http_response_header(http_response_t *res, const char *name, const char *value)
{
    if (res->failed)
        return;
    if (res->header_count == res->header_cap) {
        int cap = res->header_cap ? res->header_cap * 2 : 8;
        char **headers = realloc(res->headers, (size_t)cap * sizeof *headers);
        if (!headers) {
            res->failed = "out of memory for a response header";
            return;
        }
        res->headers = headers;
        res->header_cap = cap;
    }
    char *line = NULL;
    if (asprintf(&line, "%s: %s", name, value) < 0) {
        res->failed = "out of memory for a response header";
        return;
    }
    res->headers[res->header_count++] = line;
}

/* Frees what the response still owns and leaves it empty. */
static void s_response_release(http_response_t *res)
{
    s_stream_drop(res);
    free(res->body);
    for (int i = 0; i < res->header_count; i++)
        free(res->headers[i]);
    free(res->headers);
    *res = (http_response_t){0};
}

const char *http_request_header(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *http_request_arg(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

static void s_count(int status)
{
    metric_add(status >= 500 ? s_requests_5xx : status >= 400 ? s_requests_4xx : s_requests_2xx, 1);
}

/* The answer when the real one cannot be built: a static body, so it needs no allocation of ours;
 * if MHD cannot allocate even this, MHD_NO makes it close the connection. */
static enum MHD_Result s_send_internal_error(struct MHD_Connection *connection)
{
    static const char body[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"the response could not be built\"}}\n";
    struct MHD_Response *response =
        MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, "Content-Type", "application/json; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(connection, 500, response);
    MHD_destroy_response(response);
    s_count(500);
    return rc;
}

/* Whether the client has hung up (or the socket failed): the only way to learn it while the
 * connection is suspended, as MHD does not watch suspended sockets. */
static bool s_client_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return fd >= 0 && poll(&p, 1, 0) == 1 &&
           (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* MHD's content reader: on the connection's thread, with nothing of ours locked. */
static ssize_t s_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    s_stream_t *stream = cls;
    httpd_t *self = stream->owner;
    pthread_mutex_lock(&self->streams_lock);
    bool stopping = self->stopping;
    pthread_mutex_unlock(&self->streams_lock);
    if (stopping)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    ssize_t n = stream->fn(stream->arg, buf, max);
    if (n < 0) {
        /* the connection may serve more requests (keep-alive): with the usual idle cut-off */
        MHD_set_connection_option(stream->connection, MHD_CONNECTION_OPTION_TIMEOUT,
                                  S_CONNECTION_TIMEOUT_S);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (n > 0)
        return n <= (ssize_t)max ? n : (ssize_t)max;
    if (s_client_gone(stream->fd))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    /* Nothing yet: off MHD's event loop until the resumer's next round. Checked and marked under
     * the lock, so httpd_destroy either sees this suspension (and resumes it) or we see it
     * stopping. */
    pthread_mutex_lock(&self->streams_lock);
    if (self->stopping) {
        pthread_mutex_unlock(&self->streams_lock);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    MHD_suspend_connection(stream->connection);
    stream->suspended = true;
    if (self->suspended++ == 0)
        pthread_cond_signal(&self->resumer_wake);
    pthread_mutex_unlock(&self->streams_lock);
    return 0;
}

/* MHD frees the response: the stream is over, whatever ended it. */
static void s_stream_end(void *cls)
{
    s_stream_t *stream = cls;
    httpd_t *self = stream->owner;
    pthread_mutex_lock(&self->streams_lock);
    if (stream->suspended)
        self->suspended--; /* cannot happen (MHD frees no suspended connection); kept exact */
    if (stream->prev)
        stream->prev->next = stream->next;
    else
        self->streams = stream->next;
    if (stream->next)
        stream->next->prev = stream->prev;
    pthread_mutex_unlock(&self->streams_lock);
    if (stream->free_fn)
        stream->free_fn(stream->arg);
    free(stream);
}

/* Resumes every suspended stream. Called with streams_lock held. */
static void s_streams_resume(httpd_t *self)
{
    for (s_stream_t *stream = self->streams; stream; stream = stream->next) {
        if (!stream->suspended)
            continue;
        stream->suspended = false;
        self->suspended--;
        MHD_resume_connection(stream->connection);
    }
}

/* The resumer: while any stream waits, resumes them all every HTTPD_STREAM_POLL_MS; otherwise
 * sleeps until a stream suspends. */
static void *s_resumer(void *arg)
{
    httpd_t *self = arg;
    pthread_mutex_lock(&self->streams_lock);
    while (!self->stopping) {
        if (self->suspended == 0) {
            pthread_cond_wait(&self->resumer_wake, &self->streams_lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += HTTPD_STREAM_POLL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        int rc = 0;
        while (!self->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&self->resumer_wake, &self->streams_lock, &until);
        if (!self->stopping)
            s_streams_resume(self);
    }
    pthread_mutex_unlock(&self->streams_lock);
    return NULL;
}

/* The MHD response of a stream, which takes res's stream (and its free_fn) over; NULL if it cannot
 * be made (res keeps the stream then). */
static struct MHD_Response *s_stream_response(httpd_t *self, struct MHD_Connection *connection,
                                              http_response_t *res)
{
    s_stream_t *stream = calloc(1, sizeof *stream);
    if (!stream)
        return NULL;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    *stream = (s_stream_t){.owner = self,
                           .connection = connection,
                           .fd = info ? info->connect_fd : -1,
                           .fn = res->stream,
                           .arg = res->stream_arg,
                           .free_fn = res->stream_free};
    struct MHD_Response *response = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 4096, s_stream_read, stream, s_stream_end);
    if (!response) {
        free(stream);
        return NULL;
    }
    pthread_mutex_lock(&self->streams_lock);
    stream->next = self->streams;
    if (self->streams)
        self->streams->prev = stream;
    self->streams = stream;
    pthread_mutex_unlock(&self->streams_lock);
    /* MHD_destroy_response runs s_stream_end from here on: the arg is the stream's now. */
    res->stream = NULL;
    res->stream_arg = NULL;
    res->stream_free = NULL;
    return response;
}

/* Queues res and empties it, whatever happens. */
static enum MHD_Result s_send(httpd_t *self, struct MHD_Connection *connection, const char *path,
                              http_response_t *res)
{
    const char *failed = res->failed;
    bool streamed = res->stream != NULL;
    if (!failed && !streamed && !res->body)
        failed = "no response body (out of memory?)";
    struct MHD_Response *response = NULL;
    if (!failed && streamed) {
        response = s_stream_response(self, connection, res);
        if (!response)
            failed = "out of memory for the stream";
    } else if (!failed) {
        response = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE);
        if (response)
            res->body = NULL; /* the response's now */
        else
            failed = "out of memory for the response";
    }
    if (!failed && res->content_type &&
        MHD_add_response_header(response, "Content-Type", res->content_type) != MHD_YES)
        failed = "cannot add Content-Type";
    for (int i = 0; !failed && i < res->header_count; i++) {
        char *colon = strchr(res->headers[i], ':');
        if (!colon) {
            failed = "malformed response header";
            break;
        }
        *colon = '\0';
        if (MHD_add_response_header(response, res->headers[i], colon + 2) != MHD_YES)
            failed = "response header refused (CR/LF in it, or out of memory)";
        *colon = ':';
    }
    if (failed) {
        char status[16];
        snprintf(status, sizeof status, "%d", res->status);
        log_error("answering 500: the response could not be built", "reason", failed, "path", path,
                  "status", status, NULL);
        if (response)
            MHD_destroy_response(response);
        s_response_release(res);
        return s_send_internal_error(connection);
    }
    int status = res->status;
    s_response_release(res);
    enum MHD_Result rc = MHD_queue_response(connection, (unsigned)status, response);
    MHD_destroy_response(response);
    /* A stream lasts as long as it has something to say: no idle cut-off (while suspended MHD
     * counts no time anyway; this covers a client that reads slowly). */
    if (rc == MHD_YES && streamed)
        MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    s_count(status);
    return rc;
}

/* pthread key destructor: the thread is ending, so its state goes to thread_fini here. */
static void s_thread_end(void *ptr)
{
    s_thread_t *thread = ptr;
    httpd_t *self = thread->owner;
    pthread_mutex_lock(&self->threads_lock);
    if (thread->prev)
        thread->prev->next = thread->next;
    else
        self->threads = thread->next;
    if (thread->next)
        thread->next->prev = thread->prev;
    pthread_mutex_unlock(&self->threads_lock);
    self->thread_fini(self->arg, thread->state);
    free(thread);
}

/* This thread's state, made on first use. 0, with *state NULL when there are no hooks; -1 if
 * thread_init failed (it is tried again next time). */
static int s_thread_state(httpd_t *self, void **state)
{
    *state = NULL;
    if (!self->thread_init)
        return 0;
    s_thread_t *thread = pthread_getspecific(self->thread_key);
    if (thread) {
        *state = thread->state;
        return 0;
    }
    thread = calloc(1, sizeof *thread);
    if (!thread)
        return -1;
    thread->owner = self;
    thread->state = self->thread_init(self->arg);
    if (!thread->state) {
        free(thread);
        return -1;
    }
    pthread_mutex_lock(&self->threads_lock);
    thread->next = self->threads;
    if (self->threads)
        self->threads->prev = thread;
    self->threads = thread;
    pthread_mutex_unlock(&self->threads_lock);
    if (pthread_setspecific(self->thread_key, thread) != 0) {
        s_thread_end(thread);
        return -1;
    }
    *state = thread->state;
    return 0;
}

static void s_health(httpd_t *self, http_response_t *res)
{
    char why[256] = "";
    void *state;
    int rc = 0;
    if (s_thread_state(self, &state) != 0) {
        snprintf(why, sizeof why, "cannot set up this HTTP thread's resources");
        rc = -1;
    } else if (self->health) {
        rc = self->health(self->arg, state, why, sizeof why);
    } else if (self->health_without_thread) {
        rc = self->health_without_thread(self->arg, why, sizeof why);
    }
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_append(&jb, "{");
    jsonbuf_kv(&jb, "status", rc == 0 ? "ok" : "unavailable");
    if (rc != 0) {
        jsonbuf_append(&jb, ",");
        jsonbuf_kv(&jb, "reason", why);
    }
    jsonbuf_append(&jb, "}\n");
    http_response_json(res, rc == 0 ? 200 : 503, jsonbuf_take(&jb, NULL));
}

static void s_builtin_or_handler(httpd_t *self, http_request_t *req, http_response_t *res)
{
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (get && strcmp(req->path, "/metrics") == 0) {
        char *text = metrics_render();
        http_response_json(res, 200, text);
        res->content_type = "text/plain; version=0.0.4; charset=utf-8";
        return;
    }
    if (get && strcmp(req->path, "/healthz") == 0) {
        s_health(self, res);
        return;
    }
    if (s_thread_state(self, &req->thread) != 0) {
        log_error("cannot set up this HTTP thread's resources", "path", req->path, NULL);
        http_response_error(res, 503, "unavailable", NULL,
                            "cannot set up this server thread's resources; try again shortly");
        http_response_header(res, "Retry-After", "1");
        return;
    }
    self->handler(self->arg, req, res);
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *connection, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    httpd_t *self = cls;
    s_upload_t *upload = *con_cls;
    if (!upload) {
        upload = calloc(1, sizeof *upload);
        if (!upload)
            return MHD_NO;
        jsonbuf_init(&upload->body);
        *con_cls = upload;
        upload->limit = self->max_body;
        if (self->limit) {
            size_t limit = self->limit(self->arg, url);
            upload->limit = limit < self->max_body ? limit : self->max_body;
        }
        /* A too-large announced body is refused now: no 100 Continue, nothing read (MHD
         * closes the connection after an answer given before the body). */
        const char *length =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
        if (length && strtoull(length, NULL, 10) > upload->limit) {
            char path[1024];
            snprintf(path, sizeof path, "%s", url);
            http_response_t res = {.status = 500};
            http_response_error(&res, 413, "too_large", "body", "request body exceeds %zu bytes",
                                upload->limit);
            return s_send(self, connection, path, &res);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!upload->too_large && upload->body.len + *upload_data_size > upload->limit)
            upload->too_large = true;
        if (!upload->too_large)
            jsonbuf_appendn(&upload->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s", url);
    http_response_t res = {.status = 500};
    if (upload->too_large) {
        http_response_error(&res, 413, "too_large", "body", "request body exceeds %zu bytes",
                            upload->limit);
        return s_send(self, connection, path, &res);
    }
    if (upload->body.failed) {
        http_response_error(&res, 503, "unavailable", NULL, "out of memory");
        return s_send(self, connection, path, &res);
    }
    http_request_t req = {
        .method = method,
        .path = path,
        .body = upload->body.data ? upload->body.data : "",
        .body_len = upload->body.len,
        .connection = connection,
    };
    s_builtin_or_handler(self, &req, &res);
    return s_send(self, connection, path, &res);
}

static void s_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    s_upload_t *upload = *con_cls;
    if (upload) {
        jsonbuf_release(&upload->body);
        free(upload);
        *con_cls = NULL;
    }
}

/* Finishes every state still on the list: after MHD_stop_daemon has joined its threads (whose key
 * destructors ran thread_fini already) only states of threads that outlive httpd are left. */
static void s_threads_finish(httpd_t *self)
{
    for (;;) {
        pthread_mutex_lock(&self->threads_lock);
        s_thread_t *thread = self->threads;
        pthread_mutex_unlock(&self->threads_lock);
        if (!thread)
            break;
        s_thread_end(thread);
    }
    pthread_key_delete(self->thread_key); /* no destructor runs for it after this */
    pthread_mutex_destroy(&self->threads_lock);
}

/* Frees the stream machinery once the daemon is gone (every stream ended with it). */
static void s_streams_finish(httpd_t *self)
{
    if (self->streams)
        log_error("httpd: a stream outlived its daemon", NULL); /* a bug of ours: MHD frees all */
    pthread_cond_destroy(&self->resumer_wake);
    pthread_mutex_destroy(&self->streams_lock);
}

static httpd_t *s_start(const httpd_options_t *options, httpd_health_fn *health_without_thread)
{
    s_requests_2xx = metrics_register(METRIC_COUNTER, "gridline_http_responses_total",
                                      "class=\"2xx\"", "HTTP responses by status class");
    s_requests_4xx = metrics_register(METRIC_COUNTER, "gridline_http_responses_total",
                                      "class=\"4xx\"", "HTTP responses by status class");
    s_requests_5xx = metrics_register(METRIC_COUNTER, "gridline_http_responses_total",
                                      "class=\"5xx\"", "HTTP responses by status class");
    const char *host = options->host ? options->host : "127.0.0.1";
    if (!options->handler || !options->thread_init != !options->thread_fini) {
        log_error("httpd_start: a handler is required, and thread_init and thread_fini go "
                  "together",
                  NULL);
        return NULL;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)options->port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        log_error("http bind address is not an IPv4 address", "bind_host", host, NULL);
        return NULL;
    }
    httpd_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->max_body = options->max_body;
    self->limit = options->limit;
    self->handler = options->handler;
    self->health = options->health;
    self->health_without_thread = health_without_thread;
    self->arg = options->arg;
    self->thread_init = options->thread_init;
    self->thread_fini = options->thread_fini;
    if (pthread_key_create(&self->thread_key, s_thread_end) != 0) {
        log_error("cannot create the HTTP thread key", NULL);
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->threads_lock, NULL);
    pthread_mutex_init(&self->streams_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->resumer_wake, &attr);
    pthread_condattr_destroy(&attr);

    /* MHD_ALLOW_SUSPEND_RESUME: streams suspend while they wait (see httpd.h). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    /* A pool of one is no pool: MHD wants the option left out then. */
    unsigned pool = (unsigned)(options->threads > 1 ? options->threads : 0);
    if (pool)
        self->daemon = MHD_start_daemon(
            flags, (uint16_t)options->port, NULL, NULL, s_access, self, MHD_OPTION_SOCK_ADDR, &addr,
            MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
            MHD_OPTION_CONNECTION_TIMEOUT, S_CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    else
        self->daemon = MHD_start_daemon(flags, (uint16_t)options->port, NULL, NULL, s_access, self,
                                        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED,
                                        s_completed, self, MHD_OPTION_CONNECTION_TIMEOUT,
                                        S_CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    if (!self->daemon) {
        char p[16];
        snprintf(p, sizeof p, "%d", options->port);
        log_error("cannot listen for HTTP", "host", host, "port", p, NULL);
        s_threads_finish(self);
        s_streams_finish(self);
        free(self);
        return NULL;
    }
    if (pthread_create(&self->resumer, NULL, s_resumer, self) != 0) {
        log_error("cannot start the HTTP stream resumer thread", NULL);
        httpd_destroy(&self);
        return NULL;
    }
    self->resumer_started = true;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : options->port;
    return self;
}

httpd_t *httpd_start(const httpd_options_t *options)
{
    return s_start(options, NULL);
}

httpd_t *httpd_new(const char *host, int port, size_t max_body, int threads,
                   httpd_handler_fn *handler, httpd_health_fn *health, void *arg)
{
    httpd_options_t options = {.host = host,
                               .port = port,
                               .max_body = max_body,
                               .threads = threads,
                               .handler = handler,
                               .arg = arg};
    return s_start(&options, health);
}

void httpd_destroy(httpd_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    httpd_t *self = *self_p;
    /* MHD must not be stopped with suspended connections: resume each, and no stream suspends
     * again: each ends at its next call, or MHD_stop_daemon closes it. */
    pthread_mutex_lock(&self->streams_lock);
    self->stopping = true;
    s_streams_resume(self);
    pthread_cond_broadcast(&self->resumer_wake);
    pthread_mutex_unlock(&self->streams_lock);
    if (self->resumer_started)
        pthread_join(self->resumer, NULL);
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    s_threads_finish(self);
    s_streams_finish(self);
    free(self);
    *self_p = NULL;
}

int httpd_port(const httpd_t *self)
{
    return self->port;
}

bool http_request_has_type(const http_request_t *req, const char *type)
{
    const char *ctype = http_request_header(req, "Content-Type");
    size_t n = strlen(type);
    return ctype && strncasecmp(ctype, type, n) == 0 &&
           (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ' || ctype[n] == '\t');
}

int http_request_require_type(const http_request_t *req, http_response_t *res, const char *type)
{
    if (http_request_has_type(req, type))
        return 0;
    const char *ctype = http_request_header(req, "Content-Type");
    http_response_error(res, 415, "unsupported_media_type", "Content-Type", "send %s, not '%.60s'",
                        type, ctype ? ctype : "(none)");
    return -1;
}
