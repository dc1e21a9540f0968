#include "target_wecom.h"

#include <stdlib.h>
#include <string.h>

int target_wecom_render(const char *url, json_t *const *alerts, size_t n, target_request_t *out)
{
    char *content = target_markdown(alerts, n, TARGET_WECOM_CONTENT_MAX);
    json_t *body =
        content ? json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content", content)
                : NULL;
    free(content);
    out->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    out->url = strdup(url);
    if (!out->body || !out->url)
        return -1;
    return target_request_header(out, "Content-Type: application/json");
}
