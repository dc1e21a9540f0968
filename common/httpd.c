#include "httpd.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbuf.h"
#include "log.h"
#include "metrics.h"

struct httpd {
    struct MHD_Daemon *daemon;
    size_t max_body;
    httpd_handler_fn *handler;
    httpd_health_fn *health;
    void *arg;
    int port;
};

/* Per-request state while the body arrives. */
typedef struct {
    jsonbuf_t body;
    bool too_large;
} s_upload_t;

static metric_t *s_requests_2xx, *s_requests_4xx, *s_requests_5xx;

void http_response_json(http_response_t *res, int status, char *body)
{
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

void http_response_header(http_response_t *res, const char *name, const char *value)
{
    if (res->header_count >= (int)(sizeof res->headers / sizeof res->headers[0]))
        return;
    char *line = NULL;
    if (asprintf(&line, "%s: %s", name, value) >= 0)
        res->headers[res->header_count++] = line;
}

const char *http_request_header(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *http_request_arg(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result s_send(struct MHD_Connection *connection, http_response_t *res)
{
    if (!res->body)
        http_response_error(res, 500, "internal", NULL, "no response");
    struct MHD_Response *response =
        MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE);
    res->body = NULL;
    MHD_add_response_header(response, "Content-Type", res->content_type);
    for (int i = 0; i < res->header_count; i++) {
        char *colon = strchr(res->headers[i], ':');
        if (colon) {
            *colon = '\0';
            MHD_add_response_header(response, res->headers[i], colon + 2);
        }
        free(res->headers[i]);
    }
    res->header_count = 0;
    enum MHD_Result rc = MHD_queue_response(connection, (unsigned)res->status, response);
    MHD_destroy_response(response);
    metric_add(res->status >= 500   ? s_requests_5xx
               : res->status >= 400 ? s_requests_4xx
                                    : s_requests_2xx,
               1);
    return rc;
}

static void s_builtin_or_handler(httpd_t *self, const http_request_t *req, http_response_t *res)
{
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (get && strcmp(req->path, "/metrics") == 0) {
        char *text = metrics_render();
        http_response_json(res, 200, text);
        res->content_type = "text/plain; version=0.0.4; charset=utf-8";
        return;
    }
    if (get && strcmp(req->path, "/healthz") == 0) {
        char why[256] = "";
        int rc = self->health ? self->health(self->arg, why, sizeof why) : 0;
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
        /* Refuse early when the client announces a too-large body. */
        const char *length =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
        if (length && strtoull(length, NULL, 10) > self->max_body)
            upload->too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!upload->too_large && upload->body.len + *upload_data_size > self->max_body)
            upload->too_large = true;
        if (!upload->too_large)
            jsonbuf_appendn(&upload->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    http_response_t res = {.status = 500};
    if (upload->too_large) {
        http_response_error(&res, 413, "too_large", "body", "request body exceeds %zu bytes",
                            self->max_body);
        return s_send(connection, &res);
    }
    if (upload->body.failed) {
        http_response_error(&res, 503, "unavailable", NULL, "out of memory");
        return s_send(connection, &res);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s", url);
    http_request_t req = {
        .method = method,
        .path = path,
        .body = upload->body.data ? upload->body.data : "",
        .body_len = upload->body.len,
        .connection = connection,
    };
    s_builtin_or_handler(self, &req, &res);
    return s_send(connection, &res);
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

httpd_t *httpd_new(const char *host, int port, size_t max_body, int threads,
                   httpd_handler_fn *handler, httpd_health_fn *health, void *arg)
{
    s_requests_2xx = metrics_register(METRIC_COUNTER, "gridline_http_responses_total",
                                      "class=\"2xx\"", "HTTP responses by status class");
    s_requests_4xx = metrics_register(METRIC_COUNTER, "gridline_http_responses_total",
                                      "class=\"4xx\"", "HTTP responses by status class");
    s_requests_5xx = metrics_register(METRIC_COUNTER, "gridline_http_responses_total",
                                      "class=\"5xx\"", "HTTP responses by status class");
    httpd_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->max_body = max_body;
    self->handler = handler;
    self->health = health;
    self->arg = arg;

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        log_error("http bind address is not an IPv4 address", "bind_host", host, NULL);
        free(self);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    /* A pool of one is no pool: MHD wants the option left out then. */
    unsigned pool = (unsigned)(threads > 1 ? threads : 0);
    if (pool)
        self->daemon = MHD_start_daemon(
            flags, (uint16_t)port, NULL, NULL, s_access, self, MHD_OPTION_SOCK_ADDR, &addr,
            MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    else
        self->daemon =
            MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, s_access, self,
                             MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, s_completed,
                             self, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!self->daemon) {
        char p[16];
        snprintf(p, sizeof p, "%d", port);
        log_error("cannot listen for HTTP", "host", host, "port", p, NULL);
        free(self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : port;
    return self;
}

void httpd_destroy(httpd_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    httpd_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    free(self);
    *self_p = NULL;
}

int httpd_port(const httpd_t *self)
{
    return self->port;
}
