/* dashboard: the wall screen's page (issue 10), static files served by the aggregator.
 *
 *   GET /dashboard, /dashboard/    index.html
 *   GET /dashboard/<file>          <file> from aggregator.dashboard_dir (make builds it there:
 *                                  index.html, app.js, style.css, echarts.min.js)
 *
 * No token: the files hold no data; the page's own calls to /v1/stats and /v1/rankings carry
 * one. <file> is a plain name (letters, digits, '.', '-', '_'; not starting with '.'), a regular
 * file, else 404; the Content-Type comes from its extension (html, js, css, png, svg, json). */
#ifndef GRIDLINE_DASHBOARD_H
#define GRIDLINE_DASHBOARD_H

#include <stdbool.h>

#include "httpd.h"
#include "service.h"

/* Whether path is the dashboard's (/dashboard or under /dashboard/). */
bool dashboard_path(const char *path);
/* Answers a request whose path is the dashboard's, reading the files from dir. */
void dashboard_serve(const char *dir, const http_request_t *req, http_response_t *res);
/* For aggregator_handle: true when it answered req (the dashboard's path), with the directory
 * from the service's current configuration; false leaves req to the caller. */
bool dashboard_handle(service_t *service, const http_request_t *req, http_response_t *res);

#endif
