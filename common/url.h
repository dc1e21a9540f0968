/* url: what of a URL may be shown. Webhook URLs carry credentials (user:pass@, WeCom's key=,
 * DingTalk's access_token=), so logs, --print-config and the APIs show scheme, host and path
 * only. */
#ifndef GRIDLINE_URL_H
#define GRIDLINE_URL_H

#include <stddef.h>

/* scheme://host[:port]/path of url into out (no user:pass, no query, no fragment). */
void url_redact(const char *url, char *out, size_t size);

#endif
