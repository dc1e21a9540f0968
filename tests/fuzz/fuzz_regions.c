/* fuzz_regions: a regions file (region_table_load; data/regions-nmg.csv is one), given to it
 * as a memfd so that no temp file is written per input. A table that loads must answer every
 * lookup of what it holds: by code, by prefix, up the parent chain, as an appeal's region. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "region.h"

static int s_fd = -1;
static char s_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_fd = memfd_create("regions.csv", 0);
    if (s_fd < 0)
        abort();
    snprintf(s_path, sizeof s_path, "/proc/self/fd/%d", s_fd);
    return 0;
}

static void s_check(const region_table_t *t)
{
    const region_t *out[8];
    size_t total = 0;
    for (int l = REGION_PROVINCE; l <= REGION_VILLAGE; l++) {
        const region_t *some[64];
        size_t n = region_under(t, "", (region_level_t)l, some, 64);
        total += n;
        for (size_t i = 0; i < n && i < 64; i++) {
            if (region_lookup(t, some[i]->code) != some[i])
                abort();
            region_chain(t, some[i]->code, out, 8);
            const region_t *village;
            const char *why;
            region_resolve_appeal(t, some[i]->code, &village, &why);
            char grid[32];
            snprintf(grid, sizeof grid, "%s07", some[i]->code);
            region_resolve_appeal(t, grid, &village, &why);
            region_chain(t, grid, out, 8);
            char county[7];
            region_county_of(some[i]->code, county);
            region_under(t, some[i]->code, REGION_VILLAGE, out, 8);
        }
    }
    if (total != region_table_count(t))
        abort();
    size_t counties;
    region_counties(t, &counties);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(s_fd, 0) != 0 || pwrite(s_fd, data, size, 0) != (ssize_t)size)
        abort();
    char err[256] = "";
    region_table_t *t = region_table_load(s_path, err, sizeof err);
    if (t) {
        s_check(t);
        region_table_destroy(&t);
    } else if (!err[0]) {
        abort();
    }
    return 0;
}
