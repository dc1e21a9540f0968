/* A configuration loaded from a test's YAML as a cmocka group's state. */
#ifndef GRIDLINE_CONFIG_FIXTURE_H
#define GRIDLINE_CONFIG_FIXTURE_H

#include "config.h"
#include "region.h"

/* The defaults, then yaml: 0, or -1 (the group does not run). */
static inline int config_fixture_load(void **state, const char *yaml)
{
    config_t *cfg = config_new();
    if (!cfg || config_load_string(cfg, yaml, "test") != 0) {
        config_destroy(&cfg);
        return -1;
    }
    *state = cfg;
    return 0;
}

static inline int config_fixture_teardown(void **state)
{
    config_t *cfg = *state;
    config_destroy(&cfg);
    return 0;
}

/* The default configuration and the region table, for tests of what reads both. */
typedef struct {
    config_t *config;
    region_table_t *regions;
} config_fixture_t;

static inline int config_fixture_regions_setup(void **state)
{
    static config_fixture_t f;
    char err[256];
    f.config = config_new();
    f.regions = region_table_load("data/regions-nmg.csv", err, sizeof err);
    *state = &f;
    return f.config && f.regions ? 0 : -1;
}

static inline int config_fixture_regions_teardown(void **state)
{
    config_fixture_t *f = *state;
    config_destroy(&f->config);
    region_table_destroy(&f->regions);
    return 0;
}

#endif
