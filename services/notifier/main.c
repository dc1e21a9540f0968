/* gridline-notifier: the notifier hop's inbox, delivery retries, /healthz and /metrics. */
#include <curl/curl.h>

#include "notifier.h"
#include "notifier_api.h"
#include "service.h"

static const char s_usage[] =
    "Receives events on notifier.endpoint (ZeroMQ PULL, bound) and POSTs a JSON alert for\n"
    "each assigned/escalated/reopened appeal to every subscription whose region prefix\n"
    "matches (config \"subscriptions\" and the API's). HTTP API (notifier.http_port):\n"
    "  GET /v1/subscriptions, POST /v1/subscriptions {name, region, url|target, ...},\n"
    "  GET, DELETE /v1/subscriptions/{id}\n"
    "  GET /v1/stream?region=&min_level= (Server-Sent Events: the live view of alerts)\n"
    "  GET /healthz, /metrics\n";

/* The HTTP API works on the service alone (its own Redis connection per thread). */
static service_t *s_service;

static void *s_create(service_t *svc)
{
    s_service = svc;
    return notifier_new(svc);
}

static void s_handle(void *arg, const http_request_t *req, http_response_t *res)
{
    notifier_api_handle(s_service, req, res);
}

static void *s_thread_new(void *arg)
{
    return notifier_api_thread_new(s_service);
}

static void s_thread_destroy(void *arg, void *state)
{
    notifier_api_thread_destroy(s_service, state);
}

static int s_threads(const config_t *cfg)
{
    return 4;
}

static size_t s_max_body(const config_t *cfg)
{
    return 16384;
}

static void s_destroy(void **self_p)
{
    notifier_destroy((notifier_t **)self_p);
}

static int s_port(const config_t *cfg)
{
    return cfg->notifier_http_port;
}

static void *s_socket(void *self)
{
    return notifier_socket(self);
}

static int s_drain(void *self)
{
    return notifier_drain(self);
}

static int s_tick(void *self)
{
    return notifier_sweep(self);
}

static bool s_backlog(void *self)
{
    return notifier_backlog(self);
}

int main(int argc, char **argv)
{
    static const service_def_t def = {
        .name = "notifier",
        .summary = "gridline-notifier: delivers alerts to supervisors' webhooks.",
        .usage = s_usage,
        .create = s_create,
        .destroy = s_destroy,
        .http_port = s_port,
        .http_threads = s_threads,
        .http_max_body = s_max_body,
        .handle = s_handle,
        .thread_init = s_thread_new,
        .thread_fini = s_thread_destroy,
        .socket = s_socket,
        .drain = s_drain,
        .tick = s_tick,
        .backlog = s_backlog,
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = service_main(&def, argc, argv);
    curl_global_cleanup();
    return rc;
}
