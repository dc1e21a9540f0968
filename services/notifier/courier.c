#include "courier.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "clock.h"
#include "delivery.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "service.h"
#include "target_webhook.h"

#define S_ANSWER_MAX 4096 /* of a receiver's answer: enough for a robot's errcode */

/* ---- jobs ------------------------------------------------------------------------------- */

courier_job_t *courier_job_new(const char *county, const subscription_t *sub, int64_t first_ms,
                               int64_t lease_until_ms)
{
    courier_job_t *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    snprintf(job->county, sizeof job->county, "%s", county);
    snprintf(job->subscription, sizeof job->subscription, "%s", sub->id);
    int type = target_type_parse(sub->target);
    job->target = type < 0 ? TARGET_WEBHOOK : (target_type_t)type;
    job->url = strdup(sub->url);
    job->secret = strdup(sub->secret);
    job->first_ms = first_ms;
    job->lease_until_ms = lease_until_ms;
    if (!job->url || !job->secret)
        courier_job_destroy(&job);
    return job;
}

int courier_job_add(courier_job_t *job, const char *member, const char *body, int64_t first_ms)
{
    if (job->count == job->capacity) {
        size_t grown = job->capacity ? 2 * job->capacity : 1;
        char **m = realloc(job->members, grown * sizeof *m);
        if (!m)
            return -1;
        job->members = m;
        char **b = realloc(job->bodies, grown * sizeof *b);
        if (!b)
            return -1;
        job->bodies = b;
        job->capacity = grown;
    }
    char *m = strdup(member), *b = strdup(body);
    if (!m || !b) {
        free(m);
        free(b);
        return -1;
    }
    job->members[job->count] = m;
    job->bodies[job->count++] = b;
    if (first_ms && first_ms < job->first_ms)
        job->first_ms = first_ms;
    return 0;
}

void courier_job_destroy(courier_job_t **job_p)
{
    if (!job_p || !*job_p)
        return;
    courier_job_t *job = *job_p;
    for (size_t i = 0; i < job->count; i++) {
        free(job->members[i]);
        free(job->bodies[i]);
    }
    free(job->members);
    free(job->bodies);
    free(job->url);
    free(job->secret);
    free(job);
    *job_p = NULL;
}

/* ---- the courier ------------------------------------------------------------------------ */

/* A job in flight. */
typedef struct {
    courier_job_t *job;
    CURL *easy;
    struct curl_slist *headers;
    target_request_t request;
    char host[256];
    char answer[S_ANSWER_MAX];
    size_t answer_len;
} s_transfer_t;

/* Outcome counters by target type. */
enum { S_DELIVERED, S_RECEIVER_ERROR, S_LOCAL_ERROR, S_RESULTS };

struct courier {
    const config_t *config; /* as started (caps, timeouts, retry settings) */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    courier_job_t **queue; /* waiting to start, oldest first (under lock: submitted ones) */
    size_t queued, queue_max;
    bool stopping;
    CURLM *multi;
    rconn_t *redis;
    argv_t argv;
    s_transfer_t **active;
    size_t nactive;
    metric_t *results[4][S_RESULTS];
    metric_t *dead, *expired, *refused, *in_flight, *waiting, *latency;
    CURL **spare;  /* easy handles of finished transfers, for the next ones */
    size_t unread; /* settle calls sent whose replies are still to be read */
    size_t nspare;
};

static size_t s_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_transfer_t *t = arg;
    size_t n = size * nmemb, room = sizeof t->answer - 1 - t->answer_len;
    memcpy(t->answer + t->answer_len, ptr, n < room ? n : room);
    t->answer_len += n < room ? n : room;
    t->answer[t->answer_len] = '\0';
    return n;
}

/* "host:port" of a URL (for the per-host cap). */
static void s_host(const char *url, char *out, size_t size)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *at = strchr(h, '@'), *end = h + strcspn(h, "/?#");
    if (at && at < end)
        h = at + 1;
    snprintf(out, size, "%.*s", (int)(end - h), h);
}

static size_t s_host_active(const courier_t *self, const char *host)
{
    size_t n = 0;
    for (size_t i = 0; i < self->nactive; i++)
        n += strcmp(self->active[i]->host, host) == 0;
    return n;
}

