/* service: what every gridline process does before and after its own work.
 *
 * service_start parses the command line (--help, --config FILE, --print-config, --version,
 * --check-config FILE: config_check and exit),
 * loads the configuration (the file named by --config or $GRIDLINE_CONFIG, then GRIDLINE_*
 * environment overrides), sets up logging and the clock, loads the region table, and
 * installs SIGTERM/SIGINT handlers that only raise a flag: the main loop sees it, finishes
 * what it holds, and returns. */
#ifndef GRIDLINE_SERVICE_H
#define GRIDLINE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "region.h"

typedef struct {
    const char *name;    /* "intake", "router", ... */
    const char *summary; /* one line for --help */
    const char *usage;   /* extra --help text: endpoints, HTTP API */
    config_t *config;
    region_table_t *regions;
    const char **counties; /* every county code, sorted: the outboxes to sweep */
    size_t county_count;
    char instance[128]; /* config instance, or "<host>-<pid>" */
} service_t;

/* 0: run. 1: done (help/version printed): exit 0. -1: error printed: exit 2. */
int service_start(service_t *self, int argc, char **argv);
void service_finish(service_t *self);
bool service_stopping(void);
/* The main loop of a ZeroMQ-fed service: waits for messages on sock (at most until the next
 * sweep), calls drain when some arrive, and sweep every outbox.sweep_interval_ms, until
 * SIGTERM/SIGINT. drain and sweep get arg. */
typedef int(service_step_fn)(void *arg);
void service_run(service_t *self, void *sock, service_step_fn *drain, service_step_fn *sweep,
                 void *arg);
/* A /healthz callback (httpd_health_fn) for a service: PINGs Redis on a connection of its
 * own (any thread, serialized). arg is the service_t. */
int service_health(void *arg, char *why, size_t whylen);

#endif
