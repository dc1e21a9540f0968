#include "url.h"

#include <stdio.h>
#include <string.h>

void url_redact(const char *url, char *out, size_t size)
{
    if (size == 0)
        return;
    /* scheme://[user:pass@]host[:port][/path][?query][#fragment] */
    const char *sep = strstr(url, "://");
    size_t scheme_len = 0;
    const char *authority = url;
    if (sep && strcspn(url, ":/?#@") == (size_t)(sep - url)) {
        scheme_len = (size_t)(sep - url) + 3;
        authority = sep + 3;
    }
    size_t authority_len = strcspn(authority, "/?#");
    const char *host = authority;
    for (const char *p = authority; p < authority + authority_len; p++)
        if (*p == '@')
            host = p + 1; /* the last '@': a password may hold one unescaped */
    const char *path = authority + authority_len;
    size_t path_len = strcspn(path, "?#");
    snprintf(out, size, "%.*s%.*s%.*s", (int)scheme_len, url,
             (int)(authority + authority_len - host), host, (int)path_len, path);
}
