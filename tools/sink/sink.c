#include "sink.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "utf8.h"

/* A sink is a test tool, but a runaway client must not make it eat the machine. */
#define SINK_MAX_BODY (16u * 1024 * 1024)

struct sink {
    sink_options_t options;
    char host[64]; /* the bound address, numeric */
    int port;
    int listen_fd; /* ours until sink_start hands it to the daemon */
    struct MHD_Daemon *daemon;

    pthread_mutex_t lock; /* guards everything below, and every write to options.out */
    pthread_cond_t wake;  /* broadcast on stop, so delayed answers return at once */
    bool stopping;
    long answered; /* POST/PUT requests that reached their answer, failed ones included */
    char **lines;  /* the recorded lines, for GET /requests */
    size_t line_count, line_cap;
    size_t lines_bytes; /* their total length, to size the /requests answer */
    bool out_failed;    /* reported once, then lines are only kept in memory */
};

/* One request while its body arrives. */
typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
    bool no_memory;
} s_upload_t;

static void s_upload_append(s_upload_t *upload, const char *data, size_t size)
{
    if (upload->too_large || upload->no_memory)
        return;
    if (upload->len + size > SINK_MAX_BODY) {
        upload->too_large = true;
        return;
    }
    if (upload->len + size + 1 > upload->cap) {
        size_t cap = upload->cap ? upload->cap : 1024;
        while (cap < upload->len + size + 1)
            cap *= 2;
        char *body = realloc(upload->body, cap);
        if (!body) {
            upload->no_memory = true;
            return;
        }
        upload->body = body;
        upload->cap = cap;
    }
    memcpy(upload->body + upload->len, data, size);
    upload->len += size;
    upload->body[upload->len] = '\0';
}

static enum MHD_Result s_answer(struct MHD_Connection *connection, unsigned int status,
                                const char *content_type, const char *text, size_t len)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    enum MHD_Result rc = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result s_answer_json(struct MHD_Connection *connection, unsigned int status,
                                     const char *text)
{
    return s_answer(connection, status, "application/json", text, strlen(text));
}

/* "x-gridline-alert-id" -> "X-Gridline-Alert-Id", the spelling tests look up. */
static void s_canonical_name(const char *name, char *out, size_t outlen)
{
    size_t i = 0;
    bool word_start = true;
    for (; name[i] && i + 1 < outlen; i++) {
        unsigned char c = (unsigned char)name[i];
        out[i] = (char)(word_start ? toupper(c) : tolower(c));
        word_start = c == '-';
    }
    out[i] = '\0';
}

/* Keeps Content-Type and every X-… header; a repeated header is joined with ", " (RFC 9110). */
static enum MHD_Result s_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    json_t *headers = cls;
    if (!key || !value)
        return MHD_YES;
    if (strncasecmp(key, "X-", 2) != 0 && strcasecmp(key, "Content-Type") != 0)
        return MHD_YES;
    char name[256];
    s_canonical_name(key, name, sizeof name);
    json_t *earlier = json_object_get(headers, name);
    if (earlier) {
        char *joined = NULL;
        if (asprintf(&joined, "%s, %s", json_string_value(earlier), value) >= 0) {
            json_object_set_new(headers, name, json_string(joined));
            free(joined);
        }
        return MHD_YES;
    }
    json_t *text = json_string(value);
    if (text) /* NULL when the value is not UTF-8: such a header is left out */
        json_object_set_new(headers, name, text);
    return MHD_YES;
}

/* Bytes as a JSON string, bad UTF-8 bytes replaced by U+FFFD: a recorded line must stay valid
 * UTF-8 whatever a client sends. */
static json_t *s_text_value(const char *text, size_t len)
{
    char *clean = malloc(len * 3 + 1); /* at worst every byte becomes 3 */
    if (!clean)
        return NULL;
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t seq = utf8_sequence_length(p + i, len - i);
        if (seq == 0) {
            memcpy(clean + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i++;
        } else {
            memcpy(clean + n, p + i, seq);
            n += seq;
            i += seq;
        }
    }
    json_t *value = json_stringn(clean, n);
    free(clean);
    return value;
}

/* The body as JSON if it parses (any value, not only objects), else as a string. */
static json_t *s_body_value(const char *body, size_t len)
{
    json_t *parsed = len ? json_loadb(body, len, JSON_DECODE_ANY, NULL) : NULL;
    return parsed ? parsed : s_text_value(body, len);
}

/* A query argument, decoded, into the object cls (the last of a repeated name wins). */
static enum MHD_Result s_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    if (key)
        json_object_set_new(cls, key, s_text_value(value ? value : "", value ? strlen(value) : 0));
    return MHD_YES;
}

