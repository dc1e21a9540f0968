/* gridline-router: the router hop's inbox, its outboxes' sweeper, /healthz and /metrics. */
#include "router.h"
#include "service.h"

static const char s_usage[] =
    "Receives collected events on router.endpoint (ZeroMQ PULL, bound), assigns each appeal\n"
    "(category -> department -> directory), and sends assigned events to notifier.endpoint\n"
    "and aggregator.endpoint. HTTP (router.http_port): GET /healthz, /metrics.\n";

static void *s_create(service_t *svc)
{
    return router_new(svc);
}

static void s_destroy(void **self_p)
{
    router_destroy((router_t **)self_p);
}

static int s_port(const config_t *cfg)
{
    return cfg->router_http_port;
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
        .socket = s_socket,
        .drain = s_drain,
        .tick = s_tick,
    };
    return service_main(&def, argc, argv);
}
