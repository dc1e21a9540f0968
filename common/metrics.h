/* metrics: process counters, gauges and histograms, rendered in the Prometheus text format
 * (GET /metrics).
 *
 * A metric is registered once at start-up (not thread-safe) and then updated from any thread
 * (counters and gauges atomic, a histogram under its own mutex so that a render never shows a
 * _count that disagrees with its +Inf bucket). Labels are fixed at registration: register one
 * metric per label set ("gridline_http_responses_total", "code=\"201\""). At most METRICS_MAX
 * metrics; a histogram has at most METRIC_BOUNDS_MAX upper bounds besides +Inf. */
#ifndef GRIDLINE_METRICS_H
#define GRIDLINE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX 128
#define METRIC_BOUNDS_MAX 16

typedef enum { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM } metric_kind_t;
typedef struct metric metric_t;

/* Returns the metric (the same one for the same name + labels). Never NULL: running out of
 * slots is a programmer error and aborts at start-up. kind is METRIC_COUNTER or METRIC_GAUGE
 * (a histogram needs its bounds: metrics_register_histogram). */
metric_t *metrics_register(metric_kind_t kind, const char *name, const char *labels,
                           const char *help);
/* A histogram with the upper bounds bounds[0..n) (1 <= n <= METRIC_BOUNDS_MAX, finite, strictly
 * increasing; anything else is a programmer error and aborts); +Inf is implied. Rendered as
 * name_bucket{labels,le="…"} (cumulative, ending with le="+Inf"), name_sum and name_count; name is
 * the family's name without a suffix ("gridline_notifier_delivery_seconds"). The same name + labels
 * return the same histogram (its first bounds stay). */
metric_t *metrics_register_histogram(const char *name, const char *labels, const char *help,
                                     const double *bounds, size_t n);
/* Counters and gauges only. */
void metric_add(metric_t *metric, int64_t delta);
void metric_set(metric_t *metric, int64_t value);
/* Counts value in the first bucket whose bound is >= value (Prometheus' "le") and adds it to the
 * sum. A NaN is ignored: it would make the sum NaN for good. Histograms only. */
void metric_observe(metric_t *metric, double value);
/* A counter's or gauge's value; a histogram's count. */
int64_t metric_value(const metric_t *metric);
/* Renders every metric; the caller frees the text. */
char *metrics_render(void);
/* Text rendered after the registered metrics (whole families in the Prometheus format, made
 * by the caller: figures read from elsewhere, such as the aggregator's county gauges, with
 * label sets not known at start-up). Copied; NULL clears it. Thread-safe. */
void metrics_set_extra(const char *text);
/* Forgets every metric (tests). */
void metrics_reset(void);

#endif