/* The JSON line for one request (malloc'd), or NULL if out of memory. */
static char *s_record_line(struct MHD_Connection *connection, const char *method, const char *path,
                           const s_upload_t *upload, int64_t at_ms)
{
    json_t *headers = json_object();
    json_t *body = s_body_value(upload->body ? upload->body : "", upload->len);
    json_t *record = json_object();
    char *line = NULL;
    if (headers && body && record) {
        MHD_get_connection_values(connection, MHD_HEADER_KIND, s_header, headers);
        json_object_set_new(record, "at_ms", json_integer(at_ms));
        json_object_set_new(record, "method", json_string(method));
        json_object_set_new(record, "path", s_text_value(path, strlen(path)));
        json_object_set(record, "headers", headers);
        json_t *query = json_object();
        MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, s_query_arg, query);
        json_object_set_new(record, "query", query);
        json_object_set(record, "body", body);
        /* the bytes as sent, for checking a signature over them */
        json_object_set_new(record, "raw",
                            s_text_value(upload->body ? upload->body : "", upload->len));
        /* 15 significant digits print 40.38 as 40.38, not 40.380000000000003, and still
         * give back every number a person or a JSON encoder is likely to have written */
        line = json_dumps(record, JSON_COMPACT | JSON_REAL_PRECISION(15));
    }
    json_decref(headers);
    json_decref(body);
    json_decref(record);
    return line;
}

/* Sleeps delay_ms, or less if the sink stops meanwhile (a stop must not wait for a long
 * --delay-ms). */
static void s_delay(sink_t *self)
{
    /* clock_mono_ms is CLOCK_MONOTONIC, the clock self->wake was made to wait on */
    int64_t until_ms = clock_mono_ms() + self->options.delay_ms;
    struct timespec until = {.tv_sec = (time_t)(until_ms / 1000),
                             .tv_nsec = (long)(until_ms % 1000) * 1000000L};
    pthread_mutex_lock(&self->lock);
    while (!self->stopping && pthread_cond_timedwait(&self->wake, &self->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&self->lock);
}

/* Appends the line to out and to the in-memory list. Caller holds the lock. false if the line
 * could not be kept (out of memory); a failing out is reported once and otherwise ignored. */
static bool s_store_locked(sink_t *self, char *line)
{
    if (self->line_count == self->line_cap) {
        size_t cap = self->line_cap ? self->line_cap * 2 : 64;
        char **lines = realloc(self->lines, cap * sizeof *lines);
        if (!lines)
            return false;
        self->lines = lines;
        self->line_cap = cap;
    }
    self->lines[self->line_count++] = line;
    self->lines_bytes += strlen(line);
    if (self->options.out && !self->out_failed) {
        if (fputs(line, self->options.out) == EOF || fputc('\n', self->options.out) == EOF ||
            fflush(self->options.out) == EOF) {
            self->out_failed = true;
            fprintf(stderr,
                    "gridline-sink: cannot write a recorded request: %s "
                    "(still kept for GET /requests)\n",
                    strerror(errno));
        }
    }
    return true;
}

static enum MHD_Result s_post(sink_t *self, struct MHD_Connection *connection, const char *method,
                              const char *path, const s_upload_t *upload)
{
    int64_t at_ms = clock_wall_ms();
    if (upload->too_large)
        return s_answer_json(connection, MHD_HTTP_CONTENT_TOO_LARGE,
                             "{\"ok\":false,\"error\":\"body larger than 16 MiB\"}\n");
    if (upload->no_memory)
        return s_answer_json(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "{\"ok\":false,\"error\":\"out of memory\"}\n");
    if (self->options.delay_ms > 0)
        s_delay(self);

    /* Built before taking the lock: serializing jansson work would only slow the sink. */
    char *line = NULL;
    if (self->options.minimal) {
        /* paths of these benchmarks need no escaping; anything odd is cut at the first quote */
        if (asprintf(&line, "{\"at_ms\":%lld,\"method\":\"%s\",\"path\":\"%.*s\",\"bytes\":%zu}",
                     (long long)at_ms, method, (int)strcspn(path, "\"\\"), path, upload->len) < 0)
            line = NULL;
    } else {
        line = s_record_line(connection, method, path, upload, at_ms);
    }
    pthread_mutex_lock(&self->lock);
    bool fail = self->answered++ < self->options.fail_first;
    bool stored = !fail && line && s_store_locked(self, line);
    pthread_mutex_unlock(&self->lock);
    if (!stored)
        free(line);

    unsigned int status = fail     ? MHD_HTTP_SERVICE_UNAVAILABLE
                          : stored ? (unsigned int)self->options.status
                                   : MHD_HTTP_INTERNAL_SERVER_ERROR;
    if (!self->options.quiet)
        fprintf(stderr, "gridline-sink: %s %s %zu bytes -> %u%s\n", method, path, upload->len,
                status, fail ? " (fail-first, not recorded)" : "");
    if (fail)
        return s_answer_json(connection, status, "{\"ok\":false,\"error\":\"fail-first\"}\n");
    if (!stored)
        return s_answer_json(connection, status, "{\"ok\":false,\"error\":\"out of memory\"}\n");
    /* errcode 0 is how the WeCom and DingTalk robots say they took it */
    return s_answer_json(connection, status, "{\"ok\":true,\"errcode\":0,\"errmsg\":\"ok\"}\n");
}

static enum MHD_Result s_requests(sink_t *self, struct MHD_Connection *connection)
{
    pthread_mutex_lock(&self->lock);
    size_t size = self->lines_bytes + self->line_count + 3;
    char *text = malloc(size);
    size_t n = 0;
    if (text) {
        text[n++] = '[';
        for (size_t i = 0; i < self->line_count; i++) {
            if (i)
                text[n++] = ',';
            size_t len = strlen(self->lines[i]);
            memcpy(text + n, self->lines[i], len);
            n += len;
        }
        text[n++] = ']';
        text[n++] = '\n';
    }
    pthread_mutex_unlock(&self->lock);
    if (!text)
        return s_answer_json(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "{\"ok\":false,\"error\":\"out of memory\"}\n");
    struct MHD_Response *response = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result rc = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result s_get(sink_t *self, struct MHD_Connection *connection, const char *path)
{
    if (strcmp(path, "/healthz") == 0)
        return s_answer(connection, MHD_HTTP_OK, "text/plain", "ok\n", 3);
    if (strcmp(path, "/count") == 0) {
        char text[64];
        snprintf(text, sizeof text, "{\"received\":%zu}\n", sink_received(self));
        return s_answer_json(connection, MHD_HTTP_OK, text);
    }
    if (strcmp(path, "/requests") == 0)
        return s_requests(self, connection);
    return s_answer_json(connection, MHD_HTTP_NOT_FOUND,
                         "{\"ok\":false,\"error\":\"GET serves /healthz, /count, /requests\"}\n");
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *connection, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    sink_t *self = cls;
    s_upload_t *upload = *con_cls;
    if (!upload) {
        upload = calloc(1, sizeof *upload);
        if (!upload)
            return MHD_NO;
        *con_cls = upload;
        return MHD_YES;
    }
    if (*upload_data_size) {
        s_upload_append(upload, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
        return s_post(self, connection, method, url, upload);
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return s_get(self, connection, url);
    struct MHD_Response *response = MHD_create_response_from_buffer(
        strlen("{\"ok\":false,\"error\":\"method not allowed\"}\n"),
        (void *)"{\"ok\":false,\"error\":\"method not allowed\"}\n", MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST, PUT");
    enum MHD_Result rc = MHD_queue_response(connection, MHD_HTTP_METHOD_NOT_ALLOWED, response);
    MHD_destroy_response(response);
    return rc;
}

static void s_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    s_upload_t *upload = *con_cls;
    if (upload) {
        free(upload->body);
        free(upload);
        *con_cls = NULL;
    }
}

/* Binds ourselves rather than through MHD: we learn the port before serving (so it can be
 * announced before any request is answered) and can say exactly why a bind failed. */
static int s_listen(sink_t *self, char *err, size_t errlen)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *found = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", self->options.port);
    int rc = getaddrinfo(self->options.host, port, &hints, &found);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve host '%s': %s", self->options.host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    struct addrinfo *ai;
    for (ai = found; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", self->options.host, self->options.port,
                 strerror(saved));
        return -1;
    }
    struct sockaddr_storage addr;
    socklen_t addrlen = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &addrlen);
    if (addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, self->host, sizeof self->host);
        self->port = ntohs(in6->sin6_port);
    } else {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)&addr;
        inet_ntop(AF_INET, &in4->sin_addr, self->host, sizeof self->host);
        self->port = ntohs(in4->sin_port);
    }
    self->listen_fd = fd;
    return 0;
}

