/* gridline-notifier: wires the event inbox, delivery retries, /healthz and shutdown. */
#include <curl/curl.h>
#include <stdio.h>

#include "httpd.h"
#include "log.h"
#include "notifier.h"
#include "service.h"
#include "zsock.h"

static const char s_usage[] =
    "Receives events on notifier.endpoint (ZeroMQ PULL, bound) and POSTs a JSON alert for\n"
    "each assigned/escalated/reopened appeal to every subscription whose region prefix\n"
    "matches (config \"subscriptions\"). HTTP (notifier.http_port): GET /healthz, /metrics.\n";

static int s_drain(void *arg)
{
    return notifier_drain(arg);
}

static int s_sweep(void *arg)
{
    return notifier_sweep(arg);
}

static void s_no_api(void *arg, const http_request_t *req, http_response_t *res)
{
    http_response_error(res, 404, "not_found", NULL,
                        "the notifier serves /healthz and /metrics; subscriptions come from "
                        "the configuration");
}

int main(int argc, char **argv)
{
    service_t svc = {.name = "notifier",
                     .summary = "gridline-notifier: delivers alerts to supervisors' webhooks.",
                     .usage = s_usage};
    int rc = service_start(&svc, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const config_t *cfg = svc.config;
    notifier_t *notifier = notifier_new(&svc);
    httpd_t *http = notifier ? httpd_new(cfg->bind_host, cfg->notifier_http_port, 4096, 1, s_no_api,
                                         service_health, &svc)
                             : NULL;
    if (!http) {
        notifier_destroy(&notifier);
        service_finish(&svc);
        zsock_context_term();
        curl_global_cleanup();
        return 1;
    }
    char subs[16];
    snprintf(subs, sizeof subs, "%zu", cfg->subscription_count);
    log_info("running", "events", cfg->notifier_endpoint, "subscriptions", subs, NULL);
    log_infof("http on http://%s:%d", cfg->bind_host, httpd_port(http));
    service_run(&svc, notifier_socket(notifier), s_drain, s_sweep, notifier);
    log_info("stopping", NULL);
    httpd_destroy(&http);
    notifier_destroy(&notifier);
    service_finish(&svc);
    zsock_context_term();
    curl_global_cleanup();
    log_info("stopped", NULL);
    return 0;
}
