#include "metrics.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbuf.h"

/* A histogram's state: counts[i] observations in (bounds[i-1], bounds[i]], counts[n] above the
 * last bound. Not cumulative here; the render adds them up. */
typedef struct {
    pthread_mutex_t lock;
    size_t n;
    double bounds[METRIC_BOUNDS_MAX];
    uint64_t counts[METRIC_BOUNDS_MAX + 1];
    double sum;
    uint64_t count;
} s_histogram_t;

struct metric {
    metric_kind_t kind;
    char name[64];
    char labels[128];
    char help[128];
    _Atomic int64_t value;
    s_histogram_t *histogram; /* METRIC_HISTOGRAM only; freed by metrics_reset */
};

static metric_t s_metrics[METRICS_MAX];
static int s_count;

static metric_t *s_find(const char *name, const char *labels)
{
    for (int i = 0; i < s_count; i++)
        if (strcmp(s_metrics[i].name, name) == 0 && strcmp(s_metrics[i].labels, labels) == 0)
            return &s_metrics[i];
    return NULL;
}

static metric_t *s_add(metric_kind_t kind, const char *name, const char *labels, const char *help)
{
    assert(s_count < METRICS_MAX && "raise METRICS_MAX");
    if (s_count >= METRICS_MAX)
        abort();
    metric_t *m = &s_metrics[s_count++];
    m->kind = kind;
    strncpy(m->name, name, sizeof m->name - 1);
    strncpy(m->labels, labels, sizeof m->labels - 1);
    strncpy(m->help, help ? help : "", sizeof m->help - 1);
    atomic_store(&m->value, 0);
    m->histogram = NULL;
    return m;
}

metric_t *metrics_register(metric_kind_t kind, const char *name, const char *labels,
                           const char *help)
{
    assert(kind != METRIC_HISTOGRAM && "use metrics_register_histogram");
    if (kind == METRIC_HISTOGRAM)
        abort();
    labels = labels ? labels : "";
    metric_t *m = s_find(name, labels);
    return m ? m : s_add(kind, name, labels, help);
}

metric_t *metrics_register_histogram(const char *name, const char *labels, const char *help,
                                     const double *bounds, size_t n)
{
    labels = labels ? labels : "";
    metric_t *m = s_find(name, labels);
    if (m)
        return m;
    bool valid = n >= 1 && n <= METRIC_BOUNDS_MAX;
    for (size_t i = 0; valid && i < n; i++)
        valid = isfinite(bounds[i]) && (i == 0 || bounds[i] > bounds[i - 1]);
    assert(valid && "histogram bounds: 1..METRIC_BOUNDS_MAX finite, strictly increasing");
    s_histogram_t *h = calloc(1, sizeof *h);
    if (!valid || !h)
        abort(); /* start-up, a few hundred bytes: nothing sensible to go on with */
    pthread_mutex_init(&h->lock, NULL);
    h->n = n;
    memcpy(h->bounds, bounds, n * sizeof *bounds);
    m = s_add(METRIC_HISTOGRAM, name, labels, help);
    m->histogram = h;
    return m;
}

void metric_add(metric_t *metric, int64_t delta)
{
    atomic_fetch_add_explicit(&metric->value, delta, memory_order_relaxed);
}

void metric_set(metric_t *metric, int64_t value)
{
    atomic_store_explicit(&metric->value, value, memory_order_relaxed);
}

void metric_observe(metric_t *metric, double value)
{
    s_histogram_t *h = metric->histogram;
    assert(h && "metric_observe on a counter or gauge");
    if (!h || isnan(value))
        return;
    /* Linear: at most METRIC_BOUNDS_MAX comparisons, cheaper than the lock around them. */
    size_t i = 0;
    while (i < h->n && value > h->bounds[i])
        i++;
    pthread_mutex_lock(&h->lock);
    h->counts[i]++;
    h->count++;
    h->sum += value;
    pthread_mutex_unlock(&h->lock);
}

int64_t metric_value(const metric_t *metric)
{
    s_histogram_t *h = metric->histogram;
    if (h) {
        pthread_mutex_lock(&h->lock);
        int64_t count = (int64_t)h->count;
        pthread_mutex_unlock(&h->lock);
        return count;
    }
    return atomic_load_explicit(&((metric_t *)metric)->value, memory_order_relaxed);
}