/* An easy handle, a spare one when there is (a fresh one costs allocations each time). */
static CURL *s_easy(courier_t *self)
{
    if (self->nspare == 0)
        return curl_easy_init();
    CURL *c = self->spare[--self->nspare];
    curl_easy_reset(c);
    return c;
}

static void s_transfer_free(courier_t *self, s_transfer_t *t)
{
    if (t->easy && self->nspare < (size_t)self->config->notifier_max_in_flight)
        self->spare[self->nspare++] = t->easy;
    else if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    target_request_fini(&t->request);
    courier_job_destroy(&t->job);
    free(t);
}

/* Renders and starts a transfer for job. 0, or -1 (a local error: job handed back). */
static int s_start(courier_t *self, courier_job_t *job, const char *host)
{
    s_transfer_t *t = calloc(1, sizeof *t);
    json_t **alerts = calloc(job->count, sizeof *alerts);
    int rc = -1;
    if (!t || !alerts)
        goto done;
    snprintf(t->host, sizeof t->host, "%s", host);
    if (job->target == TARGET_WEBHOOK && job->count == 1) {
        /* the common case: the stored alert is the body, byte for byte */
        char id[SUBSCRIPTION_ID_MAX + 64];
        snprintf(id, sizeof id, "%.*s", (int)strcspn(job->members[0], "|"), job->members[0]);
        if (target_webhook_render_text(job->url, job->secret, job->bodies[0], id, clock_wall_ms(),
                                       &t->request) != 0)
            goto done;
    } else {
        for (size_t i = 0; i < job->count; i++) {
            json_error_t jerr;
            alerts[i] = json_loads(job->bodies[i], 0, &jerr);
            if (!alerts[i])
                goto done;
        }
        if (target_render(job->target, job->url, job->secret, alerts, job->count, clock_wall_ms(),
                          &t->request) != 0)
            goto done;
    }
    for (size_t i = 0; i < t->request.header_count; i++)
        t->headers = curl_slist_append(t->headers, t->request.headers[i]);
    char sub[SUBSCRIPTION_ID_MAX + 32];
    snprintf(sub, sizeof sub, "X-Gridline-Subscription: %s", job->subscription);
    t->headers = curl_slist_append(t->headers, sub);
    t->headers = curl_slist_append(t->headers, "Expect:");
    t->easy = s_easy(self);
    if (!t->headers || !t->easy)
        goto done;
    CURL *c = t->easy;
    curl_easy_setopt(c, CURLOPT_URL, t->request.url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->request.body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)self->config->notifier_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gridline-notifier/0.2");
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (curl_multi_add_handle(self->multi, c) != CURLM_OK)
        goto done;
    t->job = job;
    self->active[self->nactive++] = t;
    rc = 0;
done:
    for (size_t i = 0; alerts && i < job->count; i++)
        json_decref(alerts[i]);
    free(alerts);
    if (rc != 0 && t) {
        t->job = NULL; /* the caller keeps it */
        s_transfer_free(self, t);
    }
    return rc;
}

/* A county's outcomes, gathered for one settle call. */
typedef struct {
    char county[7];
    delivery_settle_t *items;
    size_t count, capacity;
} s_settle_t;

typedef struct {
    s_settle_t *counties;
    size_t count, capacity;
} s_settles_t;

static void s_settle_add(s_settles_t *all, const courier_job_t *job, delivery_outcome_t outcome)
{
    s_settle_t *s = NULL;
    for (size_t i = 0; i < all->count && !s; i++)
        if (strcmp(all->counties[i].county, job->county) == 0)
            s = &all->counties[i];
    if (!s) {
        if (all->count == all->capacity) {
            size_t grown = all->capacity ? 2 * all->capacity : 8;
            s_settle_t *more = realloc(all->counties, grown * sizeof *more);
            if (!more)
                return; /* the lease brings it back */
            all->counties = more;
            all->capacity = grown;
        }
        s = &all->counties[all->count++];
        memset(s, 0, sizeof *s);
        snprintf(s->county, sizeof s->county, "%s", job->county);
    }
    for (size_t i = 0; i < job->count; i++) {
        if (s->count == s->capacity) {
            size_t grown = s->capacity ? 2 * s->capacity : 16;
            delivery_settle_t *more = realloc(s->items, grown * sizeof *more);
            if (!more)
                return;
            s->items = more;
            s->capacity = grown;
        }
        /* the member strings live in the job until the settle is sent */
        s->items[s->count++] =
            (delivery_settle_t){job->members[i], outcome, (int)(random() % 1001)};
    }
}

