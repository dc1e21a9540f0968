/* metrics: process counters and gauges, rendered in the Prometheus text format (GET /metrics).
 *
 * A metric is registered once at start-up (not thread-safe) and then updated from any thread
 * (atomic). Labels are fixed at registration: register one metric per label set
 * ("gridline_http_responses_total", "code=\"201\""). At most METRICS_MAX metrics. */
#ifndef GRIDLINE_METRICS_H
#define GRIDLINE_METRICS_H

#include <stdint.h>

#define METRICS_MAX 128

typedef enum { METRIC_COUNTER, METRIC_GAUGE } metric_kind_t;
typedef struct metric metric_t;

/* Returns the metric (the same one for the same name + labels). Never NULL: running out of
 * slots is a programmer error and aborts at start-up. */
metric_t *metrics_register(metric_kind_t kind, const char *name, const char *labels,
                           const char *help);
void metric_add(metric_t *metric, int64_t delta);
void metric_set(metric_t *metric, int64_t value);
int64_t metric_value(const metric_t *metric);
/* Renders every metric; the caller frees the text. */
char *metrics_render(void);
/* Forgets every metric (tests). */
void metrics_reset(void);

#endif
