/* The two entry points every fuzz target (tests/fuzz/fuzz_<name>.c) defines: libFuzzer calls
 * them in make fuzz, tests/fuzz/replay.c calls them in make test on the target's seed corpus
 * and regressions. */
#ifndef GRIDLINE_FUZZ_H
#define GRIDLINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