/* Reads the replies of the settles sent before: those that have arrived (wait: all of them). */
static void s_settle_collect(courier_t *self, bool wait)
{
    for (; self->unread > 0; self->unread--) {
        redisReply *r = NULL;
        if (wait)
            r = rconn_reply(self->redis);
        else if (rconn_reply_nowait(self->redis, &r) == 0)
            break;
        if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
            char n[24];
            snprintf(n, sizeof n, "%lld", r->integer);
            metric_add(self->dead, r->integer);
            log_warn("deliveries moved to the dead letters (failing past notifier.max_age)",
                     "count", n, NULL);
        } else if (r && r->type == REDIS_REPLY_ERROR) {
            log_error("settle failed", "error", r->str, NULL);
        }
        if (r)
            freeReplyObject(r);
        else
            self->unread = 1; /* the connection dropped: nothing more is owed */
    }
}

/* Every county's settle call, sent at once; their replies are read as they arrive (the poll
 * watches the Redis socket too), so the courier never waits for Redis's write and its fsync to
 * go on sending. At most S_UNREAD_MAX settles are owed before it waits for the oldest. A settle
 * lost with the connection leaves its deliveries leased: their lease brings them back. */
#define S_UNREAD_MAX 256
static void s_settle_send(courier_t *self, s_settles_t *all)
{
    const config_t *cfg = self->config;
    s_settle_collect(self, self->unread + all->count > S_UNREAD_MAX);
    int64_t now = clock_wall_ms();
    size_t appended = 0;
    for (size_t i = 0; i < all->count; i++) {
        s_settle_t *s = &all->counties[i];
        if (rconn_ensure(self->redis) != 0 ||
            delivery_settle_append(self->redis, &self->argv, s->county, now,
                                   cfg->notifier_max_age_ms, cfg->notifier_retry_base_ms,
                                   cfg->notifier_retry_max_ms, cfg->notifier_alertmanager_repeat_ms,
                                   s->items, s->count) != 0)
            break;
        appended++;
    }
    self->unread += appended;
    if (appended < all->count || (appended && rconn_flush(self->redis) != 0))
        log_warn("settles not recorded (redis down): their leases bring them back", "error",
                 rconn_errstr(self->redis), NULL);
    for (size_t i = 0; i < all->count; i++)
        free(all->counties[i].items);
    free(all->counties);
    memset(all, 0, sizeof *all);
}

/* Reads what finished; settles each (all in one round trip). Returns how many finished. */
static size_t s_finish(courier_t *self)
{
    s_settles_t settles = {0};
    courier_job_t **done = calloc(self->nactive ? self->nactive : 1, sizeof *done);
    size_t ndone = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s_transfer_t *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        long status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        courier_job_t *job = t->job;
        char why[160] = "";
        int result;
        if (msg->data.result == CURLE_OK &&
            target_accepted(job->target, status, t->answer, t->answer_len, why, sizeof why)) {
            result = S_DELIVERED;
        } else {
            bool local = msg->data.result == CURLE_OUT_OF_MEMORY ||
                         msg->data.result == CURLE_FAILED_INIT ||
                         msg->data.result == CURLE_BAD_FUNCTION_ARGUMENT;
            result = local ? S_LOCAL_ERROR : S_RECEIVER_ERROR;
            if (msg->data.result != CURLE_OK)
                snprintf(why, sizeof why, "%s", curl_easy_strerror(msg->data.result));
            char url[256];
            target_url_redact(job->url, url, sizeof url);
            log_warn("alert delivery failed, will retry", "subscription", job->subscription, "url",
                     url, "alert", job->members[0], "error", why, NULL);
        }
        metric_add(self->results[job->target][result], (int64_t)job->count);
        if (result == S_DELIVERED) {
            double seconds = (double)(clock_wall_ms() - job->first_ms) / 1000.0;
            for (size_t i = 0; i < job->count; i++)
                metric_observe(self->latency, seconds < 0 ? 0 : seconds);
        }
        /* Alertmanager forgets an alert it is not told of again: an open one is repeated */
        bool repeats =
            job->target == TARGET_ALERTMANAGER && self->config->notifier_alertmanager_repeat_ms > 0;
        s_settle_add(&settles, job,
                     result != S_DELIVERED ? DELIVERY_FAILED
                     : repeats             ? DELIVERY_REPEAT
                                           : DELIVERY_OK);
        curl_multi_remove_handle(self->multi, t->easy);
        for (size_t i = 0; i < self->nactive; i++)
            if (self->active[i] == t) {
                self->active[i] = self->active[--self->nactive];
                break;
            }
        if (done) {
            done[ndone++] = job; /* kept until the settle is sent: the members are its */
            t->job = NULL;
        }
        s_transfer_free(self, t);
    }
    if (settles.count)
        s_settle_send(self, &settles);
    for (size_t i = 0; i < ndone; i++)
        courier_job_destroy(&done[i]);
    free(done);
    return ndone;
}

