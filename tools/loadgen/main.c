/* gridline-loadgen: demo traffic and benchmark driver for the intake API.
 *
 * One thread, one libcurl multi handle, up to --concurrency transfers in flight on kept-alive
 * connections. Appeals come from appeal_gen; main paces them (--rate), counts the answers, and
 * prints a summary. Loop: start what the pace allows, let curl work, collect what finished,
 * report once a second, sleep in curl_multi_poll until something happens. */
#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appeal_gen.h"
#include "cli.h"
#include "clock.h"
#include "gateway.h"

#define LOADGEN_REPLY_KEPT 300 /* bytes of a non-2xx answer shown on stderr */

static const char s_usage[] =
    "usage: gridline-loadgen --url URL [options]\n"
    "       gridline-loadgen --gateway tcp://HOST:PORT [options]\n"
    "\n"
    "POSTs realistic appeals to URL/v1/appeals, up to --concurrency at a time on kept-alive\n"
    "connections, and prints a summary. Exit status 0 if every answer was 2xx, 1 otherwise\n"
    "(non-2xx answers, connection errors, timeouts, an unusable regions file), 2 for bad flags.\n"
    "\n"
    "  --url URL          intake base URL, e.g. http://127.0.0.1:8080\n"
    "  --gateway EP       instead: protobuf Submissions to intake's ZeroMQ gateway\n"
    "                     (intake.gateway_port), --concurrency of them in flight on one\n"
    "                     DEALER connection; exit 0 if every one was answered without error\n"
    "  --token T          API token (default $GRIDLINE_TOKEN): Authorization: Bearer over\n"
    "                     HTTP, the submissions' token with --gateway\n"
    "  --replies FILE     gateway mode: one line per reply, \"request_id result id\n"
    "                     error_code error_field\" (\"-\" for empty)\n"
    "  --rate R           appeals per second, 0 = as fast as possible\n"
    "                     (default 0 with --count, else 1)\n"
    "  --count N          stop after N appeals\n"
    "  --duration S       stop starting appeals after S seconds (fractions allowed)\n"
    "                     (with neither --count nor --duration: run until SIGINT/SIGTERM)\n"
    "  --concurrency C    transfers in flight at most (default 4; 1..1000, with --gateway\n"
    "                     up to 100000 submissions)\n"
    "  --timeout-ms MS    give up on one request after MS ms (default 10000)\n"
    "  --regions FILE     regions CSV (default $GRIDLINE_REGIONS_FILE, else\n"
    "                     data/regions-nmg.csv)\n"
    "  --prefix DIGITS    draw villages whose code starts with DIGITS (default 15)\n"
    "  --seed S           the same seed gives the same appeals (default: from the clock)\n"
    "  --idempotency      send Idempotency-Key: lg-<seed>-<n> with each appeal\n"

    "  --json             summary as one JSON object\n"
    "  --quiet            no progress line on stderr (errors are still reported)\n"
    "  --help             this text\n"
    "\n"
    "Hotline appeals carry external_id 12345-<day>-<seed>-<n>: rerunning one seed on the same\n"
    "day against the same intake repeats them, and the intake answers 409.\n"
    "First SIGINT/SIGTERM: stop starting appeals, wait for those in flight, print the summary.\n"
    "A second one abandons those in flight (counted as errors).\n";

typedef struct {
    const char *url;
    double rate; /* < 0: not given */
    long count;  /* 0: no limit */
    double duration_s;
    long concurrency;
    long timeout_ms;
    const char *regions;
    const char *prefix;
    uint64_t seed;
    bool idempotency;
    bool json;
    bool quiet;
    const char *gateway;
    const char *token;
    const char *replies;
} s_options_t;

/* One reusable easy handle and the request it carries. */
typedef struct {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    int64_t started_us;
    bool busy;
    char error[CURL_ERROR_SIZE];
    char reply[LOADGEN_REPLY_KEPT + 1];
    size_t reply_len;
} s_transfer_t;

/* Latencies are kept exactly (4 bytes per answer: a day of demo traffic at 2/s is 0.7 MB),
 * so percentiles are exact rather than bucketed. */
typedef struct {
    uint32_t *us;
    size_t count, cap;
} s_latencies_t;

