/* dashboard: which paths are the dashboard's, the files it serves from a directory (types, the
 * index), and what it refuses (.., dot files, sub-paths, unknown types, non-files, methods). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aggregator/dashboard.h"

static char s_dir[64];

static void s_put(const char *name, const char *text, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static int s_setup(void **state)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/gridline-dash.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    s_put("index.html", "<html>wall</html>", 17);
    s_put("app.js", "var a;", 6);
    s_put("style.css", "a{}", 3);
    s_put("logo.png", "\x89PNG\r\n\x1a\n\0\0", 10);
    s_put("notes.txt", "no", 2);
    s_put(".secret.js", "no", 2);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub.js", s_dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    return 0;
}

static int s_teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void s_free(http_response_t *res)
{
    free(res->body);
    for (int i = 0; i < res->header_count; i++)
        free(res->headers[i]);
    free(res->headers);
    memset(res, 0, sizeof *res);
}

/* Serves method path; returns the status, the body and type in res (free with s_free). */
static int s_get(const char *method, const char *path, http_response_t *res)
{
    memset(res, 0, sizeof *res);
    http_request_t req = {.method = method, .path = path, .body = ""};
    dashboard_serve(s_dir, &req, res);
    return res->status;
}

static void test_paths(void **state)
{
    assert_true(dashboard_path("/dashboard"));
    assert_true(dashboard_path("/dashboard/"));
    assert_true(dashboard_path("/dashboard/app.js"));
    assert_false(dashboard_path("/dashboardx"));
    assert_false(dashboard_path("/v1/stats"));
    assert_false(dashboard_path("/"));
}

static void test_files(void **state)
{
    http_response_t res;
    const char *index_paths[] = {"/dashboard", "/dashboard/", "/dashboard/index.html"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s_get("GET", index_paths[i], &res), 200);
        assert_string_equal(res.content_type, "text/html; charset=utf-8");
        assert_int_equal(res.body_len, 17);
        assert_memory_equal(res.body, "<html>wall</html>", 17);
        s_free(&res);
    }
    assert_int_equal(s_get("GET", "/dashboard/app.js", &res), 200);
    assert_string_equal(res.content_type, "text/javascript; charset=utf-8");
    s_free(&res);
    assert_int_equal(s_get("HEAD", "/dashboard/style.css", &res), 200);
    assert_string_equal(res.content_type, "text/css; charset=utf-8");
    s_free(&res);
    /* bytes with NULs arrive whole */
    assert_int_equal(s_get("GET", "/dashboard/logo.png", &res), 200);
    assert_string_equal(res.content_type, "image/png");
    assert_int_equal(res.body_len, 10);
    assert_memory_equal(res.body, "\x89PNG\r\n\x1a\n\0\0", 10);
    s_free(&res);
}

static void test_refusals(void **state)
{
    const char *refused[] = {
        "/dashboard/../index.html", "/dashboard/..",         "/dashboard/./app.js",
        "/dashboard/x/app.js",      "/dashboard/.secret.js", "/dashboard/notes.txt",
        "/dashboard/sub.js",        "/dashboard/nope.js",    "/dashboard/app.js/",
        "/dashboard//app.js",       "/dashboard/a%2fb.js",   "/dashboard/app..js",
    };
    http_response_t res;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(s_get("GET", refused[i], &res), 404);
        s_free(&res);
    }
    assert_int_equal(s_get("POST", "/dashboard/app.js", &res), 405);
    s_free(&res);
    /* a directory that is not there: 404, not a crash */
    memset(&res, 0, sizeof res);
    http_request_t req = {.method = "GET", .path = "/dashboard", .body = ""};
    dashboard_serve("/nonexistent/gridline", &req, &res);
    assert_int_equal(res.status, 404);
    s_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
