/* gridline-router: wires the event inbox, the outbox sweeper, /healthz and shutdown. */
#include "httpd.h"
#include "log.h"
#include "router.h"
#include "service.h"
#include "zsock.h"

static const char s_usage[] =
    "Receives collected events on router.endpoint (ZeroMQ PULL, bound), assigns each appeal\n"
    "(category -> department -> directory), and sends assigned events to notifier.endpoint\n"
    "and aggregator.endpoint. HTTP (router.http_port): GET /healthz, /metrics.\n";

static int s_drain(void *arg)
{
    return router_drain(arg);
}

static int s_sweep(void *arg)
{
    return router_sweep(arg);
}

static void s_no_api(void *arg, const http_request_t *req, http_response_t *res)
{
    http_response_error(res, 404, "not_found", NULL, "the router serves /healthz and /metrics");
}

int main(int argc, char **argv)
{
    service_t svc = {.name = "router",
                     .summary = "gridline-router: assigns appeals to the responsible person and "
                                "sets their deadlines.",
                     .usage = s_usage};
    int rc = service_start(&svc, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    const config_t *cfg = svc.config;
    router_t *router = router_new(&svc);
    httpd_t *http = router ? httpd_new(cfg->bind_host, cfg->router_http_port, 4096, 1, s_no_api,
                                       service_health, &svc)
                           : NULL;
    if (!http) {
        router_destroy(&router);
        service_finish(&svc);
        zsock_context_term();
        return 1;
    }
    log_infof("events on %s, http on %s:%d", cfg->router_endpoint, cfg->bind_host,
              httpd_port(http));
    service_run(&svc, router_socket(router), s_drain, s_sweep, router);
    log_info("stopping", NULL);
    httpd_destroy(&http);
    router_destroy(&router);
    service_finish(&svc);
    zsock_context_term();
    log_info("stopped", NULL);
    return 0;
}