/* Starts what the caps allow, oldest first; drops jobs whose lease ran out while waiting. */
static void s_start_waiting(courier_t *self)
{
    const config_t *cfg = self->config;
    int64_t now = clock_wall_ms();
    s_settles_t local_errors = {0};
    courier_job_t **failed = NULL;
    size_t nfailed = 0;
    pthread_mutex_lock(&self->lock);
    size_t kept = 0;
    for (size_t i = 0; i < self->queued; i++) {
        courier_job_t *job = self->queue[i];
        if (now + cfg->notifier_timeout_ms >= job->lease_until_ms) {
            metric_add(self->expired, 1);
            courier_job_destroy(&job);
            continue;
        }
        char host[256];
        s_host(job->url, host, sizeof host);
        if (self->stopping || self->nactive >= (size_t)cfg->notifier_max_in_flight ||
            s_host_active(self, host) >= (size_t)cfg->notifier_max_per_host) {
            self->queue[kept++] = job;
            continue;
        }
        if (s_start(self, job, host) != 0) {
            metric_add(self->results[job->target][S_LOCAL_ERROR], (int64_t)job->count);
            s_settle_add(&local_errors, job, DELIVERY_FAILED);
            courier_job_t **more = realloc(failed, (nfailed + 1) * sizeof *more);
            if (more) {
                failed = more;
                failed[nfailed++] = job;
            } else {
                courier_job_destroy(&job);
            }
        }
    }
    self->queued = kept;
    metric_set(self->waiting, (int64_t)kept);
    pthread_mutex_unlock(&self->lock);
    metric_set(self->in_flight, (int64_t)self->nactive);
    if (local_errors.count)
        s_settle_send(self, &local_errors);
    for (size_t i = 0; i < nfailed; i++)
        courier_job_destroy(&failed[i]);
    free(failed);
}

static void *s_run(void *arg)
{
    courier_t *self = arg;
    for (;;) {
        s_start_waiting(self);
        int running = 0;
        curl_multi_perform(self->multi, &running);
        size_t finished = s_finish(self);
        pthread_mutex_lock(&self->lock);
        bool stop = self->stopping && self->nactive == 0;
        bool waiting = self->queued > 0;
        pthread_mutex_unlock(&self->lock);
        if (stop) {
            s_settle_collect(self, true);
            break;
        }
        s_settle_collect(self, false); /* what Redis answered meanwhile */
        /* slots just freed and jobs waiting: start them now, not after the poll's timeout
         * (no socket wakes the poll for them: that held each round of transfers 200 ms) */
        if (finished && waiting)
            continue;
        /* settles owed: Redis's answer wakes the poll too */
        struct curl_waitfd redis_fd = {.fd = rconn_fd(self->redis), .events = CURL_WAIT_POLLIN};
        bool watch = self->unread > 0 && redis_fd.fd >= 0;
        curl_multi_poll(self->multi, watch ? &redis_fd : NULL, watch ? 1 : 0, 200, NULL);
    }
    return NULL;
}

