/* httpd + metrics: real HTTP over loopback (libcurl as the client). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "httpd.h"
#include "jsonbuf.h"
#include "metrics.h"

static int s_healthy = 1;
static metric_t *s_calls;

static void s_handler(void *arg, const http_request_t *req, http_response_t *res)
{
    metric_add(s_calls, 1);
    if (strcmp(req->path, "/echo") == 0) {
        char *copy = malloc(req->body_len + 1);
        memcpy(copy, req->body, req->body_len + 1);
        http_response_json(res, 200, copy);
        const char *arg_x = http_request_arg(req, "x");
        http_response_header(res, "X-Arg", arg_x ? arg_x : "-");
        return;
    }
    http_response_error(res, 404, "not_found", "path", "no %s", req->path);
}

static int s_health(void *arg, char *why, size_t whylen)
{
    if (s_healthy)
        return 0;
    snprintf(why, whylen, "redis unreachable at 127.0.0.1:1: Connection refused");
    return -1;
}

static size_t s_collect(char *ptr, size_t size, size_t n, void *arg)
{
    jsonbuf_appendn(arg, ptr, size * n);
    return size * n;
}

static size_t s_header(char *ptr, size_t size, size_t n, void *arg)
{
    if (strncmp(ptr, "X-Arg: ", 7) == 0)
        snprintf(arg, 64, "%.*s", (int)(size * n - 9), ptr + 7);
    return size * n;
}

/* Returns the status; the body in *body (caller frees). */
static long s_request(int port, const char *path, const char *post, size_t post_len, char **body,
                      char *x_arg)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    jsonbuf_t out;
    jsonbuf_init(&out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    if (x_arg) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, x_arg);
    }
    if (post) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)post_len);
    }
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    *body = jsonbuf_take(&out, NULL);
    if (!*body)
        *body = strdup("");
    return status;
}

static void test_http_round_trip(void **state)
{
    metrics_reset();
    s_calls = metrics_register(METRIC_COUNTER, "test_calls_total", NULL, "handler calls");
    httpd_t *http = httpd_new("127.0.0.1", 0, 1024, 2, s_handler, s_health, NULL);
    assert_non_null(http);
    int port = httpd_port(http);
    assert_true(port > 0);
    char *body, xarg[64] = "";

    assert_int_equal(s_request(port, "/echo?x=42", "暖气不热", strlen("暖气不热"), &body, xarg),
                     200);
    assert_string_equal(body, "暖气不热");
    assert_string_equal(xarg, "42");
    free(body);

    assert_int_equal(s_request(port, "/nope", NULL, 0, &body, NULL), 404);
    assert_non_null(strstr(body, "\"field\":\"path\""));
    free(body);

    char *big = calloc(1, 2000);
    memset(big, 'a', 1999);
    assert_int_equal(s_request(port, "/echo", big, 1999, &body, NULL), 413);
    assert_non_null(strstr(body, "\"code\":\"too_large\""));
    free(body);
    free(big);

    assert_int_equal(s_request(port, "/healthz", NULL, 0, &body, NULL), 200);
    free(body);
    s_healthy = 0;
    assert_int_equal(s_request(port, "/healthz", NULL, 0, &body, NULL), 503);
    assert_non_null(strstr(body, "redis unreachable"));
    free(body);
    s_healthy = 1;

    assert_int_equal(s_request(port, "/metrics", NULL, 0, &body, NULL), 200);
    assert_non_null(strstr(body, "# TYPE test_calls_total counter\ntest_calls_total 2\n"));
    assert_non_null(strstr(body, "gridline_http_responses_total{class=\"4xx\"} 2"));
    free(body);
    httpd_destroy(&http);
    assert_null(http);
}

static void test_metrics_families_stay_together(void **state)
{
    metrics_reset();
    metric_t *a = metrics_register(METRIC_COUNTER, "m_total", "k=\"a\"", "help");
    metrics_register(METRIC_GAUGE, "g", NULL, "a gauge");
    metric_t *b = metrics_register(METRIC_COUNTER, "m_total", "k=\"b\"", "help");
    assert_ptr_equal(a, metrics_register(METRIC_COUNTER, "m_total", "k=\"a\"", "help"));
    metric_add(a, 2);
    metric_add(b, 3);
    char *text = metrics_render();
    assert_string_equal(text, "# HELP m_total help\n# TYPE m_total counter\n"
                              "m_total{k=\"a\"} 2\nm_total{k=\"b\"} 3\n"
                              "# HELP g a gauge\n# TYPE g gauge\ng 0\n");
    free(text);
    metrics_reset();
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_round_trip),
        cmocka_unit_test(test_metrics_families_stay_together),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