sink_t *sink_new(const sink_options_t *options, char *err, size_t errlen)
{
    sink_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->options = *options;
    if (!self->options.host)
        self->options.host = "127.0.0.1";
    self->listen_fd = -1;
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* s_delay waits on the monotonic clock */
    pthread_cond_init(&self->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (s_listen(self, err, errlen) != 0) {
        sink_destroy(&self);
        return NULL;
    }
    return self;
}

int sink_start(sink_t *self, char *err, size_t errlen)
{
    /* A thread per connection: a --delay-ms answer then holds up only its own client. */
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_ERROR_LOG | MHD_USE_POLL;
    if (strchr(self->host, ':'))
        flags |= MHD_USE_IPv6;
    self->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, s_access, self, MHD_OPTION_LISTEN_SOCKET,
                         self->listen_fd, MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_END);
    if (!self->daemon) {
        snprintf(err, errlen, "cannot start the HTTP server on %s:%d", self->host, self->port);
        return -1;
    }
    self->listen_fd = -1; /* the daemon closes it when it stops */
    return 0;
}

void sink_stop(sink_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_broadcast(&self->wake);
    pthread_mutex_unlock(&self->lock);
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    self->daemon = NULL;
    if (self->listen_fd >= 0)
        close(self->listen_fd);
    self->listen_fd = -1;
}

void sink_destroy(sink_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sink_t *self = *self_p;
    sink_stop(self);
    for (size_t i = 0; i < self->line_count; i++)
        free(self->lines[i]);
    free(self->lines);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int sink_port(const sink_t *self)
{
    return self->port;
}

void sink_address(const sink_t *self, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s", self->host);
}

size_t sink_received(sink_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t count = self->line_count;
    pthread_mutex_unlock(&self->lock);
    return count;
}
