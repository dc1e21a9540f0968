#include "metrics.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbuf.h"

struct metric {
    metric_kind_t kind;
    char name[64];
    char labels[128];
    char help[128];
    _Atomic int64_t value;
};

static metric_t s_metrics[METRICS_MAX];
static int s_count;

metric_t *metrics_register(metric_kind_t kind, const char *name, const char *labels,
                           const char *help)
{
    labels = labels ? labels : "";
    for (int i = 0; i < s_count; i++)
        if (strcmp(s_metrics[i].name, name) == 0 && strcmp(s_metrics[i].labels, labels) == 0)
            return &s_metrics[i];
    assert(s_count < METRICS_MAX && "raise METRICS_MAX");
    if (s_count >= METRICS_MAX)
        abort();
    metric_t *m = &s_metrics[s_count++];
    m->kind = kind;
    strncpy(m->name, name, sizeof m->name - 1);
    strncpy(m->labels, labels, sizeof m->labels - 1);
    strncpy(m->help, help ? help : "", sizeof m->help - 1);
    atomic_store(&m->value, 0);
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

int64_t metric_value(const metric_t *metric)
{
    return atomic_load_explicit(&((metric_t *)metric)->value, memory_order_relaxed);
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
                        first->kind == METRIC_COUNTER ? "counter" : "gauge");
        for (int j = i; j < s_count; j++) {
            const metric_t *m = &s_metrics[j];
            if (strcmp(m->name, first->name) != 0)
                continue;
            if (m->labels[0])
                jsonbuf_appendf(&out, "%s{%s} %lld\n", m->name, m->labels,
                                (long long)metric_value(m));
            else
                jsonbuf_appendf(&out, "%s %lld\n", m->name, (long long)metric_value(m));
        }
    }
    if (!out.data)
        jsonbuf_append(&out, "");
    return jsonbuf_take(&out, NULL);
}

void metrics_reset(void)
{
    memset(s_metrics, 0, sizeof s_metrics);
    s_count = 0;
}
