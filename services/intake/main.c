/* gridline-intake: the HTTP front door, the outbox sweeper, /healthz and /metrics. */
#include "intake.h"
#include "service.h"

static const char s_usage[] =
    "HTTP API (intake.http_port):\n"
    "  POST /v1/appeals        {channel, region, category, description, title?, reporter?,\n"
    "                          location?, external_id?, occurred_at?}; header Idempotency-Key\n"
    "  POST /v1/appeals:batch  application/x-ndjson, one appeal (with external_id) a line\n"
    "  GET  /v1/appeals/{id}   the appeal with its level, assignee, status and history\n"
    "  GET  /healthz, /metrics\n"
    "ZeroMQ gateway (intake.gateway_port, 0: off): a ROUTER taking gridline.Submission frames\n"
    "from DEALER clients, answering each with a gridline.SubmissionReply once it is stored.\n"
    "Sends collected events to router.endpoint and aggregator.endpoint (ZeroMQ PUSH).\n";

static void *s_create(service_t *svc)
{
    return intake_new(svc);
}

static void s_destroy(void **self_p)
{
    intake_destroy((intake_t **)self_p);
}

static int s_port(const config_t *cfg)
{
    return cfg->intake_http_port;
}

static int s_threads(const config_t *cfg)
{
    return cfg->intake_http_threads;
}

static size_t s_max_body(const config_t *cfg)
{
    /* the larger limit; intake.max_body is checked again for everything but the batch */
    int max = cfg->intake_max_body > cfg->intake_max_batch_body ? cfg->intake_max_body
                                                                : cfg->intake_max_batch_body;
    return (size_t)max;
}

static int s_tick(void *self)
{
    return intake_sweep(self);
}

int main(int argc, char **argv)
{
    static const service_def_t def = {
        .name = "intake",
        .summary = "gridline-intake: accepts appeals over HTTP, stores them in Redis, passes "
                   "them on to the router.",
        .usage = s_usage,
        .create = s_create,
        .destroy = s_destroy,
        .http_port = s_port,
        .http_threads = s_threads,
        .http_max_body = s_max_body,
        .http_limit = intake_body_limit,
        .handle = intake_handle,
        .thread_init = intake_thread_new,
        .thread_fini = intake_thread_destroy,
        .health = intake_health,
        .tick = s_tick,
    };
    return service_main(&def, argc, argv);
}
