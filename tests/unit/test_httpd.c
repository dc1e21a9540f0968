/* httpd + metrics: real HTTP over loopback (libcurl as the client). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

/* --- per-thread state: thread_init / thread_fini ------------------------------------------ */

typedef struct {
    pthread_t owner;
    int requests;
    int healths;
    int finished;
    bool finished_on_owner;
} s_lane_t;

enum { S_MAX_LANES = 16 };
static pthread_mutex_t s_lanes_lock = PTHREAD_MUTEX_INITIALIZER;
static s_lane_t *s_lanes[S_MAX_LANES];
static int s_lane_count, s_fini_count, s_init_failures_left;

static void *s_lane_init(void *arg)
{
    /* No cmocka asserts here (an HTTP thread): a NULL makes the request fail instead. */
    s_lane_t *lane = NULL;
    pthread_mutex_lock(&s_lanes_lock);
    if (s_init_failures_left > 0)
        s_init_failures_left--;
    else if (arg == &s_lanes && s_lane_count < S_MAX_LANES)
        lane = calloc(1, sizeof *lane);
    if (lane) {
        lane->owner = pthread_self();
        s_lanes[s_lane_count++] = lane;
    }
    pthread_mutex_unlock(&s_lanes_lock);
    return lane;
}

static void s_lane_fini(void *arg, void *state)
{
    s_lane_t *lane = state;
    pthread_mutex_lock(&s_lanes_lock);
    lane->finished++;
    lane->finished_on_owner = pthread_equal(lane->owner, pthread_self());
    s_fini_count++;
    pthread_mutex_unlock(&s_lanes_lock);
    /* the test reads the counters after httpd_destroy, then frees the lanes */
}

static void s_lanes_reset(void)
{
    for (int i = 0; i < s_lane_count; i++)
        free(s_lanes[i]);
    s_lane_count = s_fini_count = s_init_failures_left = 0;
}

static void s_lane_handler(void *arg, const http_request_t *req, http_response_t *res)
{
    s_lane_t *lane = req->thread;
    if (!lane || !pthread_equal(lane->owner, pthread_self())) {
        http_response_error(res, 500, "wrong_state", NULL, "state of another thread");
        return;
    }
    pthread_mutex_lock(&s_lanes_lock); /* the test thread reads it (helgrind cannot see that
                                          the HTTP answer orders the two) */
    lane->requests++;
    pthread_mutex_unlock(&s_lanes_lock);
    if (strcmp(req->path, "/slow") == 0)
        usleep(50 * 1000); /* keeps this thread busy, so other threads take the other requests */
    char text[32];
    snprintf(text, sizeof text, "%p", (void *)lane);
    http_response_text(res, 200, "text/plain", text);
}

static int s_lane_health(void *arg, void *thread, char *why, size_t whylen)
{
    s_lane_t *lane = thread;
    if (!lane || !pthread_equal(lane->owner, pthread_self())) {
        snprintf(why, whylen, "no state of this thread");
        return -1;
    }
    pthread_mutex_lock(&s_lanes_lock);
    lane->healths++;
    pthread_mutex_unlock(&s_lanes_lock);
    return 0;
}

static httpd_t *s_lane_httpd(int threads)
{
    httpd_options_t options = {.host = "127.0.0.1",
                               .max_body = 1024,
                               .threads = threads,
                               .handler = s_lane_handler,
                               .health = s_lane_health,
                               .arg = &s_lanes,
                               .thread_init = s_lane_init,
                               .thread_fini = s_lane_fini};
    httpd_t *http = httpd_start(&options);
    assert_non_null(http);
    return http;
}

/* Many requests at once (curl multi, one connection each); every status must be 200. */
static void s_parallel_get(int port, const char *path, int n)
{
    CURLM *multi = curl_multi_init();
    CURL *easy[64];
    jsonbuf_t out[64];
    assert_true(n <= 64);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    for (int i = 0; i < n; i++) {
        jsonbuf_init(&out[i]);
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &out[i]);
        curl_easy_setopt(easy[i], CURLOPT_FORBID_REUSE, 1L);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1;
    while (running) {
        assert_int_equal(curl_multi_perform(multi, &running), CURLM_OK);
        if (running)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < n; i++) {
        long status = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
        assert_int_equal(status, 200);
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
        jsonbuf_release(&out[i]);
    }
    curl_multi_cleanup(multi);
}

