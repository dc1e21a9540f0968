/* router_api: the router's HTTP API (router.http_port).
 *
 *   GET    /v1/directory           every entry: the configuration's ("source":"config"; with
 *                                  "overridden":true when an API entry replaces it) and the
 *                                  API's ("source":"api")
 *   POST   /v1/directory           {department, level, region, assignee} -> 201 {"id",...};
 *                                  department may be a category name (its department) or "*"
 *   DELETE /v1/directory/{id}      204; 409 read_only for a configuration entry; 404 none
 *   GET    /v1/supervision?region=PREFIX[&limit=N]
 *                                  the open appeals at red (督办), most overdue first
 * Each HTTP thread has its own Redis connection and directory cache (router_api_thread_new). */
#ifndef GRIDLINE_ROUTER_API_H
#define GRIDLINE_ROUTER_API_H

#include <stddef.h>

#include "httpd.h"
#include "service.h"

/* Per-thread state: arg is the service_t. */
void *router_api_thread_new(void *arg);
void router_api_thread_destroy(void *arg, void *state);
/* The handler; arg is the service_t, req->thread the state above. */
void router_api_handle(void *arg, const http_request_t *req, http_response_t *res);
int router_api_health(void *arg, void *thread, char *why, size_t whylen);

#endif