typedef struct {
    uint64_t started;
    uint64_t answered;
    uint64_t status[600];
    uint64_t other_status; /* outside 100..599, which a broken server could send */
    uint64_t errors;
    uint64_t non_2xx;
    s_latencies_t latencies;
} s_tally_t;

/* Says one thing at most once a second, and how many were held back meanwhile. */
typedef struct {
    int64_t last_us;
    uint64_t held;
} s_limiter_t;

static volatile sig_atomic_t s_signals;

static void s_on_signal(int signo)
{
    s_signals++;
}

static void s_parse_options(int argc, char **argv, s_options_t *options)
{
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},
        {"rate", required_argument, NULL, 'r'},
        {"count", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"concurrency", required_argument, NULL, 'c'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"regions", required_argument, NULL, 'R'},
        {"prefix", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},
        {"idempotency", no_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"gateway", required_argument, NULL, 'g'},
        {"token", required_argument, NULL, 'T'},
        {"replies", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    bool seeded = false;
    opterr = 0; /* our own messages, and exit status 2 */
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            options->url = optarg;
            break;
        case 'r':
            options->rate = cli_parse_double("--rate", optarg, 0, 1e6);
            break;
        case 'n':
            options->count = cli_parse_long("--count", optarg, 1, LONG_MAX);
            break;
        case 'd':
            options->duration_s = cli_parse_double("--duration", optarg, 0.001, 1e7);
            break;
        case 'c':
            options->concurrency = cli_parse_long("--concurrency", optarg, 1, 100000);
            break;
        case 't':
            options->timeout_ms = cli_parse_long("--timeout-ms", optarg, 1, 3600L * 1000);
            break;
        case 'R':
            options->regions = optarg;
            break;
        case 'p':
            options->prefix = optarg;
            break;
        case 's': {
            char *end = NULL;
            errno = 0;
            unsigned long long seed = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                cli_usage_error("--seed wants a whole number 0..%llu, not '%.40s'",
                                (unsigned long long)UINT64_MAX, optarg);
            options->seed = seed;
            seeded = true;
            break;
        }
        case 'i':
            options->idempotency = true;
            break;
        case 'j':
            options->json = true;
            break;
        case 'q':
            options->quiet = true;
            break;
        case 'g':
            options->gateway = optarg;
            break;
        case 'T':
            options->token = optarg;
            break;
        case 'P':
            options->replies = optarg;
            break;
        case 'h':
            fputs(s_usage, stdout);
            exit(0);
        case ':':
            cli_usage_error("%s needs a value", argv[optind - 1]);
        default:
            cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!options->token)
        options->token = getenv("GRIDLINE_TOKEN");
    if (!options->url && !options->gateway)
        cli_usage_error("--url (or --gateway) is required");
    if (options->url && options->gateway)
        cli_usage_error("--url and --gateway: one or the other");
    if (options->url && options->concurrency > 1000)
        cli_usage_error("--concurrency wants 1..1000 over HTTP (up to 100000 with --gateway)");
    if (options->gateway && strncmp(options->gateway, "tcp://", 6) != 0)
        cli_usage_error("--gateway wants tcp://HOST:PORT, not '%.60s'", options->gateway);
    if (options->url && strncmp(options->url, "http://", 7) != 0 &&
        strncmp(options->url, "https://", 8) != 0)
        cli_usage_error("--url must start with http:// or https://, not '%.60s'", options->url);
    if (!options->prefix[0] || strlen(options->prefix) > 12 ||
        strspn(options->prefix, "0123456789") != strlen(options->prefix))
        cli_usage_error("--prefix wants 1..12 digits of a region code, not '%.20s'",
                        options->prefix);
    if (options->rate < 0)
        options->rate = options->count ? 0 : 1;
    if (!options->regions) {
        const char *env = getenv("GRIDLINE_REGIONS_FILE");
        options->regions = env && *env ? env : "data/regions-nmg.csv";
    }
    if (!seeded) {
        /* 32 bits keep ids short; two runs meeting on one seed is a 1 in 4e9 event */
        options->seed = ((uint64_t)clock_wall_ms() * 1000003u ^ (uint64_t)clock_mono_us() ^
                         ((uint64_t)getpid() << 16)) &
                        0xFFFFFFFFu;
    }
}