static void test_thread_state_per_thread(void **state)
{
    metrics_reset();
    s_lanes_reset();
    httpd_t *http = s_lane_httpd(4);
    int port = httpd_port(http);
    s_parallel_get(port, "/slow", 24);
    char *body;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(s_request(port, "/healthz", NULL, 0, &body, NULL), 200);
        free(body);
    }
    /* One state per thread that served something: several threads, never more than the pool. */
    pthread_mutex_lock(&s_lanes_lock);
    int lanes = s_lane_count, requests = 0, healths = 0;
    assert_true(lanes >= 2 && lanes <= 4);
    for (int i = 0; i < lanes; i++) {
        for (int j = 0; j < i; j++)
            assert_false(pthread_equal(s_lanes[i]->owner, s_lanes[j]->owner));
        requests += s_lanes[i]->requests;
        healths += s_lanes[i]->healths;
    }
    assert_int_equal(s_fini_count, 0); /* the threads are still there */
    pthread_mutex_unlock(&s_lanes_lock);
    assert_int_equal(requests, 24);
    assert_int_equal(healths, 8);

    httpd_destroy(&http);
    assert_null(http);
    /* MHD_stop_daemon ended the threads: each state was finished once, on its own thread. */
    assert_int_equal(s_fini_count, lanes);
    for (int i = 0; i < lanes; i++) {
        assert_int_equal(s_lanes[i]->finished, 1);
        assert_true(s_lanes[i]->finished_on_owner);
    }
    s_lanes_reset();
}

static void test_thread_state_one_thread(void **state)
{
    metrics_reset();
    s_lanes_reset();
    httpd_t *http = s_lane_httpd(1);
    char *body;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(s_request(httpd_port(http), "/fast", NULL, 0, &body, NULL), 200);
        free(body);
    }
    assert_int_equal(s_lane_count, 1);
    assert_int_equal(s_lanes[0]->requests, 5);
    httpd_destroy(&http);
    assert_int_equal(s_fini_count, 1);
    assert_int_equal(s_lanes[0]->finished, 1);
    s_lanes_reset();

    /* A server that never served a request made no state and finishes none. */
    http = s_lane_httpd(3);
    httpd_destroy(&http);
    assert_int_equal(s_lane_count, 0);
    assert_int_equal(s_fini_count, 0);
}

static void test_thread_init_failure_is_retried(void **state)
{
    metrics_reset();
    s_lanes_reset();
    s_init_failures_left = 2;
    httpd_t *http = s_lane_httpd(1);
    int port = httpd_port(http);
    char *body;
    assert_int_equal(s_request(port, "/fast", NULL, 0, &body, NULL), 503);
    assert_non_null(strstr(body, "\"code\":\"unavailable\""));
    free(body);
    assert_int_equal(s_request(port, "/healthz", NULL, 0, &body, NULL), 503);
    assert_non_null(strstr(body, "resources"));
    free(body);
    assert_int_equal(s_request(port, "/fast", NULL, 0, &body, NULL), 200);
    free(body);
    assert_int_equal(s_request(port, "/healthz", NULL, 0, &body, NULL), 200);
    free(body);
    assert_int_equal(s_lane_count, 1);
    httpd_destroy(&http);
    assert_int_equal(s_fini_count, 1);
    s_lanes_reset();
}

static void test_options_refused(void **state)
{
    httpd_options_t options = {.host = "127.0.0.1", .handler = s_lane_handler};
    options.thread_init = s_lane_init; /* without thread_fini */
    assert_null(httpd_start(&options));
    options.thread_init = NULL;
    options.host = "localhost"; /* not an IPv4 address */
    assert_null(httpd_start(&options));
}

/* --- response headers ---------------------------------------------------------------------- */

static void s_headers_handler(void *arg, const http_request_t *req, http_response_t *res)
{
    if (strcmp(req->path, "/none") == 0)
        return; /* no body: a 500, logged */
    http_response_text(res, 200, "text/plain", "ok");
    int n = strcmp(req->path, "/many") == 0 ? 40 : 1;
    for (int i = 0; i < n; i++) {
        char name[16], value[16];
        snprintf(name, sizeof name, "X-H-%d", i);
        snprintf(value, sizeof value, "v%d", i);
        http_response_header(res, name, value);
    }
    if (strcmp(req->path, "/crlf") == 0)
        http_response_header(res, "X-Bad", "a\r\nSet-Cookie: x=1");
}

