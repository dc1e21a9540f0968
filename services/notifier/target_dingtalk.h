/* target_dingtalk: a DingTalk (钉钉) group robot (docs/notifier.md, Targets).
 *
 * {"msgtype":"markdown","markdown":{"title":…,"text":…}} with target_markdown's Chinese text.
 * With a secret (the robot's "加签" setting), DingTalk's signing: timestamp = now in ms,
 * sign = URL-encoded base64(HMAC-SHA256(key = secret, timestamp "\n" secret)), appended to
 * the URL (…?access_token=…&timestamp=…&sign=…). DingTalk refuses a timestamp more than an
 * hour off its clock, so every attempt is signed afresh. Accepted: HTTP 200 and errcode 0. */
#ifndef GRIDLINE_TARGET_DINGTALK_H
#define GRIDLINE_TARGET_DINGTALK_H

#include "target.h"

/* The markdown text's cap in bytes (DingTalk's documented limit is 20,000 characters). */
#define TARGET_DINGTALK_TEXT_MAX 20000

/* target_render for TARGET_DINGTALK (secret "" signs nothing). 0, or -1 (out of memory). */
int target_dingtalk_render(const char *url, const char *secret, json_t *const *alerts, size_t n,
                           int64_t now_ms, target_request_t *out);
/* The sign parameter for secret at timestamp_ms, URL-encoded, into out (>= 96 bytes).
 * 0, or -1. */
int target_dingtalk_sign(const char *secret, int64_t timestamp_ms, char *out, size_t size);

#endif
