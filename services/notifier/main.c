/* gridline-notifier: the notifier hop's inbox, delivery retries, /healthz and /metrics. */
#include <curl/curl.h>

#include "notifier.h"
#include "service.h"

static const char s_usage[] =
    "Receives events on notifier.endpoint (ZeroMQ PULL, bound) and POSTs a JSON alert for\n"
    "each assigned/escalated/reopened appeal to every subscription whose region prefix\n"
    "matches (config \"subscriptions\"). HTTP (notifier.http_port): GET /healthz, /metrics.\n";

static void *s_create(service_t *svc)
{
    return notifier_new(svc);
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

int main(int argc, char **argv)
{
    static const service_def_t def = {
        .name = "notifier",
        .summary = "gridline-notifier: delivers alerts to supervisors' webhooks.",
        .usage = s_usage,
        .create = s_create,
        .destroy = s_destroy,
        .http_port = s_port,
        .socket = s_socket,
        .drain = s_drain,
        .tick = s_tick,
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = service_main(&def, argc, argv);
    curl_global_cleanup();
    return rc;
}
