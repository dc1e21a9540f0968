#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "jsonbuf.h"

static const char *s_service = "gridline";
static const char *s_instance = "";
static log_level_t s_level = LOG_INFO;
static const char *s_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *service, const char *instance)
{
    s_service = service ? service : "gridline";
    s_instance = instance ? instance : "";
}

void log_set_level(log_level_t level)
{
    s_level = level;
}

log_level_t log_get_level(void)
{
    return s_level;
}

int log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, s_names[i]) == 0)
            return i;
    if (name && strcmp(name, "warning") == 0)
        return LOG_WARN;
    return -1;
}

static void s_emit(log_level_t level, const char *msg, va_list kv)
{
    char stamp[40];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_append(&jb, "{");
    jsonbuf_kv(&jb, "ts", stamp);
    jsonbuf_append(&jb, ",");
    jsonbuf_kv(&jb, "level", s_names[level]);
    jsonbuf_append(&jb, ",");
    jsonbuf_kv(&jb, "svc", s_service);
    if (*s_instance) {
        jsonbuf_append(&jb, ",");
        jsonbuf_kv(&jb, "inst", s_instance);
    }
    jsonbuf_append(&jb, ",");
    jsonbuf_kv(&jb, "msg", msg);
    const char *key;
    while ((key = va_arg(kv, const char *)) != NULL) {
        const char *value = va_arg(kv, const char *);
        jsonbuf_append(&jb, ",");
        jsonbuf_kv(&jb, key, value ? value : "");
    }
    jsonbuf_append(&jb, "}\n");
    if (jb.data) {
        ssize_t rc = write(STDERR_FILENO, jb.data, jb.len);
        (void)rc;
    }
    jsonbuf_release(&jb);
}

void log_kvv(log_level_t level, const char *msg, va_list kv)
{
    if (level < s_level)
        return;
    s_emit(level, msg, kv);
}

void log_kv(log_level_t level, const char *msg, ...)
{
    if (level < s_level)
        return;
    va_list ap;
    va_start(ap, msg);
    s_emit(level, msg, ap);
    va_end(ap);
}

static void s_emit_none(log_level_t level, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    s_emit(level, msg, ap);
    va_end(ap);
}

void log_fmt(log_level_t level, const char *fmt, ...)
{
    if (level < s_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s_emit_none(level, msg, NULL);
}
