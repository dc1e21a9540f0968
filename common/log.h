/* log: structured logs, one JSON object per line on stderr.
 *
 *   {"ts":"2026-11-24T13:45:01.123Z","level":"info","svc":"intake","inst":"host-42",
 *    "msg":"appeal stored","id":"150123-20261124-000042"}
 *
 * log_info (msg, key, value, ..., NULL) adds string key/value pairs after "msg".
 * log_infof (fmt, ...) is the printf form for a message with no extra fields.
 * Thread-safe: each line is written with one write(2). */
#ifndef GRIDLINE_LOG_H
#define GRIDLINE_LOG_H

#include <stdarg.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* Names the process in every line; call once at start-up (not thread-safe). */
void log_init(const char *service, const char *instance);
void log_set_level(log_level_t level);
log_level_t log_get_level(void);
/* "debug" | "info" | "warn" | "error" -> level; -1 if unknown. */
int log_level_parse(const char *name);

/* key/value pairs (both const char *), terminated by NULL. */
void log_kv(log_level_t level, const char *msg, ...) __attribute__((sentinel));
void log_kvv(log_level_t level, const char *msg, va_list kv);
void log_fmt(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_kv(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_kv(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_kv(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_kv(LOG_ERROR, __VA_ARGS__)
#define log_debugf(...) log_fmt(LOG_DEBUG, __VA_ARGS__)
#define log_infof(...) log_fmt(LOG_INFO, __VA_ARGS__)
#define log_warnf(...) log_fmt(LOG_WARN, __VA_ARGS__)
#define log_errorf(...) log_fmt(LOG_ERROR, __VA_ARGS__)

#endif
