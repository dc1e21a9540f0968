/* gridline-aggregator: the aggregator hop's inbox, the stats API, /healthz and /metrics. */
#include "aggregator.h"
#include "service.h"

static const char s_usage[] =
    "Receives every event on aggregator.endpoint (ZeroMQ PULL, bound) and counts it per\n"
    "region and day. HTTP (aggregator.http_port, aggregator.http_threads threads):\n"
    "  GET /v1/stats?region=PREFIX[&day=YYYYMMDD]   counts by channel, category, level, event\n"
    "  GET /healthz, /metrics\n";

static void *s_create(service_t *svc)
{
    return aggregator_new(svc);
}

static void s_destroy(void **self_p)
{
    aggregator_destroy((aggregator_t **)self_p);
}

static int s_port(const config_t *cfg)
{
    return cfg->aggregator_http_port;
}

/* A dashboard's slow query holds one thread; /healthz and the next query take another. */
static int s_threads(const config_t *cfg)
{
    return 4;
}

static void *s_socket(void *self)
{
    return aggregator_socket(self);
}

static int s_drain(void *self)
{
    return aggregator_drain(self);
}

static int s_tick(void *self)
{
    /* No outbox of its own to sweep; keep the connection up (and say so when it is not). */
    return aggregator_tick(self);
}

int main(int argc, char **argv)
{
    static const service_def_t def = {
        .name = "aggregator",
        .summary = "gridline-aggregator: counts appeals and events per region, day, channel, "
                   "category and level.",
        .usage = s_usage,
        .create = s_create,
        .destroy = s_destroy,
        .http_port = s_port,
        .http_threads = s_threads,
        .handle = aggregator_handle,
        .thread_init = aggregator_thread_new,
        .thread_fini = aggregator_thread_destroy,
        .socket = s_socket,
        .drain = s_drain,
        .tick = s_tick,
    };
    return service_main(&def, argc, argv);
}
