/* gridline-router: the router hop's inbox, its outboxes' sweeper, /healthz and /metrics. */
#include "router.h"
#include "router_api.h"
#include "service.h"

static const char s_usage[] =
    "Receives collected events on router.endpoint (ZeroMQ PULL, bound), assigns each appeal\n"
    "(category -> department -> directory), and sends assigned events to notifier.endpoint\n"
    "and aggregator.endpoint. Fires the clocks that fall due: a missed acknowledge or resolve\n"
    "deadline climbs one level (green, blue, yellow, red); at red the owner is reminded.\n"
    "HTTP API (router.http_port):\n"
    "  GET /v1/directory, POST /v1/directory {department, level, region, assignee},\n"
    "  DELETE /v1/directory/{id}       the directory (API entries override the file's)\n"
    "  GET /v1/supervision?region=P    open appeals at red, most overdue first\n"
    "  GET /healthz, /metrics\n"
    "SIGHUP reloads the configuration (rules, directory, ladder, categories).\n";

/* The HTTP API works on the service alone (its own Redis connections per thread). */
static service_t *s_service;

static void *s_create(service_t *svc)
{
    s_service = svc;
    return router_new(svc);
}

static void s_handle(void *arg, const http_request_t *req, http_response_t *res)
{
    router_api_handle(s_service, req, res);
}

static void s_thread_destroy(void *arg, void *state)
{
    router_api_thread_destroy(s_service, state);
}

static int s_threads(const config_t *cfg)
{
    return 2;
}

static void s_destroy(void **self_p)
{
    router_destroy((router_t **)self_p);
}

static int s_port(const config_t *cfg)
{
    return cfg->router_http_port;
}

static void *s_thread_new(void *arg)
{
    return router_api_thread_new(s_service);
}

static void *s_socket(void *self)
{
    return router_socket(self);
}

static int s_drain(void *self)
{
    return router_drain(self);
}

static int s_tick(void *self)
{
    return router_tick(self);
}

int main(int argc, char **argv)
{
    static const service_def_t def = {
        .name = "router",
        .summary = "gridline-router: assigns appeals to the responsible person and sets their "
                   "deadlines.",
        .usage = s_usage,
        .create = s_create,
        .destroy = s_destroy,
        .http_port = s_port,
        .http_threads = s_threads,
        .http_max_body = NULL,
        .handle = s_handle,
        .thread_init = s_thread_new,
        .thread_fini = s_thread_destroy,
        .health = router_api_health,
        .socket = s_socket,
        .drain = s_drain,
        .tick = s_tick,
    };
    return service_main(&def, argc, argv);
}
