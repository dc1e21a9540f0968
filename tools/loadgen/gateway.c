#include "gateway.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "gridline.pb-c.h"

enum { S_CREATED, S_REPLAYED, S_DUPLICATE, S_RESULTS };
static const char *const s_result_names[S_RESULTS] = {"created", "replayed", "duplicate"};

typedef struct {
    uint64_t results[S_RESULTS];
    uint64_t errors;     /* answered with an error_code */
    uint64_t lost;       /* never answered (timeout, second signal) */
    uint64_t unknown;    /* a reply naming no submission in flight */
    json_t *error_codes; /* code -> count */
    uint32_t *lat_us;
    size_t lat_count, lat_cap;
} s_tally_t;

/* A JSON body of appeal_gen as a packed Submission. NULL if out of memory. */
static uint8_t *s_submission(const char *body, uint64_t n, const lg_gateway_options_t *o,
                             size_t *len)
{
    json_t *root = json_loads(body, 0, NULL);
    if (!root)
        return NULL;
    Gridline__Appeal appeal = GRIDLINE__APPEAL__INIT;
    Gridline__Location location = GRIDLINE__LOCATION__INIT;
#define S_GET(field)                                                                               \
    if (json_is_string(json_object_get(root, #field)))                                             \
    appeal.field = (char *)json_string_value(json_object_get(root, #field))
    S_GET(channel);
    S_GET(region);
    S_GET(category);
    S_GET(title);
    S_GET(description);
    S_GET(reporter);
    S_GET(external_id);
#undef S_GET
    json_t *loc = json_object_get(root, "location");
    if (json_is_object(loc)) {
        location.lat = json_number_value(json_object_get(loc, "lat"));
        location.lon = json_number_value(json_object_get(loc, "lon"));
        const char *address = json_string_value(json_object_get(loc, "address"));
        location.address = (char *)(address ? address : "");
        appeal.location = &location;
    }
    char request_id[32], key[64];
    snprintf(request_id, sizeof request_id, "%" PRIu64, n);
    snprintf(key, sizeof key, "lg-%" PRIu64 "-%" PRIu64, o->seed, n);
    Gridline__Submission sub = GRIDLINE__SUBMISSION__INIT;
    sub.appeal = &appeal;
    sub.request_id = request_id;
    if (o->idempotency)
        sub.idempotency_key = key;
    if (o->token)
        sub.token = (char *)o->token;
    *len = gridline__submission__get_packed_size(&sub);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        gridline__submission__pack(&sub, buf);
    json_decref(root);
    return buf;
}

static void s_latency(s_tally_t *t, int64_t us)
{
    if (t->lat_count == t->lat_cap) {
        size_t cap = t->lat_cap ? t->lat_cap * 2 : 4096;
        uint32_t *grown = realloc(t->lat_us, cap * sizeof *grown);
        if (!grown)
            return;
        t->lat_us = grown;
        t->lat_cap = cap;
    }
    t->lat_us[t->lat_count++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int s_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double s_pct(const s_tally_t *t, double p)
{
    if (!t->lat_count)
        return 0;
    size_t rank = (size_t)ceil(p * (double)t->lat_count);
    return t->lat_us[(rank < 1 ? 1 : rank) - 1] / 1000.0;
}

static double s_r3(double v)
{
    return round(v * 1000) / 1000;
}

static void s_summary(s_tally_t *t, uint64_t sent, double elapsed_s, const lg_gateway_options_t *o)
{
    qsort(t->lat_us, t->lat_count, sizeof *t->lat_us, s_cmp);
    uint64_t answered = t->results[0] + t->results[1] + t->results[2] + t->errors;
    double rate = elapsed_s > 0 ? answered / elapsed_s : 0;
    double p50 = s_pct(t, .5), p90 = s_pct(t, .9), p99 = s_pct(t, .99);
    double max = t->lat_count ? t->lat_us[t->lat_count - 1] / 1000.0 : 0;
    if (o->json) {
        json_t *results = json_object();
        for (int i = 0; i < S_RESULTS; i++)
            json_object_set_new(results, s_result_names[i],
                                json_integer((json_int_t)t->results[i]));
        json_t *s =
            json_pack("{s:s, s:I, s:I, s:o, s:I, s:O, s:I, s:f, s:f, s:{s:f, s:f, s:f, "
                      "s:f}}",
                      "mode", "gateway", "sent", (json_int_t)sent, "answered", (json_int_t)answered,
                      "results", results, "errors", (json_int_t)t->errors, "error_codes",
                      t->error_codes, "lost", (json_int_t)t->lost, "elapsed_s", s_r3(elapsed_s),
                      "rate", round(rate * 10) / 10, "latency_ms", "p50", s_r3(p50), "p90",
                      s_r3(p90), "p99", s_r3(p99), "max", s_r3(max));
        char *text = s ? json_dumps(s, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(s);
    } else {
        printf("sent        %" PRIu64 "\n", sent);
        printf("answered    %" PRIu64 " (created %" PRIu64 ", replayed %" PRIu64
               ", duplicate %" PRIu64 ")\n",
               answered, t->results[0], t->results[1], t->results[2]);
        char *codes = json_dumps(t->error_codes, JSON_COMPACT);
        printf("errors      %" PRIu64 " %s\n", t->errors, codes ? codes : "");
        free(codes);
        printf("lost        %" PRIu64 "\n", t->lost);
        printf("elapsed     %.3f s\n", elapsed_s);
        printf("rate        %.1f appeals/s\n", rate);
        printf("latency ms  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", p50, p90, p99, max);
        printf("seed        %" PRIu64 "\n", o->seed);
    }
    fflush(stdout);
}

/* One reply: matched to its submission by request_id (the submission's number). */
static void s_on_reply(const uint8_t *data, size_t len, int64_t *started, uint64_t sent,
                       s_tally_t *t, FILE *out, long *in_flight)
{
    Gridline__SubmissionReply *r = gridline__submission_reply__unpack(NULL, len, data);
    if (!r) {
        t->unknown++;
        return;
    }
    char *end = NULL;
    uint64_t n = strtoull(r->request_id, &end, 10);
    if (!*r->request_id || *end || n < 1 || n > sent || started[n - 1] < 0) {
        t->unknown++;
        gridline__submission_reply__free_unpacked(r, NULL);
        return;
    }
    s_latency(t, clock_mono_us() - started[n - 1]);
    started[n - 1] = -1;
    (*in_flight)--;
    if (*r->error_code) {
        t->errors++;
        json_t *c = json_object_get(t->error_codes, r->error_code);
        json_object_set_new(t->error_codes, r->error_code,
                            json_integer(c ? json_integer_value(c) + 1 : 1));
    } else {
        for (int i = 0; i < S_RESULTS; i++)
            if (strcmp(r->result, s_result_names[i]) == 0)
                t->results[i]++;
    }
    if (out)
        fprintf(out, "%s %s %s %s %s\n", r->request_id, *r->result ? r->result : "-",
                *r->id ? r->id : "-", *r->error_code ? r->error_code : "-",
                *r->error_field ? r->error_field : "-");
    gridline__submission_reply__free_unpacked(r, NULL);
}

int lg_gateway_run(const lg_gateway_options_t *o, appeal_gen_t *gen, volatile sig_atomic_t *signals)
{
    s_tally_t t = {.error_codes = json_object()};
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    FILE *out = o->replies ? fopen(o->replies, "w") : NULL;
    if (!sock || (o->replies && !out)) {
        fprintf(stderr, "gridline-loadgen: %s\n",
                !sock ? zmq_strerror(errno) : "cannot write the --replies file");
        if (sock)
            zmq_close(sock);
        if (ctx)
            zmq_ctx_term(ctx);
        return 1;
    }
    int hwm = 0, linger = 0; /* no limit: the window bounds what is queued */
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, o->endpoint) != 0) {
        fprintf(stderr, "gridline-loadgen: cannot connect to %s: %s\n", o->endpoint,
                zmq_strerror(errno));
        zmq_close(sock);
        zmq_ctx_term(ctx);
        return 1;
    }
    if (!o->quiet)
        fprintf(stderr,
                "gridline-loadgen: gateway %s, %zu villages, seed %" PRIu64 ", window %ld\n",
                o->endpoint, appeal_gen_village_count(gen), o->seed, o->window);
    int64_t *started = NULL;
    size_t started_cap = 0;
    uint64_t sent = 0;
    long in_flight = 0;
    int64_t start = clock_mono_us(), last_reply = start, last_done = start;
    int64_t end = o->duration_s > 0 ? start + (int64_t)(o->duration_s * 1e6) : 0;
    int64_t interval = o->rate > 0 ? (int64_t)(1e6 / o->rate) : 0, next_send = start;
    int64_t next_progress = start + 1000000;
    uint64_t progress_done = 0;
    int rc = 1;
    for (;;) {
        int64_t now = clock_mono_us();
        bool more = !*signals && (!o->count || sent < (uint64_t)o->count) && (!end || now < end);
        while (more && in_flight < o->window && (!interval || now >= next_send)) {
            if (sent == started_cap) {
                size_t cap = started_cap ? started_cap * 2 : 65536;
                int64_t *grown = realloc(started, cap * sizeof *grown);
                if (!grown)
                    goto done;
                started = grown;
                started_cap = cap;
            }
            size_t body_len = 0, len = 0;
            char *body = appeal_gen_next(gen, &body_len);
            uint8_t *frame = body ? s_submission(body, sent + 1, o, &len) : NULL;
            free(body);
            if (!frame)
                goto done;
            started[sent] = clock_mono_us();
            int s = zmq_send(sock, frame, len, 0);
            free(frame);
            if (s < 0)
                goto done;
            sent++;
            in_flight++;
            if (interval)
                next_send += interval;
            more = (!o->count || sent < (uint64_t)o->count) && (!end || now < end);
        }
        if (!more && in_flight == 0)
            break;
        if (*signals >= 2 || (in_flight > 0 && now - last_reply > o->timeout_ms * 1000)) {
            fprintf(stderr, "gridline-loadgen: %s; %ld submissions in flight given up\n",
                    *signals >= 2 ? "abandoned" : "no reply within --timeout-ms", in_flight);
            t.lost += (uint64_t)in_flight;
            break;
        }
        long wait_ms = 100;
        if (more && in_flight < o->window)
            wait_ms = interval ? (long)((next_send - now) / 1000) : 0;
        if (wait_ms < 0)
            wait_ms = 0;
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, wait_ms) > 0) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            while (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) >= 0) {
                s_on_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), started, sent, &t, out,
                           &in_flight);
                last_reply = last_done = clock_mono_us();
            }
            zmq_msg_close(&msg);
        }
        now = clock_mono_us();
        if (now >= next_progress) {
            uint64_t done = t.results[0] + t.results[1] + t.results[2] + t.errors;
            if (!o->quiet)
                fprintf(stderr,
                        "gridline-loadgen: %5.0fs sent %" PRIu64 ", answered %" PRIu64 " (%" PRIu64
                        "/s), errors %" PRIu64 ", in flight %ld\n",
                        (now - start) / 1e6, sent, done, done - progress_done, t.errors, in_flight);
            progress_done = done;
            next_progress += 1000000;
        }
    }
    s_summary(&t, sent, (last_done - start) / 1e6, o);
    rc = t.errors || t.lost || t.unknown ? 1 : 0;
done:
    if (rc && !sent)
        fprintf(stderr, "gridline-loadgen: out of memory\n");
    if (out)
        fclose(out);
    free(started);
    free(t.lat_us);
    json_decref(t.error_codes);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return rc;
}
