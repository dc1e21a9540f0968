#include "service.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "gsock.h"
#include "log.h"
#include "outbox.h"
#include "rconn.h"
#include "scripts.h"

#ifndef GRIDLINE_VERSION
#define GRIDLINE_VERSION "0.1.0"
#endif

extern char **environ;
static volatile sig_atomic_t s_stop, s_hup;
static pthread_mutex_t s_health_lock = PTHREAD_MUTEX_INITIALIZER;
static rconn_t *s_health_redis;

static void s_on_signal(int sig)
{
    if (sig == SIGHUP)
        s_hup = 1;
    else
        s_stop = 1;
}

config_t *service_config(service_t *self)
{
    return self->slot ? config_slot_get(self->slot) : config_ref(self->config);
}

/* The defaults, the file, the environment, the calendar: the same steps as at start. */
static config_t *s_load(const char *path, bool *bad)
{
    config_t *cfg = config_new();
    if (!cfg)
        return NULL;
    *bad = path && *path && config_load_file(cfg, path) != 0;
    *bad |= config_apply_env(cfg, environ) != 0;
    *bad |= config_load_calendar(cfg) != 0; /* calendar.file, read again on every reload */
    return cfg;
}

int service_reload(service_t *self)
{
    bool bad = false;
    config_t *cfg = s_load(self->config_path, &bad);
    if (!cfg) {
        log_error("configuration refused: out of memory; the current one stays", NULL);
        return -1;
    }
    if (bad) {
        size_t count = 0;
        const char *const *errors = config_errors(cfg, &count);
        for (size_t i = 0; i < count; i++)
            log_error("configuration refused", "error", errors[i], NULL);
        log_error("configuration refused: the current one stays", "file",
                  self->config_path ? self->config_path : "(none)", NULL);
        config_release(&cfg);
        return -1;
    }
    config_slot_swap(self->slot, cfg);
    log_info("configuration reloaded", "file", self->config_path ? self->config_path : "(none)",
             NULL);
    return 0;
}

bool service_stopping(void)
{
    return s_stop != 0;
}

static void s_usage(const service_t *self, FILE *out)
{
    fprintf(out,
            "usage: gridline-%s [--config FILE] [--print-config] [--check-config FILE] [--help] "
            "[--version]\n\n"
            "%s\n\n"
            "  -c, --config FILE   YAML configuration (default: $GRIDLINE_CONFIG, else built-in "
            "defaults)\n"
            "      --print-config  print the effective configuration and exit\n"
            "      --check-config FILE\n"
            "                      check FILE and the GRIDLINE_* variables, starting nothing;\n"
            "                      print every error and exit 2, or \"ok\" and exit 0\n"
            "  -h, --help          this text\n"
            "  -V, --version       print the version and exit\n\n",
            self->name, self->summary);
    if (self->usage)
        fprintf(out, "%s\n", self->usage);
    fprintf(out, "Configuration keys (each also settable as an environment variable):\n");
    config_print_help(out);
}

int service_start(service_t *self, int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"print-config", no_argument, NULL, 'p'},
        {"check-config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = getenv("GRIDLINE_CONFIG");
    bool print_config = false;
    const char *check_path = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'p':
            print_config = true;
            break;
        case 'C':
            check_path = optarg;
            break;
        case 'h':
            s_usage(self, stdout);
            return 1;
        case 'V':
            printf("gridline-%s %s\n", self->name, GRIDLINE_VERSION);
            return 1;
        default:
            fprintf(stderr, "gridline-%s: try --help\n", self->name);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gridline-%s: unexpected argument '%s'; try --help\n", self->name,
                argv[optind]);
        return -1;
    }
    if (check_path) /* no Redis, no sockets, no logging: the file and the environment only */
        return config_check(check_path, environ, stdout, stderr) == 0 ? 1 : -1;
    bool bad = false;
    self->config = s_load(config_path, &bad);
    if (!self->config) {
        fprintf(stderr, "gridline-%s: out of memory\n", self->name);
        return -1;
    }
    if (bad) { /* every mistake at once, not one per attempt */
        size_t count = 0;
        const char *const *errors = config_errors(self->config, &count);
        for (size_t i = 0; i < count; i++)
            fprintf(stderr, "gridline-%s: configuration: %s\n", self->name, errors[i]);
        config_destroy(&self->config);
        return -1;
    }
    if (print_config) {
        config_print(self->config, stdout);
        config_destroy(&self->config);
        return 1;
    }
    const config_t *cfg = self->config;
    self->config_path = config_path && *config_path ? config_path : NULL;
    self->slot = config_slot_new(config_ref(self->config));
    if (!self->slot) {
        config_destroy(&self->config);
        return -1;
    }
    if (cfg->instance && *cfg->instance) {
        snprintf(self->instance, sizeof self->instance, "%s", cfg->instance);
    } else {
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        snprintf(self->instance, sizeof self->instance, "%s-%d", host, (int)getpid());
    }
    log_init(self->name, self->instance);
    {
        char client[48];
        snprintf(client, sizeof client, "gridline-%s", self->name);
        rconn_set_client_name(client);
    }
    log_set_level((log_level_t)log_level_parse(cfg->log_level));
    clock_set_offset_ms(cfg->clock_offset_ms);
    clock_set_tz_offset_min(cfg->clock_tz_offset_min);

    char err[512];
    self->regions = region_table_load(cfg->regions_file, err, sizeof err);
    if (!self->regions) {
        log_error("cannot load the region table", "file", cfg->regions_file, "error", err, NULL);
        service_finish(self);
        return -1;
    }
    size_t count = 0;
    const region_t *const *counties = region_counties(self->regions, &count);
    self->counties = calloc(count ? count : 1, sizeof *self->counties);
    if (!self->counties) {
        service_finish(self);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        self->counties[i] = counties[i]->code;
    self->county_count = count;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    s_stop = 0;
    s_hup = 0;

    char regions[32];
    snprintf(regions, sizeof regions, "%zu", region_table_count(self->regions));
    log_info("starting", "version", GRIDLINE_VERSION, "config",
             config_path && *config_path ? config_path : "(defaults)", "redis_host",
             cfg->redis_host, "regions", regions, NULL);
    return 0;
}

