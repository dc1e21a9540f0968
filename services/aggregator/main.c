/* gridline-aggregator: wires the event inbox, the stats API and shutdown. */
#include "aggregator.h"
#include "httpd.h"
#include "log.h"
#include "service.h"
#include "zsock.h"

static const char s_usage[] =
    "Receives every event on aggregator.endpoint (ZeroMQ PULL, bound) and counts it per\n"
    "region and day. HTTP (aggregator.http_port):\n"
    "  GET /v1/stats?region=PREFIX[&day=YYYYMMDD]   counts by channel, category, level, event\n"
    "  GET /healthz, /metrics\n";

static int s_drain(void *arg)
{
    return aggregator_drain(arg);
}

static int s_sweep(void *arg)
{
    /* No outbox of its own to sweep; keep the connection up (and say so when it is not). */
    return aggregator_tick(arg);
}

int main(int argc, char **argv)
{
    service_t svc = {.name = "aggregator",
                     .summary = "gridline-aggregator: counts appeals and events per region, "
                                "day, channel, category and level.",
                     .usage = s_usage};
    int rc = service_start(&svc, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    const config_t *cfg = svc.config;
    aggregator_t *agg = aggregator_new(&svc);
    /* One HTTP thread: it alone uses the aggregator's query connection. */
    httpd_t *http = agg ? httpd_new(cfg->bind_host, cfg->aggregator_http_port, 4096, 1,
                                    aggregator_handle, aggregator_health, agg)
                        : NULL;
    if (!http) {
        aggregator_destroy(&agg);
        service_finish(&svc);
        zsock_context_term();
        return 1;
    }
    log_infof("events on %s, http on http://%s:%d", cfg->aggregator_endpoint, cfg->bind_host,
              httpd_port(http));
    service_run(&svc, aggregator_socket(agg), s_drain, s_sweep, agg);
    log_info("stopping", NULL);
    httpd_destroy(&http);
    aggregator_destroy(&agg);
    service_finish(&svc);
    zsock_context_term();
    log_info("stopped", NULL);
    return 0;
}
