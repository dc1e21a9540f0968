/* metrics: the Prometheus text exposition, histograms most of all (checked line by line, and by
 * promtool when it is installed). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"

static const double s_bounds[] = {0.005, 0.1, 1, 2.5, 10};

static void test_histogram_exposition(void **state)
{
    metrics_reset();
    metric_t *a =
        metrics_register_histogram("job_seconds", "target=\"wecom\"", "time per job", s_bounds, 5);
    metrics_register(METRIC_COUNTER, "jobs_total", NULL, "jobs");
    metric_t *b = metrics_register_histogram("job_seconds", "target=\"webhook\"", "time per job",
                                             s_bounds, 5);
    metric_t *plain = metrics_register_histogram("size_bytes", NULL, "sizes", s_bounds + 2, 2);
    assert_ptr_equal(a, metrics_register_histogram("job_seconds", "target=\"wecom\"",
                                                   "time per job", s_bounds, 5));
    metric_observe(a, 0.005); /* on a bound: counted in that bucket (le) */
    metric_observe(a, 0.05);
    metric_observe(a, 3);
    metric_observe(a, 1000);      /* above every bound: +Inf only */
    metric_observe(a, 0.0 / 0.0); /* NaN: ignored */
    metric_observe(b, 0.5);
    metric_observe(plain, 7);
    assert_int_equal(metric_value(a), 4);
    char *text = metrics_render();
    assert_string_equal(text, "# HELP job_seconds time per job\n"
                              "# TYPE job_seconds histogram\n"
                              "job_seconds_bucket{target=\"wecom\",le=\"0.005\"} 1\n"
                              "job_seconds_bucket{target=\"wecom\",le=\"0.1\"} 2\n"
                              "job_seconds_bucket{target=\"wecom\",le=\"1\"} 2\n"
                              "job_seconds_bucket{target=\"wecom\",le=\"2.5\"} 2\n"
                              "job_seconds_bucket{target=\"wecom\",le=\"10\"} 3\n"
                              "job_seconds_bucket{target=\"wecom\",le=\"+Inf\"} 4\n"
                              "job_seconds_sum{target=\"wecom\"} 1003.055\n"
                              "job_seconds_count{target=\"wecom\"} 4\n"
                              "job_seconds_bucket{target=\"webhook\",le=\"0.005\"} 0\n"
                              "job_seconds_bucket{target=\"webhook\",le=\"0.1\"} 0\n"
                              "job_seconds_bucket{target=\"webhook\",le=\"1\"} 1\n"
                              "job_seconds_bucket{target=\"webhook\",le=\"2.5\"} 1\n"
                              "job_seconds_bucket{target=\"webhook\",le=\"10\"} 1\n"
                              "job_seconds_bucket{target=\"webhook\",le=\"+Inf\"} 1\n"
                              "job_seconds_sum{target=\"webhook\"} 0.5\n"
                              "job_seconds_count{target=\"webhook\"} 1\n"
                              "# HELP jobs_total jobs\n"
                              "# TYPE jobs_total counter\n"
                              "jobs_total 0\n"
                              "# HELP size_bytes sizes\n"
                              "# TYPE size_bytes histogram\n"
                              "size_bytes_bucket{le=\"1\"} 0\n"
                              "size_bytes_bucket{le=\"2.5\"} 0\n"
                              "size_bytes_bucket{le=\"+Inf\"} 1\n"
                              "size_bytes_sum 7\n"
                              "size_bytes_count 1\n");
    free(text);
    metrics_reset();
}

static void test_histogram_empty(void **state)
{
    metrics_reset();
    const double one[] = {1e6};
    metrics_register_histogram("h", NULL, "h", one, 1);
    char *text = metrics_render();
    assert_string_equal(text, "# HELP h h\n# TYPE h histogram\n"
                              "h_bucket{le=\"1e+06\"} 0\nh_bucket{le=\"+Inf\"} 0\n"
                              "h_sum 0\nh_count 0\n");
    free(text);
    metrics_reset();
}

/* Four threads observing at once: nothing lost, and the count agrees with the +Inf bucket. */
enum { S_THREADS = 4, S_EACH = 20000 };

static void *s_observer(void *arg)
{
    for (int i = 0; i < S_EACH; i++)
        metric_observe(arg, (i % 4) * 1.0); /* 0, 1, 2, 3: exact sums */
    return NULL;
}

static void test_histogram_threads(void **state)
{
    metrics_reset();
    metric_t *h = metrics_register_histogram("t_seconds", NULL, "t", s_bounds, 5);
    pthread_t threads[S_THREADS];
    for (int i = 0; i < S_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_observer, h), 0);
    for (int i = 0; i < S_THREADS; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(metric_value(h), S_THREADS * S_EACH);
    char *text = metrics_render();
    char line[128];
    snprintf(line, sizeof line, "t_seconds_bucket{le=\"+Inf\"} %d\n", S_THREADS * S_EACH);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "t_seconds_bucket{le=\"1\"} %d\n", S_THREADS * S_EACH / 2);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "t_seconds_sum %d\n", S_THREADS * S_EACH / 4 * 6);
    assert_non_null(strstr(text, line));
    free(text);
    metrics_reset();
}

/* promtool (Debian package prometheus, a test-only tool) reads the exposition as Prometheus
 * would and lints it. Skipped, saying so, where it is not installed. */
static void test_promtool_accepts_exposition(void **state)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        printf("# skip: promtool not installed (apt-get install prometheus)\n");
        skip();
    }
    metrics_reset();
    metric_t *c = metrics_register(METRIC_COUNTER, "gridline_test_events_total", "result=\"ok\"",
                                   "events by result");
    metrics_register(METRIC_COUNTER, "gridline_test_events_total", "result=\"failed\"",
                     "events by result");
    metrics_register(METRIC_GAUGE, "gridline_test_queue_depth", NULL, "queued events");
    metric_t *h = metrics_register_histogram("gridline_test_delivery_seconds", "target=\"wecom\"",
                                             "delivery time", s_bounds, 5);
    metrics_register_histogram("gridline_test_delivery_seconds", "target=\"webhook\"",
                               "delivery time", s_bounds, 5);
    metric_add(c, 3);
    metric_observe(h, 0.25);
    metric_observe(h, 12);
    char *text = metrics_render();
    char path[] = "/tmp/gridline-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char command[256];
    snprintf(command, sizeof command, "promtool check metrics <%s 2>&1", path);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    char said[1024] = "";
    size_t n = fread(said, 1, sizeof said - 1, p);
    said[n] = '\0';
    int rc = pclose(p);
    unlink(path);
    if (rc != 0 || n != 0)
        printf("promtool said (exit %d):\n%s\non:\n%s", WEXITSTATUS(rc), said, text);
    assert_int_equal(rc, 0);
    assert_int_equal(n, 0);
    free(text);
    metrics_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_exposition),
        cmocka_unit_test(test_histogram_empty),
        cmocka_unit_test(test_histogram_threads),
        cmocka_unit_test(test_promtool_accepts_exposition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
