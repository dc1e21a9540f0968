/* webhook: a batch of POSTs against a real HTTP server (httpd) on loopback. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "httpd.h"
#include "notifier/webhook.h"

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_seen[1024];

static void s_receiver(void *arg, const http_request_t *req, http_response_t *res)
{
    const char *id = http_request_header(req, "X-Gridline-Alert-Id");
    const char *sub = http_request_header(req, "X-Gridline-Subscription");
    pthread_mutex_lock(&s_lock);
    size_t len = strlen(s_seen);
    snprintf(s_seen + len, sizeof s_seen - len, "%s/%s/%.*s ", id ? id : "-", sub ? sub : "-",
             (int)req->body_len, req->body);
    pthread_mutex_unlock(&s_lock);
    if (strcmp(req->path, "/fail") == 0)
        http_response_error(res, 503, "unavailable", NULL, "try later");
    else
        http_response_text(res, 200, "application/json", "{\"ok\":true}");
}

static void test_batch_outcomes(void **state)
{
    httpd_t *http = httpd_new("127.0.0.1", 0, 4096, 4, s_receiver, NULL, NULL);
    assert_non_null(http);
    char ok_url[128], fail_url[128];
    snprintf(ok_url, sizeof ok_url, "http://127.0.0.1:%d/hook", httpd_port(http));
    snprintf(fail_url, sizeof fail_url, "http://127.0.0.1:%d/fail", httpd_port(http));
    webhook_t *hooks = webhook_new(2000);
    assert_non_null(hooks);
    webhook_post_t posts[] = {
        {.url = ok_url, .body = "{\"a\":1}", .alert_id = "A:2", .subscription = "s1"},
        {.url = fail_url, .body = "{}", .alert_id = "B:2", .subscription = "s2"},
        {.url = "http://127.0.0.1:9/closed", .body = "{}", .alert_id = "C:2", .subscription = "s3"},
        {.url = ok_url, .body = "{\"d\":4}", .alert_id = "D:2", .subscription = "s1"},
    };
    for (int round = 0; round < 2; round++) { /* the second batch reuses the handles */
        s_seen[0] = '\0';
        webhook_post_all(hooks, posts, 4);
        assert_true(posts[0].ok);
        assert_int_equal(posts[0].status, 200);
        assert_false(posts[1].ok);
        assert_string_equal(posts[1].error, "HTTP 503");
        assert_false(posts[2].ok);
        assert_true(strlen(posts[2].error) > 0);
        assert_true(posts[3].ok);
        assert_non_null(strstr(s_seen, "A:2/s1/{\"a\":1} "));
        assert_non_null(strstr(s_seen, "D:2/s1/{\"d\":4} "));
        assert_non_null(strstr(s_seen, "B:2/s2/{} "));
    }
    webhook_post_all(hooks, posts, 0);
    webhook_destroy(&hooks);
    assert_null(hooks);
    httpd_destroy(&http);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_outcomes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