static size_t s_all_headers(char *ptr, size_t size, size_t n, void *arg)
{
    jsonbuf_appendn(arg, ptr, size * n);
    return size * n;
}

static long s_get_with_headers(int port, const char *path, char **body, char **headers)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    jsonbuf_t out, head;
    jsonbuf_init(&out);
    jsonbuf_init(&head);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_all_headers);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    *body = jsonbuf_take(&out, NULL);
    *headers = jsonbuf_take(&head, NULL);
    return status;
}

static void test_response_headers(void **state)
{
    metrics_reset();
    httpd_t *http = httpd_new("127.0.0.1", 0, 1024, 2, s_headers_handler, NULL, NULL);
    assert_non_null(http);
    int port = httpd_port(http);
    char *body, *headers;

    assert_int_equal(s_get_with_headers(port, "/many", &body, &headers), 200);
    assert_string_equal(body, "ok");
    for (int i = 0; i < 40; i++) {
        char line[32];
        snprintf(line, sizeof line, "X-H-%d: v%d\r\n", i, i);
        assert_non_null(strstr(headers, line));
    }
    free(body);
    free(headers);

    /* A header that would split the response is refused as a whole: 500, never half of it. */
    assert_int_equal(s_get_with_headers(port, "/crlf", &body, &headers), 500);
    assert_non_null(strstr(body, "\"code\":\"internal\""));
    assert_null(strstr(headers, "Set-Cookie"));
    assert_null(strstr(headers, "X-H-0"));
    free(body);
    free(headers);

    assert_int_equal(s_get_with_headers(port, "/none", &body, &headers), 500);
    assert_non_null(strstr(body, "\"code\":\"internal\""));
    free(body);
    free(headers);

    assert_int_equal(s_get_with_headers(port, "/metrics", &body, &headers), 200);
    assert_non_null(strstr(body, "gridline_http_responses_total{class=\"5xx\"} 2"));
    free(body);
    free(headers);
    httpd_destroy(&http);
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

/* --- streams ------------------------------------------------------------------------------- */

/* A stream of `chunks` numbered lines, one each `gap_ms`, with fn answering 0 in between; or,
 * with chunks < 0, a stream that never says anything. */
typedef struct {
    int chunks;
    int sent;
    int gap_ms;
    int64_t next_ms;
} s_ticker_t;

static pthread_mutex_t s_streams_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_streams_freed, s_stream_calls_empty;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t s_ticker_read(void *arg, char *buf, size_t max)
{
    s_ticker_t *ticker = arg;
    if (ticker->chunks >= 0 && ticker->sent == ticker->chunks)
        return -1;
    if (ticker->chunks < 0 || s_now_ms() < ticker->next_ms) {
        pthread_mutex_lock(&s_streams_lock);
        s_stream_calls_empty++;
        pthread_mutex_unlock(&s_streams_lock);
        return 0;
    }
    ticker->next_ms = s_now_ms() + ticker->gap_ms;
    return snprintf(buf, max, "line %d\n", ticker->sent++);
}

static void s_ticker_free(void *arg)
{
    pthread_mutex_lock(&s_streams_lock);
    s_streams_freed++;
    pthread_mutex_unlock(&s_streams_lock);
    free(arg);
}

static int s_freed(void)
{
    pthread_mutex_lock(&s_streams_lock);
    int n = s_streams_freed;
    pthread_mutex_unlock(&s_streams_lock);
    return n;
}

/* Waits (up to ms) until `n` streams have been freed; whether they were. */
static bool s_wait_freed(int n, int ms)
{
    for (int waited = 0; waited < ms && s_freed() < n; waited += 10)
        usleep(10 * 1000);
    return s_freed() >= n;
}

static void s_stream_handler(void *arg, const http_request_t *req, http_response_t *res)
{
    if (strcmp(req->path, "/plain") == 0) {
        http_response_text(res, 200, "text/plain", "plain");
        return;
    }
    s_ticker_t *ticker = calloc(1, sizeof *ticker);
    ticker->chunks = strcmp(req->path, "/quiet") == 0 ? -1 : 10;
    ticker->gap_ms = 200;
    if (strcmp(req->path, "/bad") == 0) {
        /* a stream whose response fails before it is sent still frees its arg */
        http_response_stream(res, 200, "text/plain", s_ticker_read, ticker, s_ticker_free);
        http_response_header(res, "X-Bad", "a\r\nb");
        return;
    }
    if (strcmp(req->path, "/replaced") == 0) {
        /* replaced by an ordinary body: the stream's arg is freed then */
        http_response_stream(res, 200, "text/plain", s_ticker_read, ticker, s_ticker_free);
        http_response_text(res, 200, "text/plain", "replaced");
        return;
    }
    http_response_stream(res, 200, "text/event-stream", s_ticker_read, ticker, s_ticker_free);
    http_response_header(res, "X-Stream", "yes");
}

static httpd_t *s_stream_httpd(void)
{
    pthread_mutex_lock(&s_streams_lock);
    s_streams_freed = s_stream_calls_empty = 0;
    pthread_mutex_unlock(&s_streams_lock);
    metrics_reset();
    httpd_t *http = httpd_new("127.0.0.1", 0, 1024, 2, s_stream_handler, NULL, NULL);
    assert_non_null(http);
    return http;
}

static const char s_ten_lines[] = "line 0\nline 1\nline 2\nline 3\nline 4\n"
                                  "line 5\nline 6\nline 7\nline 8\nline 9\n";

static void test_stream_arrives_whole(void **state)
{
    httpd_t *http = s_stream_httpd();
    char *body, *headers;
    assert_int_equal(s_get_with_headers(httpd_port(http), "/ticker", &body, &headers), 200);
    assert_string_equal(body, s_ten_lines);
    assert_non_null(strstr(headers, "X-Stream: yes\r\n"));
    assert_non_null(strstr(headers, "Content-Type: text/event-stream\r\n"));
    assert_non_null(strstr(headers, "Transfer-Encoding: chunked\r\n"));
    free(body);
    free(headers);
    assert_true(s_wait_freed(1, 2000));
    /* 10 gaps of 200 ms with fn polled every HTTPD_STREAM_POLL_MS: a few empty calls per gap, not
     * a busy loop (which would make thousands). Generous bound. */
    pthread_mutex_lock(&s_streams_lock);
    int empty = s_stream_calls_empty;
    pthread_mutex_unlock(&s_streams_lock);
    assert_true(empty >= 1 && empty < 200);

    /* failing and replaced streams are freed too, once each */
    assert_int_equal(s_get_with_headers(httpd_port(http), "/bad", &body, &headers), 500);
    free(body);
    free(headers);
    assert_int_equal(s_get_with_headers(httpd_port(http), "/replaced", &body, &headers), 200);
    assert_string_equal(body, "replaced");
    free(body);
    free(headers);
    assert_true(s_wait_freed(3, 2000));
    httpd_destroy(&http);
    assert_int_equal(s_freed(), 3);
}

/* Two streams at once on a 2-thread httpd, and ordinary requests are still answered meanwhile:
 * a waiting stream holds no thread. */
static void test_streams_do_not_hold_threads(void **state)
{
    httpd_t *http = s_stream_httpd();
    int port = httpd_port(http);
    CURLM *multi = curl_multi_init();
    CURL *easy[2];
    jsonbuf_t out[2];
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ticker", port);
    for (int i = 0; i < 2; i++) {
        jsonbuf_init(&out[i]);
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &out[i]);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1, plain = 0;
    while (running) {
        assert_int_equal(curl_multi_perform(multi, &running), CURLM_OK);
        if (running && plain < 5) {
            /* both streams are open (or opening): ordinary requests must not wait for them */
            char *body;
            int64_t start = s_now_ms();
            assert_int_equal(s_request(port, "/plain", NULL, 0, &body, NULL), 200);
            assert_string_equal(body, "plain");
            assert_true(s_now_ms() - start < 1500);
            free(body);
            plain++;
        }
        if (running)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    assert_int_equal(plain, 5);
    for (int i = 0; i < 2; i++) {
        long status = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
        assert_int_equal(status, 200);
        jsonbuf_append(&out[i], "");
        assert_string_equal(out[i].data, s_ten_lines);
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
        jsonbuf_release(&out[i]);
    }
    curl_multi_cleanup(multi);
    assert_true(s_wait_freed(2, 2000));
    httpd_destroy(&http);
    assert_int_equal(s_freed(), 2);
}

/* Opens a stream on a raw socket and reads its response head; the socket. */
static int s_open_stream(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    char request[256];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    assert_int_equal(write(fd, request, (size_t)n), n);
    char head[1024];
    ssize_t got = read(fd, head, sizeof head - 1);
    assert_true(got > 0);
    head[got] = '\0';
    assert_non_null(strstr(head, "HTTP/1.1 200"));
    return fd;
}

/* After a stream has ended, its connection serves the next request (keep-alive). */
static void test_stream_keep_alive(void **state)
{
    httpd_t *http = s_stream_httpd();
    char url[256];
    CURL *c = curl_easy_init();
    for (int i = 0; i < 2; i++) {
        jsonbuf_t out;
        jsonbuf_init(&out);
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", httpd_port(http),
                 i == 0 ? "/ticker" : "/plain");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        long connects = -1;
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
        assert_int_equal(connects, i == 0 ? 1 : 0); /* the second reused the first's */
        jsonbuf_append(&out, "");
        assert_string_equal(out.data, i == 0 ? s_ten_lines : "plain");
        jsonbuf_release(&out);
    }
    curl_easy_cleanup(c);
    assert_true(s_wait_freed(1, 2000));
    httpd_destroy(&http);
    assert_int_equal(s_freed(), 1);
}

/* An HTTP/1.0 client has no chunked encoding: the body ends where the connection closes. */
static void test_stream_http10(void **state)
{
    httpd_t *http = s_stream_httpd();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)httpd_port(http))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    static const char request[] = "GET /ticker HTTP/1.0\r\n\r\n";
    assert_int_equal(write(fd, request, sizeof request - 1), (ssize_t)sizeof request - 1);
    jsonbuf_t all;
    jsonbuf_init(&all);
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        jsonbuf_appendn(&all, buf, (size_t)n);
    close(fd);
    jsonbuf_append(&all, "");
    assert_non_null(strstr(all.data, " 200 "));
    assert_null(strstr(all.data, "chunked"));
    const char *body = strstr(all.data, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, s_ten_lines);
    jsonbuf_release(&all);
    assert_true(s_wait_freed(1, 2000));
    httpd_destroy(&http);
    assert_int_equal(s_freed(), 1);
}

