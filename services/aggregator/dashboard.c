#include "dashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* The largest file served (echarts.min.js is about 1 MB). */
#define S_MAX_FILE (16u << 20)
#define S_MAX_NAME 128

static const struct {
    const char *ext;
    const char *type;
} s_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".png", "image/png"},
    {".svg", "image/svg+xml"},
    {".json", "application/json; charset=utf-8"},
    {".ico", "image/x-icon"},
};

bool dashboard_path(const char *path)
{
    return strncmp(path, "/dashboard", 10) == 0 && (path[10] == '\0' || path[10] == '/');
}

/* The Content-Type of a plain file name, or NULL when the name is not one we serve. */
static const char *s_type(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > S_MAX_NAME || name[0] == '.')
        return NULL;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return NULL;
    }
    if (strstr(name, ".."))
        return NULL;
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++) {
        size_t el = strlen(s_types[i].ext);
        if (len > el && strcmp(name + len - el, s_types[i].ext) == 0)
            return s_types[i].type;
    }
    return NULL;
}

/* The whole of a regular file, malloc'd, in *len; NULL when it is not one or cannot be read. */
static char *s_read(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= S_MAX_FILE)
        buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            buf = NULL;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (buf)
        *len = got;
    return buf;
}

void dashboard_serve(const char *dir, const http_request_t *req, http_response_t *res)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        http_response_error(res, 405, "method_not_allowed", NULL, "the dashboard is GET only");
        http_response_header(res, "Allow", "GET, HEAD");
        return;
    }
    const char *name = req->path + 10; /* after "/dashboard" */
    if (*name == '/')
        name++;
    if (*name == '\0')
        name = "index.html";
    const char *type = s_type(name);
    size_t len = 0;
    char *body = type ? s_read(dir, name, &len) : NULL;
    if (!body) {
        http_response_error(res, 404, "not_found", NULL, "no such dashboard file (is it built?)");
        return;
    }
    http_response_bytes(res, 200, type, body, len);
    /* a new build shows at the next load; the page itself refreshes its data */
    http_response_header(res, "Cache-Control", "no-cache");
    http_response_header(res, "X-Content-Type-Options", "nosniff");
}

bool dashboard_handle(service_t *service, const http_request_t *req, http_response_t *res)
{
    if (!dashboard_path(req->path))
        return false;
    config_t *cfg = service_config(service);
    dashboard_serve(cfg ? cfg->aggregator_dashboard_dir : "build/dashboard", req, res);
    config_release(&cfg);
    return true;
}
