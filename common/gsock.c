#include "gsock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"

#define GSOCK_HWM 100000
#define GSOCK_LINGER_MS 1000
#define GSOCK_CONNECT_WAIT_MS 250

static void *s_context;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_create_context(void)
{
    s_context = zmq_ctx_new();
}

void *gsock_context(void)
{
    pthread_once(&s_once, s_create_context);
    return s_context;
}

void gsock_context_term(void)
{
    if (s_context)
        zmq_ctx_term(s_context);
    s_context = NULL;
}

static void *s_socket(int type)
{
    void *sock = zmq_socket(gsock_context(), type);
    if (!sock) {
        log_error("zmq_socket failed", "error", zmq_strerror(errno), NULL);
        return NULL;
    }
    int hwm = GSOCK_HWM, linger = GSOCK_LINGER_MS;
    zmq_setsockopt(sock, type == ZMQ_PUSH ? ZMQ_SNDHWM : ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* On a clean shutdown give queued messages a second to leave; anything still queued is
     * in an outbox anyway. */
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    return sock;
}

void *gsock_push_new(const char *endpoints)
{
    void *sock = s_socket(ZMQ_PUSH);
    if (!sock)
        return NULL;
    int immediate = 1;
    zmq_setsockopt(sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    char *list = strdup(endpoints), *save = NULL;
    for (char *ep = strtok_r(list, ", ", &save); ep; ep = strtok_r(NULL, ", ", &save)) {
        if (zmq_connect(sock, ep) != 0) {
            log_error("zmq_connect failed", "endpoint", ep, "error", zmq_strerror(errno), NULL);
            free(list);
            zmq_close(sock);
            return NULL;
        }
    }
    free(list);
    /* Connecting is asynchronous and, with ZMQ_IMMEDIATE, sends fail until a connection is
     * up: give a live receiver a moment, so a fresh socket does not leave its first events to
     * the outbox sweeper (seconds of delay). A receiver that is down costs this wait once. */
    zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLOUT};
    zmq_poll(&item, 1, GSOCK_CONNECT_WAIT_MS);
    return sock;
}

void *gsock_pull_new(const char *endpoint, int64_t max_frame)
{
    void *sock = s_socket(ZMQ_PULL);
    if (!sock)
        return NULL;
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame);
    if (zmq_bind(sock, endpoint) != 0) {
        log_error("zmq_bind failed", "endpoint", endpoint, "error", zmq_strerror(errno), NULL);
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

void gsock_destroy(void **sock_p)
{
    if (sock_p && *sock_p) {
        zmq_close(*sock_p);
        *sock_p = NULL;
    }
}

int gsock_send(void *sock, const void *data, size_t len)
{
    return zmq_send(sock, data, len, ZMQ_DONTWAIT) == (int)len ? 0 : -1;
}
