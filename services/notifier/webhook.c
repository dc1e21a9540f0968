#include "webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct webhook {
    CURLM *multi;
    CURL **handles; /* reused: keeps their connections alive between batches */
    size_t handle_count;
    int timeout_ms;
};

webhook_t *webhook_new(int timeout_ms)
{
    webhook_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->multi = curl_multi_init();
    if (!self->multi) {
        free(self);
        return NULL;
    }
    self->timeout_ms = timeout_ms;
    return self;
}

void webhook_destroy(webhook_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    webhook_t *self = *self_p;
    for (size_t i = 0; i < self->handle_count; i++)
        curl_easy_cleanup(self->handles[i]);
    free(self->handles);
    curl_multi_cleanup(self->multi);
    free(self);
    *self_p = NULL;
}

static size_t s_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
    return size * nmemb;
}

/* Makes sure there are count easy handles. */
static int s_reserve(webhook_t *self, size_t count)
{
    if (count <= self->handle_count)
        return 0;
    CURL **handles = realloc(self->handles, count * sizeof *handles);
    if (!handles)
        return -1;
    self->handles = handles;
    while (self->handle_count < count) {
        CURL *c = curl_easy_init();
        if (!c)
            return -1;
        self->handles[self->handle_count++] = c;
    }
    return 0;
}

void webhook_post_all(webhook_t *self, webhook_post_t *posts, size_t count)
{
    if (count == 0)
        return;
    if (s_reserve(self, count) != 0) {
        for (size_t i = 0; i < count; i++)
            snprintf(posts[i].error, sizeof posts[i].error, "out of memory");
        return;
    }
    struct curl_slist **headers = calloc(count, sizeof *headers);
    if (!headers) {
        for (size_t i = 0; i < count; i++)
            snprintf(posts[i].error, sizeof posts[i].error, "out of memory");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        webhook_post_t *p = &posts[i];
        p->ok = false;
        p->status = 0;
        p->error[0] = '\0';
        char id[160], sub[160];
        snprintf(id, sizeof id, "X-Gridline-Alert-Id: %s", p->alert_id);
        snprintf(sub, sizeof sub, "X-Gridline-Subscription: %s", p->subscription);
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
        h = curl_slist_append(h, id);
        h = curl_slist_append(h, sub);
        headers[i] = h;
        CURL *c = self->handles[i];
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, p->url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)self->timeout_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "gridline-notifier/0.1");
        curl_easy_setopt(c, CURLOPT_PRIVATE, p);
        curl_multi_add_handle(self->multi, c);
    }
    int running = 1;
    while (running) {
        if (curl_multi_perform(self->multi, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(self->multi, NULL, 0, 100, NULL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        webhook_post_t *p = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &p->status);
        if (msg->data.result != CURLE_OK)
            snprintf(p->error, sizeof p->error, "%s", curl_easy_strerror(msg->data.result));
        else if (p->status < 200 || p->status >= 300)
            snprintf(p->error, sizeof p->error, "HTTP %ld", p->status);
        else
            p->ok = true;
    }
    for (size_t i = 0; i < count; i++) {
        curl_multi_remove_handle(self->multi, self->handles[i]);
        curl_slist_free_all(headers[i]);
        if (!posts[i].ok && !posts[i].error[0])
            snprintf(posts[i].error, sizeof posts[i].error, "no answer");
    }
    free(headers);
}