static void test_stream_client_gone(void **state)
{
    httpd_t *http = s_stream_httpd();
    int quiet = s_open_stream(httpd_port(http), "/quiet");
    int ticking = s_open_stream(httpd_port(http), "/ticker");
    usleep(300 * 1000);
    assert_int_equal(s_freed(), 0);
    close(quiet);
    close(ticking);
    /* both noticed within a few of the resumer's rounds, the quiet one by its socket */
    assert_true(s_wait_freed(2, 3000));
    httpd_destroy(&http);
    assert_int_equal(s_freed(), 2);
}

static void test_destroy_ends_streams(void **state)
{
    httpd_t *http = s_stream_httpd();
    int quiet = s_open_stream(httpd_port(http), "/quiet");
    int ticking = s_open_stream(httpd_port(http), "/ticker");
    usleep(300 * 1000); /* both have waited, so both are (or have been) suspended */
    int64_t start = s_now_ms();
    httpd_destroy(&http);
    assert_true(s_now_ms() - start < 2000);
    assert_int_equal(s_freed(), 2);
    /* the clients see their connection closed */
    char buf[4096];
    while (read(quiet, buf, sizeof buf) > 0)
        ;
    while (read(ticking, buf, sizeof buf) > 0)
        ;
    close(quiet);
    close(ticking);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_round_trip),
        cmocka_unit_test(test_thread_state_per_thread),
        cmocka_unit_test(test_thread_state_one_thread),
        cmocka_unit_test(test_thread_init_failure_is_retried),
        cmocka_unit_test(test_options_refused),
        cmocka_unit_test(test_response_headers),
        cmocka_unit_test(test_metrics_families_stay_together),
        cmocka_unit_test(test_stream_arrives_whole),
        cmocka_unit_test(test_streams_do_not_hold_threads),
        cmocka_unit_test(test_stream_keep_alive),
        cmocka_unit_test(test_stream_http10),
        cmocka_unit_test(test_stream_client_gone),
        cmocka_unit_test(test_destroy_ends_streams),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
