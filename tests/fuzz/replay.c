/* replay: make test's side of a fuzz target. Linked with one tests/fuzz/fuzz_<name>.c (FUZZ_NAME
 * is "<name>"), it feeds every file of tests/fuzz/corpus/<name>/ and tests/fuzz/regressions/<name>/
 * through the target's LLVMFuzzerTestOneInput, once each, as two cmocka tests. An input that
 * once crashed the target goes into regressions/<name>/ with the fix, so it stays fixed (and
 * every SAN=... build replays it under its sanitizers). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "build with -DFUZZ_NAME='\"<name>\"'"
#endif

/* Replays every regular file of dir; the number replayed. A missing dir is 0 files. */
static size_t s_replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, got;
        do {
            if (len == cap) {
                cap = cap ? cap * 2 : 4096;
                buf = realloc(buf, cap);
                assert_non_null(buf);
            }
            got = fread(buf + len, 1, cap - len, f);
            len += got;
        } while (got > 0);
        fclose(f);
        /* an exact-size copy, so ASan sees a read past the input as libFuzzer would */
        uint8_t *input = malloc(len ? len : 1);
        assert_non_null(input);
        memcpy(input, buf, len);
        free(buf);
        print_message("replay %s (%zu bytes)\n", path, len);
        assert_int_equal(LLVMFuzzerTestOneInput(input, len), 0);
        free(input);
        n++;
    }
    closedir(d);
    return n;
}

static void test_corpus(void **state)
{
    assert_true(s_replay_dir("tests/fuzz/corpus/" FUZZ_NAME) > 0); /* the seeds are there */
}

static void test_regressions(void **state)
{
    s_replay_dir("tests/fuzz/regressions/" FUZZ_NAME);
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_regressions),
    };
    return cmocka_run_group_tests_name("fuzz_" FUZZ_NAME, tests, NULL, NULL);
}
