/* service: what every gridline process does before and after its own work.
 *
 * service_start parses the command line (--help, --config FILE, --print-config, --version,
 * --check-config FILE: config_check and exit),
 * loads the configuration (the file named by --config or $GRIDLINE_CONFIG, then GRIDLINE_*
 * environment overrides, then the working-day calendar of calendar.file), sets up logging and the
 * clock, loads the region table, and installs SIGTERM/SIGINT handlers that only raise a flag: the
 * main loop sees it, finishes what it holds, and returns. service_main does all of it for a service
 * described by a service_def_t: its main.c is that description. */
#ifndef GRIDLINE_SERVICE_H
#define GRIDLINE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "httpd.h"
#include "rconn.h"
#include "region.h"

typedef struct {
    const char *name;        /* "intake", "router", ... */
    const char *summary;     /* one line for --help */
    const char *usage;       /* extra --help text: endpoints, HTTP API */
    config_t *config;        /* as started: ports, endpoints, Redis (a reload does not move them) */
    config_slot_t *slot;     /* the current snapshot: categories, rules, directory, ladder, ... */
    const char *config_path; /* the file (NULL: none), read again on SIGHUP */
    region_table_t *regions;
    const char **counties; /* every county code, sorted: the outboxes to sweep */
    size_t county_count;
    char instance[128]; /* config instance, or "<host>-<pid>" */
} service_t;

/* 0: run. 1: done (help/version printed): exit 0. -1: error printed: exit 2. */
int service_start(service_t *self, int argc, char **argv);
void service_finish(service_t *self);
bool service_stopping(void);
/* A reference to the current configuration (release it with config_release): what a reload
 * may change is read from it, per request or per batch. */
config_t *service_config(service_t *self);
/* Reads the file, the environment and the calendar file again: on success the new snapshot replaces
 * the current one ("configuration reloaded"); on any error every error is logged, "configuration
 * refused", and the current one stays. 0 / -1. service_main calls it on SIGHUP. */
int service_reload(service_t *self);
/* A Redis connection as the configuration says, with gridline's scripts (prepared). NULL on
 * OOM. */
rconn_t *service_redis_new(const config_t *config);

/* A /healthz callback (httpd_health_fn) for a service: PINGs Redis on a connection of its
 * own (any thread, serialized). arg is the service_t. */
int service_health(void *arg, char *why, size_t whylen);

/* What a service is, for service_main: its words for --help, its object, its HTTP side and its
 * loop. Every function pointer but create/destroy may be NULL. */
typedef struct {
    const char *name;    /* "intake" */
    const char *summary; /* one line for --help */
    const char *usage;   /* extra --help text: endpoints, HTTP API */
    void *(*create)(service_t *service);
    void (*destroy)(void **self_p);
    /* HTTP: the port, threads and body limit from the configuration; the handler (NULL: only
     * /healthz and /metrics) and per-thread state (arg: the service object). */
    int (*http_port)(const config_t *config);
    int (*http_threads)(const config_t *config);     /* NULL: 1 */
    size_t (*http_max_body)(const config_t *config); /* NULL: 4096 */
    httpd_limit_fn *http_limit; /* per path, at most http_max_body (arg: the object); NULL: all */
    httpd_handler_fn *handle;
    httpd_thread_init_fn *thread_init;
    httpd_thread_fini_fn *thread_fini;
    httpd_thread_health_fn *health; /* NULL: service_health */
    /* The loop: the socket to wait on (NULL: none), what to do when it is readable, and the
     * tick (outbox sweeps, timers) every outbox.sweep_interval_ms. */
    void *(*socket)(void *self);
    int (*drain)(void *self);
    int (*tick)(void *self);
    /* NULL, or whether the last tick left work due now (a backlog): the next tick then comes
     * after SERVICE_BACKLOG_TICK_MS instead of outbox.sweep_interval_ms. */
    bool (*backlog)(void *self);
} service_def_t;

#define SERVICE_BACKLOG_TICK_MS 20

/* The whole life of a service process: start (service_start), create, listen, loop until
 * SIGTERM/SIGINT, shut down in order. Returns the process exit code: 0, 1 (could not start:
 * a port, out of memory), 2 (configuration, or a Redis gridline must not use). */
int service_main(const service_def_t *def, int argc, char **argv);

#endif
