/* directory: who answers for a department at a level in a region, as entered over the API.
 *
 * The configuration's `directory` list is the base; entries added with POST /v1/directory
 * (router) live in Redis, so every instance of every service sees them and a restart keeps
 * them. An API entry overrides the configuration's entry with the same (department, level,
 * region) until it is deleted. An entry's id is made of those three, so posting the same triple
 * again replaces the entry: "<department>.<level>.<region or all>" ("heating.blue.150123",
 * "*.red.15", "water-supply.green.all").
 *
 *   {directory}:entries   hash   id -> "<department>\t<level>\t<region>\t<assignee>"
 *   {directory}:version   string INCR on every change: readers reload when it moved
 *
 * A directory_t is one thread's cache of the API entries: directory_refresh asks the version
 * (one GET) and reloads only when it changed. Not thread-safe: one per thread. */
#ifndef GRIDLINE_DIRECTORY_H
#define GRIDLINE_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "rconn.h"

#define DIRECTORY_ID_MAX 96

typedef struct {
    char id[DIRECTORY_ID_MAX];
    config_directory_entry_t entry; /* strings owned by the directory */
} directory_entry_t;

typedef struct directory directory_t;

directory_t *directory_new(void);
void directory_destroy(directory_t **self_p);
/* Reloads the API entries if their version moved. 0, or -1 (Redis down: the cache stays). */
int directory_refresh(directory_t *self, rconn_t *redis);
/* The version of the API entries as last loaded (-1: never). */
long long directory_version(const directory_t *self);
/* The API entries as last loaded. */
const directory_entry_t *directory_entries(const directory_t *self, size_t *count);
/* Whether an API entry has this (department, level, region). */
bool directory_overrides(const directory_t *self, const config_directory_entry_t *entry);

/* The id of an entry (out: DIRECTORY_ID_MAX bytes). */
void directory_id(const config_directory_entry_t *entry, char *out);
/* Checks an entry against the catalogue of config (department known or "*", level, region
 * digits, assignee 1..256 bytes without control characters). NULL, or what is wrong, with
 * *field set to the field's name. */
const char *directory_check(const config_t *config, const config_directory_entry_t *entry,
                            const char **field);
/* Adds or replaces an API entry (id into id_out). 0, or -1 (Redis down). */
int directory_put(rconn_t *redis, const config_directory_entry_t *entry, char *id_out);
/* 1 removed, 0 no API entry with that id, -1 Redis down. */
int directory_remove(rconn_t *redis, const char *id);

#endif
