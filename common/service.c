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
#include "log.h"
#include "rconn.h"

#ifndef GRIDLINE_VERSION
#define GRIDLINE_VERSION "0.1.0"
#endif

extern char **environ;
static volatile sig_atomic_t s_stop;
static pthread_mutex_t s_health_lock = PTHREAD_MUTEX_INITIALIZER;
static rconn_t *s_health_redis;

static void s_on_signal(int sig)
{
    s_stop = 1;
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
    self->config = config_new();
    if (!self->config) {
        fprintf(stderr, "gridline-%s: out of memory\n", self->name);
        return -1;
    }
    if ((config_path && *config_path && config_load_file(self->config, config_path) != 0) ||
        config_apply_env(self->config, environ) != 0) {
        fprintf(stderr, "gridline-%s: configuration: %s\n", self->name,
                config_errstr(self->config));
        config_destroy(&self->config);
        return -1;
    }
    if (print_config) {
        config_print(self->config, stdout);
        config_destroy(&self->config);
        return 1;
    }
    const config_t *cfg = self->config;
    if (cfg->instance && *cfg->instance) {
        snprintf(self->instance, sizeof self->instance, "%s", cfg->instance);
    } else {
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        snprintf(self->instance, sizeof self->instance, "%s-%d", host, (int)getpid());
    }
    log_init(self->name, self->instance);
    log_set_level((log_level_t)log_level_parse(cfg->log_level));
    clock_set_offset_ms(cfg->clock_offset_ms);
    clock_set_tz_offset_min(cfg->clock_tz_offset_min);

    char err[512];
    self->regions = region_table_load(cfg->regions_file, err, sizeof err);
    if (!self->regions) {
        log_error("cannot load the region table", "file", cfg->regions_file, "error", err, NULL);
        config_destroy(&self->config);
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
    signal(SIGPIPE, SIG_IGN);
    s_stop = 0;

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
    config_destroy(&self->config);
}

int service_health(void *arg, char *why, size_t whylen)
{
    service_t *self = arg;
    const config_t *cfg = self->config;
    pthread_mutex_lock(&s_health_lock);
    if (!s_health_redis)
        s_health_redis =
            rconn_new(cfg->redis_host, cfg->redis_port, cfg->redis_password, cfg->redis_timeout_ms);
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

void service_run(service_t *self, void *sock, service_step_fn *drain, service_step_fn *sweep,
                 void *arg)
{
    const int interval = self->config->outbox_sweep_interval_ms;
    int64_t next_sweep = clock_mono_ms() + interval;
    while (!service_stopping()) {
        int64_t wait = next_sweep - clock_mono_ms();
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        /* Wake at least every 100 ms to notice a stop request promptly. */
        int rc = zmq_poll(&item, 1, wait < 0 ? 0 : wait > 100 ? 100 : (long)wait);
        if (rc > 0 && (item.revents & ZMQ_POLLIN))
            drain(arg);
        if (clock_mono_ms() >= next_sweep) {
            sweep(arg);
            next_sweep = clock_mono_ms() + interval;
        }
    }
}
