/* gridline-intake: wires the HTTP front door, the outbox sweeper and shutdown together. */
#include <unistd.h>

#include "clock.h"
#include "httpd.h"
#include "intake.h"
#include "log.h"
#include "service.h"
#include "zsock.h"

static const char s_usage[] =
    "HTTP API (intake.http_port):\n"
    "  POST /v1/appeals        {channel, region, category, description, title?, reporter?,\n"
    "                          location?, external_id?, occurred_at?}; header Idempotency-Key\n"
    "  GET  /v1/appeals/{id}   the appeal with its level, assignee, status and history\n"
    "  GET  /healthz, /metrics\n"
    "Sends collected events to router.endpoint and aggregator.endpoint (ZeroMQ PUSH).\n";

int main(int argc, char **argv)
{
    service_t svc = {.name = "intake",
                     .summary = "gridline-intake: accepts appeals over HTTP, stores them in "
                                "Redis, passes them on to the router.",
                     .usage = s_usage};
    int rc = service_start(&svc, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    const config_t *cfg = svc.config;
    intake_t *intake = intake_new(&svc);
    httpd_t *http =
        intake ? httpd_new(cfg->bind_host, cfg->intake_http_port, (size_t)cfg->intake_max_body,
                           cfg->intake_http_threads, intake_handle, intake_health, intake)
               : NULL;
    if (!http) {
        intake_destroy(&intake);
        service_finish(&svc);
        zsock_context_term();
        return 1;
    }
    log_infof("listening on http://%s:%d", cfg->bind_host, httpd_port(http));
    int64_t next_sweep = clock_mono_ms() + cfg->outbox_sweep_interval_ms;
    while (!service_stopping()) {
        usleep(20000);
        if (clock_mono_ms() >= next_sweep) {
            intake_sweep(intake);
            next_sweep = clock_mono_ms() + cfg->outbox_sweep_interval_ms;
        }
    }
    log_info("stopping: finishing requests in progress", NULL);
    httpd_destroy(&http); /* joins the HTTP threads: every accepted appeal is in Redis */
    intake_destroy(&intake);
    service_finish(&svc);
    zsock_context_term();
    log_info("stopped", NULL);
    return 0;
}
