/* A configuration loaded from a test's YAML as a cmocka group's state. */
#ifndef GRIDLINE_CONFIG_FIXTURE_H
#define GRIDLINE_CONFIG_FIXTURE_H

#include "config.h"

/* The defaults, then yaml: 0, or -1 (the group does not run). */
static int config_fixture_load(void **state, const char *yaml)
{
    config_t *cfg = config_new();
    if (!cfg || config_load_string(cfg, yaml, "test") != 0) {
        config_destroy(&cfg);
        return -1;
    }
    *state = cfg;
    return 0;
}

static int config_fixture_teardown(void **state)
{
    config_t *cfg = *state;
    config_destroy(&cfg);
    return 0;
}

#endif
