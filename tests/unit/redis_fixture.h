/* A real redis-server on a free port of 127.0.0.1 for one cmocka group, and an rconn to it
 * with gridline's scripts. Header-only: each test file that talks to Redis includes it once.
 *   cmocka_run_group_tests(tests, fixture_setup, fixture_teardown)
 * fixture_redis is the connection; fixture_restart_redis kills and starts the server. */
#ifndef GRIDLINE_REDIS_FIXTURE_H
#define GRIDLINE_REDIS_FIXTURE_H

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rconn.h"
#include "scripts.h"

extern char **environ;
static pid_t fixture_pid;
static int fixture_port;
static rconn_t *fixture_redis;

static int fixture_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&addr, sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    return ntohs(addr.sin_port);
}

/* extra: one more "--option value" pair for redis-server, or NULL */
static void fixture_spawn(const char *option, const char *value)
{
    char port[16];
    snprintf(port, sizeof port, "%d", fixture_port);
    char *argv[] = {
        "redis-server", "--port", port,         "--bind",  "127.0.0.1", "--save",    "",
        "--appendonly", "no",     "--loglevel", "warning", "--logfile", "/dev/null", (char *)option,
        (char *)value,  NULL};
    if (posix_spawnp(&fixture_pid, "redis-server", NULL, NULL, argv, environ) != 0)
        abort();
}

static int fixture_wait_up(rconn_t *redis)
{
    for (int i = 0; i < 100; i++) {
        if (rconn_ensure(redis) == 0)
            return 0;
        usleep(50000);
    }
    return -1;
}

static void fixture_kill(void)
{
    kill(fixture_pid, SIGKILL);
    waitpid(fixture_pid, NULL, 0);
}

static int fixture_setup(void **state)
{
    (void)state;
    scripts_prepare();
    fixture_port = fixture_free_port();
    fixture_spawn(NULL, NULL);
    fixture_redis = rconn_new("127.0.0.1", fixture_port, NULL, 2000);
    rconn_set_scripts(fixture_redis, scripts_all);
    return fixture_wait_up(fixture_redis);
}

static int fixture_teardown(void **state)
{
    (void)state;
    rconn_destroy(&fixture_redis);
    fixture_kill();
    return 0;
}

/* An integer from a command with one string argument (-999 for anything else). */
static long long fixture_int(const char *fmt, const char *arg)
{
    redisReply *r = rconn_command(fixture_redis, fmt, arg);
    if (!r)
        return -1000;
    long long v = r->type == REDIS_REPLY_INTEGER  ? r->integer
                  : r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10)
                                                  : -999;
    freeReplyObject(r);
    return v;
}

static void fixture_do(const char *fmt, const char *arg)
{
    redisReply *r = rconn_command(fixture_redis, fmt, arg);
    if (r)
        freeReplyObject(r);
}

#endif
