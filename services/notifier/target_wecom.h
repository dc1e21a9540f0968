/* target_wecom: a WeCom (企业微信) group robot (docs/notifier.md, Targets).
 *
 * {"msgtype":"markdown","markdown":{"content":…}} with target_markdown's Chinese text, under
 * the robot's 4,096-byte limit for markdown content. The robot's key is in the URL (…?key=…),
 * no signature. Accepted: HTTP 200 and errcode 0 (target_accepted_errcode). */
#ifndef GRIDLINE_TARGET_WECOM_H
#define GRIDLINE_TARGET_WECOM_H

#include "target.h"

/* The robot refuses markdown content of 4,096 bytes or more. */
#define TARGET_WECOM_CONTENT_MAX 4096

/* target_render for TARGET_WECOM. 0, or -1 (out of memory). */
int target_wecom_render(const char *url, json_t *const *alerts, size_t n, target_request_t *out);

#endif