void service_finish(service_t *self)
{
    pthread_mutex_lock(&s_health_lock);
    rconn_destroy(&s_health_redis);
    pthread_mutex_unlock(&s_health_lock);
    free(self->counties);
    self->counties = NULL;
    region_table_destroy(&self->regions);
    config_slot_destroy(&self->slot);
    config_destroy(&self->config);
}

rconn_t *service_redis_new(const config_t *cfg)
{
    scripts_prepare();
    rconn_t *redis =
        rconn_new(cfg->redis_host, cfg->redis_port, cfg->redis_password, cfg->redis_timeout_ms);
    if (redis)
        rconn_set_scripts(redis, scripts_all);
    return redis;
}

int service_health(void *arg, char *why, size_t whylen)
{
    service_t *self = arg;
    const config_t *cfg = self->config;
    pthread_mutex_lock(&s_health_lock);
    if (!s_health_redis)
        s_health_redis = service_redis_new(cfg);
    redisReply *r = s_health_redis ? rconn_command(s_health_redis, "PING") : NULL;
    int rc = 0;
    if (!r) {
        snprintf(why, whylen, "%s",
                 s_health_redis ? rconn_errstr(s_health_redis) : "out of memory");
        rc = -1;
    } else {
        freeReplyObject(r);
    }
    pthread_mutex_unlock(&s_health_lock);
    return rc;
}

/* The service of this process, for the default /healthz (service_main sets it). */
static service_t *s_service;

static int s_health(void *arg, void *thread, char *why, size_t whylen)
{
    return service_health(s_service, why, whylen);
}

static void s_no_api(void *arg, const http_request_t *req, http_response_t *res)
{
    http_response_error(res, 404, "not_found", NULL,
                        "this service serves GET /healthz and GET /metrics");
}

/* The one loop: wait on the socket (at most until the next tick, and never more than 100 ms,
 * to notice a stop request), drain it when readable, tick every outbox.sweep_interval_ms. */
static void s_loop(service_t *svc, const service_def_t *def, void *obj)
{
    const int interval = svc->config->outbox_sweep_interval_ms;
    void *sock = def->socket ? def->socket(obj) : NULL;
    int64_t next_tick = clock_mono_ms() + interval;
    while (!service_stopping() && !rconn_refused()) {
        int64_t wait = next_tick - clock_mono_ms();
        long timeout = wait < 0 ? 0 : wait > 100 ? 100 : (long)wait;
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        int rc = zmq_poll(sock ? &item : NULL, sock ? 1 : 0, timeout);
        if (rc > 0 && (item.revents & ZMQ_POLLIN) && def->drain)
            def->drain(obj);
        if (s_hup) {
            s_hup = 0;
            service_reload(svc);
        }
        if (clock_mono_ms() >= next_tick) {
            if (def->tick)
                def->tick(obj);
            bool more = def->backlog && def->backlog(obj);
            next_tick =
                clock_mono_ms() +
                (more && interval > SERVICE_BACKLOG_TICK_MS ? SERVICE_BACKLOG_TICK_MS : interval);
        }
    }
}

int service_main(const service_def_t *def, int argc, char **argv)
{
    service_t svc = {.name = def->name, .summary = def->summary, .usage = def->usage};
    int rc = service_start(&svc, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    const config_t *cfg = svc.config;
    scripts_prepare();
    outbox_register_metrics();
    void *obj = def->create(&svc);
    httpd_options_t options = {
        .host = cfg->bind_host,
        .port = def->http_port(cfg),
        .max_body = def->http_max_body ? def->http_max_body(cfg) : 4096,
        .limit = def->http_limit,
        .threads = def->http_threads ? def->http_threads(cfg) : 1,
        .handler = def->handle ? def->handle : s_no_api,
        .health = def->health ? def->health : s_health,
        .arg = obj,
        .thread_init = def->thread_init,
        .thread_fini = def->thread_fini,
    };
    s_service = &svc;
    httpd_t *http = obj ? httpd_start(&options) : NULL;
    if (!http) {
        if (obj)
            def->destroy(&obj);
        service_finish(&svc);
        gsock_context_term();
        return 1;
    }
    log_infof("http on http://%s:%d", cfg->bind_host, httpd_port(http));
    s_loop(&svc, def, obj);
    const char *refused = rconn_refused();
    log_info("stopping: finishing requests in progress", NULL);
    httpd_destroy(&http); /* joins the HTTP threads: every answered request is in Redis */
    def->destroy(&obj);
    service_finish(&svc);
    gsock_context_term();
    if (refused) {
        log_error("stopped: this Redis must not be used", "error", refused, NULL);
        return 2;
    }
    log_info("stopped", NULL);
    return 0;
}