static void s_metrics(courier_t *self)
{
    static const char *const results[S_RESULTS] = {"delivered", "receiver_error", "local_error"};
    const char *name = "gridline_notifier_deliveries_total";
    const char *help = "alerts sent, by target type and outcome (a group counts each alert)";
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < S_RESULTS; r++) {
            char labels[96];
            snprintf(labels, sizeof labels, "target=\"%s\",result=\"%s\"",
                     target_type_name((target_type_t)t), results[r]);
            self->results[t][r] = metrics_register(METRIC_COUNTER, name, labels, help);
        }
    self->dead = metrics_register(METRIC_COUNTER, "gridline_notifier_dead_letters_total", NULL,
                                  "deliveries moved to the dead letters (failing past max_age)");
    self->expired =
        metrics_register(METRIC_COUNTER, "gridline_notifier_expired_before_send_total", NULL,
                         "jobs whose lease ran out while they waited (a sweep sends them)");
    self->refused = metrics_register(METRIC_COUNTER, "gridline_notifier_queue_full_total", NULL,
                                     "jobs refused by a full queue (a sweep sends them)");
    self->in_flight =
        metrics_register(METRIC_GAUGE, "gridline_notifier_in_flight", NULL, "transfers in flight");
    self->waiting = metrics_register(METRIC_GAUGE, "gridline_notifier_queued", NULL,
                                     "jobs waiting for a transfer slot");
    static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                    2.5,   5,    10,    30,   60,  300,  3600};
    self->latency = metrics_register_histogram(
        "gridline_notifier_delivery_seconds", NULL,
        "from an alert's first queueing (its event accepted) to its receiver taking it; held "
        "ones (grouping, quiet hours) and retries included",
        bounds, sizeof bounds / sizeof bounds[0]);
}

courier_t *courier_new(const config_t *config)
{
    courier_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    self->queue_max = 4 * (size_t)config->notifier_max_in_flight;
    pthread_mutex_init(&self->lock, NULL);
    argv_init(&self->argv);
    self->queue = calloc(self->queue_max, sizeof *self->queue);
    self->active = calloc((size_t)config->notifier_max_in_flight, sizeof *self->active);
    self->spare = calloc((size_t)config->notifier_max_in_flight, sizeof *self->spare);
    self->multi = curl_multi_init();
    self->redis = service_redis_new(config);
    s_metrics(self);
    if (!self->queue || !self->active || !self->spare || !self->multi || !self->redis) {
        courier_destroy(&self);
        return NULL;
    }
    /* The caps are the courier's own (s_start_waiting): curl's would queue transfers inside
     * curl, where curl_multi_poll does not see them become startable (each then waited out
     * the poll's timeout: 8 transfers per 200 ms to one host). Idle connections are kept for
     * reuse, a few per host. */
    curl_multi_setopt(self->multi, CURLMOPT_MAXCONNECTS,
                      (long)(config->notifier_max_in_flight + config->notifier_max_per_host));
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        courier_destroy(&self);
        return NULL;
    }
    self->started = true;
    return self;
}

void courier_destroy(courier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    courier_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock(&self->lock);
        self->stopping = true;
        pthread_mutex_unlock(&self->lock);
        curl_multi_wakeup(self->multi);
        pthread_join(self->thread, NULL);
    }
    for (size_t i = 0; i < self->queued; i++)
        courier_job_destroy(&self->queue[i]);
    for (size_t i = 0; i < self->nactive; i++) {
        curl_multi_remove_handle(self->multi, self->active[i]->easy);
        s_transfer_free(self, self->active[i]);
    }
    for (size_t i = 0; i < self->nspare; i++)
        curl_easy_cleanup(self->spare[i]);
    free(self->spare);
    free(self->queue);
    free(self->active);
    if (self->multi)
        curl_multi_cleanup(self->multi);
    rconn_destroy(&self->redis);
    argv_fini(&self->argv);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

bool courier_submit(courier_t *self, courier_job_t *job)
{
    pthread_mutex_lock(&self->lock);
    bool room = self->queued < self->queue_max && !self->stopping;
    if (room)
        self->queue[self->queued++] = job;
    pthread_mutex_unlock(&self->lock);
    if (!room) {
        metric_add(self->refused, 1);
        return false;
    }
    curl_multi_wakeup(self->multi);
    return true;
}

size_t courier_load(courier_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->queued + self->nactive;
    pthread_mutex_unlock(&self->lock);
    return n;
}