/* The shortest text that reads back as value, with at least 6 significant digits' room before an
 * exponent ("0.005", "10", "120000", "1e+06"), as Prometheus' own Go clients write floats; +Inf,
 * -Inf and NaN by their exposition names. */
static void s_format_double(char *out, size_t size, double value)
{
    if (isinf(value)) {
        snprintf(out, size, "%sInf", value > 0 ? "+" : "-");
        return;
    }
    if (isnan(value)) {
        snprintf(out, size, "NaN");
        return;
    }
    for (int precision = 6; precision <= 17; precision++) {
        snprintf(out, size, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            return;
    }
}

static void s_render_histogram(jsonbuf_t *out, const metric_t *m)
{
    s_histogram_t *h = m->histogram;
    uint64_t counts[METRIC_BOUNDS_MAX + 1];
    pthread_mutex_lock(&h->lock);
    memcpy(counts, h->counts, sizeof counts);
    double sum = h->sum;
    uint64_t count = h->count;
    pthread_mutex_unlock(&h->lock);
    /* le joins the registered labels: {k="a",le="1"}, or {le="1"} without any. */
    const char *comma = m->labels[0] ? "," : "";
    uint64_t cumulative = 0;
    char number[32];
    for (size_t i = 0; i <= h->n; i++) {
        cumulative += counts[i];
        s_format_double(number, sizeof number, i < h->n ? h->bounds[i] : INFINITY);
        jsonbuf_appendf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", m->name, m->labels, comma, number,
                        (unsigned long long)cumulative);
    }
    s_format_double(number, sizeof number, sum);
    if (m->labels[0]) {
        jsonbuf_appendf(out, "%s_sum{%s} %s\n", m->name, m->labels, number);
        jsonbuf_appendf(out, "%s_count{%s} %llu\n", m->name, m->labels, (unsigned long long)count);
    } else {
        jsonbuf_appendf(out, "%s_sum %s\n", m->name, number);
        jsonbuf_appendf(out, "%s_count %llu\n", m->name, (unsigned long long)count);
    }
}

static const char *s_type_name(metric_kind_t kind)
{
    switch (kind) {
    case METRIC_COUNTER:
        return "counter";
    case METRIC_GAUGE:
        return "gauge";
    case METRIC_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

static pthread_mutex_t s_extra_lock = PTHREAD_MUTEX_INITIALIZER;
static char *s_extra;

void metrics_set_extra(const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    pthread_mutex_lock(&s_extra_lock);
    free(s_extra);
    s_extra = copy;
    pthread_mutex_unlock(&s_extra_lock);
}

char *metrics_render(void)
{
    jsonbuf_t out;
    jsonbuf_init(&out);
    /* A family's samples must stand together: for each name in order of first registration,
     * HELP/TYPE once, then every label set of that name. O(n^2) over <= METRICS_MAX. */
    for (int i = 0; i < s_count; i++) {
        const metric_t *first = &s_metrics[i];
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(s_metrics[j].name, first->name) == 0;
        if (seen)
            continue;
        jsonbuf_appendf(&out, "# HELP %s %s\n# TYPE %s %s\n", first->name, first->help, first->name,
                        s_type_name(first->kind));
        for (int j = i; j < s_count; j++) {
            const metric_t *m = &s_metrics[j];
            if (strcmp(m->name, first->name) != 0)
                continue;
            if (m->histogram)
                s_render_histogram(&out, m);
            else if (m->labels[0])
                jsonbuf_appendf(&out, "%s{%s} %lld\n", m->name, m->labels,
                                (long long)metric_value(m));
            else
                jsonbuf_appendf(&out, "%s %lld\n", m->name, (long long)metric_value(m));
        }
    }
    pthread_mutex_lock(&s_extra_lock);
    if (s_extra)
        jsonbuf_append(&out, s_extra);
    pthread_mutex_unlock(&s_extra_lock);
    if (!out.data)
        jsonbuf_append(&out, "");
    return jsonbuf_take(&out, NULL);
}

void metrics_reset(void)
{
    for (int i = 0; i < s_count; i++) {
        if (s_metrics[i].histogram) {
            pthread_mutex_destroy(&s_metrics[i].histogram->lock);
            free(s_metrics[i].histogram);
        }
    }
    memset(s_metrics, 0, sizeof s_metrics);
    s_count = 0;
    metrics_set_extra(NULL);
}
