/* fuzz_config: a YAML configuration file (config_load_string), loaded over the defaults as
 * every process does at start-up. What loads must print (--print-config) and answer lookups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

static FILE *s_null;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_null = fopen("/dev/null", "w");
    if (!s_null)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *yaml = malloc(size + 1);
    config_t *cfg = config_new();
    if (!yaml || !cfg)
        abort();
    memcpy(yaml, data, size);
    yaml[size] = '\0';
    if (config_load_string(cfg, yaml, "fuzz.yaml") == 0) {
        config_print(cfg, s_null);
        for (size_t i = 0; i < cfg->category_count; i++)
            if (config_category(cfg, cfg->categories[i].name) == NULL)
                abort();
    } else if (!config_errstr(cfg) || !config_errstr(cfg)[0]) {
        abort(); /* a refusal always says why */
    }
    config_destroy(&cfg);
    free(yaml);
    return 0;
}