static size_t s_on_reply(char *data, size_t size, size_t nmemb, void *arg)
{
    s_transfer_t *transfer = arg;
    size_t n = size * nmemb;
    size_t room = LOADGEN_REPLY_KEPT - transfer->reply_len;
    size_t keep = n < room ? n : room;
    memcpy(transfer->reply + transfer->reply_len, data, keep);
    transfer->reply_len += keep;
    transfer->reply[transfer->reply_len] = '\0';
    return n;
}

/* Options every request shares, set once: curl keeps them across reuse of the handle. */
static int s_transfer_init(s_transfer_t *transfer, const char *endpoint, long timeout_ms)
{
    transfer->easy = curl_easy_init();
    if (!transfer->easy)
        return -1;
    CURL *e = transfer->easy;
    curl_easy_setopt(e, CURLOPT_URL, endpoint);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_reply);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, transfer);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "gridline-loadgen/1");
    return 0;
}

static void s_transfer_reset(s_transfer_t *transfer)
{
    free(transfer->body);
    transfer->body = NULL;
    curl_slist_free_all(transfer->headers);
    transfer->headers = NULL;
    transfer->busy = false;
}

static int s_transfer_start(s_transfer_t *transfer, CURLM *multi, appeal_gen_t *gen,
                            const s_options_t *options, uint64_t n)
{
    size_t len = 0;
    transfer->body = appeal_gen_next(gen, &len);
    if (!transfer->body)
        return -1;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    /* no "Expect: 100-continue" round trip for bodies curl deems large */
    headers = headers ? curl_slist_append(headers, "Expect:") : NULL;
    if (headers && options->token && *options->token) {
        char auth[600];
        snprintf(auth, sizeof auth, "Authorization: Bearer %.512s", options->token);
        headers = curl_slist_append(headers, auth);
    }
    if (headers && options->idempotency) {
        char key[96];
        snprintf(key, sizeof key, "Idempotency-Key: lg-%" PRIu64 "-%" PRIu64, options->seed, n);
        headers = curl_slist_append(headers, key);
    }
    if (!headers) {
        s_transfer_reset(transfer);
        return -1;
    }
    transfer->headers = headers;
    transfer->error[0] = '\0';
    transfer->reply_len = 0;
    transfer->reply[0] = '\0';
    curl_easy_setopt(transfer->easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(transfer->easy, CURLOPT_POSTFIELDS, transfer->body);
    curl_easy_setopt(transfer->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    transfer->started_us = clock_mono_us();
    transfer->busy = true;
    if (curl_multi_add_handle(multi, transfer->easy) != CURLM_OK) {
        s_transfer_reset(transfer);
        return -1;
    }
    return 0;
}

static void s_latencies_add(s_latencies_t *self, int64_t us)
{
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 4096;
        uint32_t *grown = realloc(self->us, cap * sizeof *grown);
        if (!grown)
            return; /* a lost sample skews nothing much; the count of answers stays right */
        self->us = grown;
        self->cap = cap;
    }
    self->us[self->count++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int s_compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile in ms of a sorted array; 0 when empty. */
static double s_percentile_ms(const s_latencies_t *self, double p)
{
    if (self->count == 0)
        return 0;
    size_t rank = (size_t)ceil(p * (double)self->count);
    if (rank < 1)
        rank = 1;
    return self->us[rank - 1] / 1000.0;
}

/* true when the limiter lets a line through now; otherwise counts it as held back. */
static bool s_limiter_pass(s_limiter_t *self, int64_t now_us)
{
    if (self->last_us && now_us - self->last_us < 1000000) {
        self->held++;
        return false;
    }
    self->last_us = now_us;
    return true;
}

/* Ends a line that passed, saying how many were held back before it. */
static void s_limiter_note(s_limiter_t *self)
{
    if (self->held)
        fprintf(stderr, " (%" PRIu64 " more not shown since the last one)", self->held);
    fputc('\n', stderr);
    self->held = 0;
}

/* At the end: the ones held back since the last line shown. */
static void s_limiter_flush(s_limiter_t *self, const char *what)
{
    if (self->held)
        fprintf(stderr, "gridline-loadgen: %" PRIu64 " more %s not shown\n", self->held, what);
    self->held = 0;
}

/* Counts one finished transfer. */
static void s_finish(s_transfer_t *transfer, CURLcode result, s_tally_t *tally,
                     s_limiter_t *error_limit, s_limiter_t *status_limit)
{
    int64_t now = clock_mono_us();
    if (result != CURLE_OK) {
        tally->errors++;
        if (s_limiter_pass(error_limit, now)) {
            fprintf(stderr, "gridline-loadgen: request failed: %s",
                    transfer->error[0] ? transfer->error : curl_easy_strerror(result));
            s_limiter_note(error_limit);
        }
        return;
    }
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    tally->answered++;
    if (status >= 100 && status < 600)
        tally->status[status]++;
    else
        tally->other_status++;
    s_latencies_add(&tally->latencies, now - transfer->started_us);
    if (status < 200 || status > 299) {
        tally->non_2xx++;
        if (s_limiter_pass(status_limit, now)) {
            transfer->reply[strcspn(transfer->reply, "\r\n")] = '\0';
            fprintf(stderr, "gridline-loadgen: HTTP %ld: %s", status, transfer->reply);
            s_limiter_note(status_limit);
        }
    }
}

static void s_collect(CURLM *multi, s_tally_t *tally, long *in_flight, s_limiter_t *error_limit,
                      s_limiter_t *status_limit)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s_transfer_t *transfer = NULL;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
        curl_multi_remove_handle(multi, easy);
        s_finish(transfer, result, tally, error_limit, status_limit);
        s_transfer_reset(transfer);
        (*in_flight)--;
    }
}

static void s_progress(const s_tally_t *tally, int64_t elapsed_us, uint64_t *last_done,
                       long in_flight)
{
    uint64_t done = tally->answered + tally->errors;
    fprintf(stderr,
            "gridline-loadgen: %5.0fs sent %" PRIu64 ", done %" PRIu64 " (%" PRIu64
            "/s), 2xx %" PRIu64 ", other %" PRIu64 ", errors %" PRIu64 ", in flight %ld\n",
            elapsed_us / 1e6, tally->started, done, done - *last_done,
            tally->answered - tally->non_2xx, tally->non_2xx, tally->errors, in_flight);
    *last_done = done;
}

static double s_round3(double value)
{
    return round(value * 1000) / 1000;
}

static void s_summary(const s_tally_t *tally, double elapsed_s, const s_options_t *options)
{
    uint64_t done = tally->answered + tally->errors;
    double rate = elapsed_s > 0 ? done / elapsed_s : 0;
    double p50 = s_percentile_ms(&tally->latencies, 0.50);
    double p90 = s_percentile_ms(&tally->latencies, 0.90);
    double p99 = s_percentile_ms(&tally->latencies, 0.99);
    double max =
        tally->latencies.count ? tally->latencies.us[tally->latencies.count - 1] / 1000.0 : 0;
    if (options->json) {
        json_t *status = json_object();
        for (int code = 100; code < 600; code++) {
            if (tally->status[code]) {
                char key[8];
                snprintf(key, sizeof key, "%d", code);
                json_object_set_new(status, key, json_integer((json_int_t)tally->status[code]));
            }
        }
        if (tally->other_status)
            json_object_set_new(status, "other", json_integer((json_int_t)tally->other_status));
        json_t *summary = json_pack(
            "{s:I, s:o, s:I, s:f, s:f, s:{s:f, s:f, s:f, s:f}}", "sent", (json_int_t)done, "status",
            status, "errors", (json_int_t)tally->errors, "elapsed_s", s_round3(elapsed_s), "rate",
            round(rate * 10) / 10, "latency_ms", "p50", s_round3(p50), "p90", s_round3(p90), "p99",
            s_round3(p99), "max", s_round3(max));
        char *text = summary ? json_dumps(summary, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
        if (text)
            printf("%s\n", text);
        else
            fprintf(stderr, "gridline-loadgen: out of memory printing the summary\n");
        free(text);
        json_decref(summary);
    } else {
        printf("sent        %" PRIu64 "\n", done);
        printf("status     ");
        if (tally->answered == 0)
            printf(" -");
        for (int code = 100; code < 600; code++)
            if (tally->status[code])
                printf(" %d: %" PRIu64, code, tally->status[code]);
        if (tally->other_status)
            printf(" other: %" PRIu64, tally->other_status);
        printf("\n");
        printf("errors      %" PRIu64 "\n", tally->errors);
        printf("elapsed     %.3f s\n", elapsed_s);
        printf("rate        %.1f appeals/s\n", rate);
        printf("latency ms  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", p50, p90, p99, max);
        printf("seed        %" PRIu64 "\n", options->seed);
    }
    fflush(stdout);
}

static bool s_more_to_start(const s_options_t *options, const s_tally_t *tally, int64_t now_us,
                            int64_t end_us)
{
    if (s_signals)
        return false;
    if (options->count && tally->started >= (uint64_t)options->count)
        return false;
    return !end_us || now_us < end_us;
}

int main(int argc, char **argv)
{
    cli_set_program("gridline-loadgen");
    s_options_t options = {.rate = -1, .concurrency = 4, .timeout_ms = 10000, .prefix = "15"};
    s_parse_options(argc, argv, &options);

    char err[512];
    appeal_gen_t *gen =
        appeal_gen_new(options.regions, options.prefix, options.seed, err, sizeof err);
    if (!gen) {
        fprintf(stderr, "gridline-loadgen: %s\n", err);
        return 1;
    }
    if (options.gateway) {
        struct sigaction gsa = {.sa_handler = s_on_signal};
        sigemptyset(&gsa.sa_mask);
        sigaction(SIGINT, &gsa, NULL);
        sigaction(SIGTERM, &gsa, NULL);
        lg_gateway_options_t g = {
            .endpoint = options.gateway,
            .rate = options.rate,
            .count = options.count,
            .duration_s = options.duration_s,
            .window = options.concurrency,
            .timeout_ms = options.timeout_ms,
            .seed = options.seed,
            .idempotency = options.idempotency,
            .token = options.token,
            .replies = options.replies,
            .json = options.json,
            .quiet = options.quiet,
        };
        int grc = lg_gateway_run(&g, gen, &s_signals);
        appeal_gen_destroy(&gen);
        return grc;
    }
    char *endpoint = NULL;
    size_t base_len = strlen(options.url);
    while (base_len > 0 && options.url[base_len - 1] == '/')
        base_len--; /* "http://h:8080/" and "http://h:8080" mean the same */
    if (asprintf(&endpoint, "%.*s/v1/appeals", (int)base_len, options.url) < 0) {
        appeal_gen_destroy(&gen);
        return 1;
    }

    struct sigaction sa = {.sa_handler = s_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 1;
    s_tally_t tally = {0};
    s_transfer_t *transfers = NULL;
    CURLM *multi = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "gridline-loadgen: libcurl failed to initialise\n");
        goto done;
    }
    multi = curl_multi_init();
    transfers = calloc((size_t)options.concurrency, sizeof *transfers);
    if (!multi || !transfers) {
        fprintf(stderr, "gridline-loadgen: out of memory\n");
        goto done;
    }
    /* Every transfer keeps its connection: the cache must hold them all. */
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.concurrency);
    for (long i = 0; i < options.concurrency; i++) {
        if (s_transfer_init(&transfers[i], endpoint, options.timeout_ms) != 0) {
            fprintf(stderr, "gridline-loadgen: libcurl could not make a handle\n");
            goto done;
        }
    }
    if (!options.quiet) {
        fprintf(stderr,
                "gridline-loadgen: POST %s, %zu villages under %s, seed %" PRIu64
                ", rate %s, concurrency %ld\n",
                endpoint, appeal_gen_village_count(gen), options.prefix, options.seed,
                options.rate > 0 ? "paced" : "unpaced", options.concurrency);
    }

    s_limiter_t error_limit = {0}, status_limit = {0};
    int64_t start_us = clock_mono_us();
    int64_t end_us = options.duration_s > 0 ? start_us + (int64_t)(options.duration_s * 1e6) : 0;
    int64_t interval_us = options.rate > 0 ? (int64_t)(1e6 / options.rate) : 0;
    int64_t next_send_us = start_us;
    int64_t next_progress_us = start_us + 1000000;
    int64_t last_done_us = start_us;
    uint64_t progress_done = 0;
    uint64_t fell_behind = 0; /* turns on which a send was due but every slot was busy */
    long in_flight = 0;
    int signals_seen = 0;

    for (;;) {
        int64_t now = clock_mono_us();
        if (s_signals != signals_seen) {
            signals_seen = s_signals;
            if (signals_seen == 1 && in_flight > 0)
                fprintf(stderr,
                        "gridline-loadgen: stopping; waiting for %ld in flight "
                        "(again to abandon them)\n",
                        in_flight);
        }
        if (signals_seen >= 2 && in_flight > 0) {
            for (long i = 0; i < options.concurrency; i++) {
                if (transfers[i].busy) {
                    curl_multi_remove_handle(multi, transfers[i].easy);
                    s_transfer_reset(&transfers[i]);
                    tally.errors++;
                }
            }
            fprintf(stderr, "gridline-loadgen: abandoned %ld requests in flight\n", in_flight);
            in_flight = 0;
            last_done_us = now;
        }

        while (in_flight < options.concurrency && s_more_to_start(&options, &tally, now, end_us) &&
               (!interval_us || now >= next_send_us)) {
            s_transfer_t *transfer = NULL;
            for (long i = 0; i < options.concurrency && !transfer; i++)
                if (!transfers[i].busy)
                    transfer = &transfers[i];
            assert(transfer); /* in_flight < concurrency leaves one free */
            if (s_transfer_start(transfer, multi, gen, &options, tally.started + 1) != 0) {
                fprintf(stderr, "gridline-loadgen: out of memory starting a request\n");
                s_signals = 2;
                break;
            }
            tally.started++;
            in_flight++;
            if (interval_us) {
                next_send_us += interval_us;
                /* After a stall (all slots busy) catch up for at most a second's worth, not
                 * in one burst of everything missed. */
                if (next_send_us < now - 1000000)
                    next_send_us = now - 1000000;
            }
        }
        if (interval_us && in_flight == options.concurrency && now >= next_send_us &&
            s_more_to_start(&options, &tally, now, end_us))
            fell_behind++;
        if (in_flight == 0 && !s_more_to_start(&options, &tally, now, end_us))
            break;

        int running = 0;
        curl_multi_perform(multi, &running);
        long before = in_flight;
        s_collect(multi, &tally, &in_flight, &error_limit, &status_limit);
        if (in_flight < before)
            last_done_us = clock_mono_us();

        now = clock_mono_us();
        if (now >= next_progress_us) {
            if (!options.quiet)
                s_progress(&tally, now - start_us, &progress_done, in_flight);
            next_progress_us += 1000000;
            if (next_progress_us <= now)
                next_progress_us = now + 1000000;
        }
        /* Sleep until curl has work, the next send is due, or the next progress line; at most
         * 100 ms so a signal is noticed promptly (curl_multi_poll restarts on EINTR). */
        int64_t wake_us = next_progress_us;
        if (interval_us && in_flight < options.concurrency && next_send_us < wake_us)
            wake_us = next_send_us;
        if (end_us && end_us < wake_us && end_us > now)
            wake_us = end_us;
        int64_t wait_ms = (wake_us - now + 999) / 1000;
        if (wait_ms > 100)
            wait_ms = 100;
        if (wait_ms < 0 || (!interval_us && in_flight < options.concurrency &&
                            s_more_to_start(&options, &tally, now, end_us)))
            wait_ms = 0; /* a slot is free and nothing paces us: start the next one now */
        if (in_flight > 0 || wait_ms > 0)
            curl_multi_poll(multi, NULL, 0, (int)wait_ms, NULL);
    }

    if (fell_behind && !options.quiet)
        fprintf(stderr,
                "gridline-loadgen: fell behind --rate %g with all %ld slots busy; "
                "a higher --concurrency would keep up\n",
                options.rate, options.concurrency);
    s_limiter_flush(&error_limit, "request failures");
    s_limiter_flush(&status_limit, "non-2xx answers");
    double elapsed_s = (last_done_us - start_us) / 1e6;
    qsort(tally.latencies.us, tally.latencies.count, sizeof *tally.latencies.us, s_compare_u32);
    s_summary(&tally, elapsed_s, &options);
    rc = tally.errors || tally.non_2xx ? 1 : 0;

done:
    if (transfers) {
        for (long i = 0; i < options.concurrency; i++) {
            if (transfers[i].busy)
                curl_multi_remove_handle(multi, transfers[i].easy);
            s_transfer_reset(&transfers[i]);
            if (transfers[i].easy)
                curl_easy_cleanup(transfers[i].easy);
        }
    }
    free(transfers);
    if (multi)
        curl_multi_cleanup(multi);
    curl_global_cleanup();
    free(tally.latencies.us);
    free(endpoint);
    appeal_gen_destroy(&gen);
    return rc;
}
