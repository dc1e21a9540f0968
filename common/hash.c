#include "hash.h"

#include <stdio.h>

#define S_FNV64_OFFSET 0xcbf29ce484222325ULL
#define S_FNV64_PRIME 0x100000001b3ULL

uint64_t hash_fnv1a64(const void *data, size_t len)
{
    const unsigned char *bytes = data;
    uint64_t hash = S_FNV64_OFFSET;
    for (size_t i = 0; i < len; i++)
        hash = (hash ^ bytes[i]) * S_FNV64_PRIME;
    return hash;
}

uint64_t hash_fnv1a64_str(const char *text)
{
    uint64_t hash = S_FNV64_OFFSET;
    for (; *text; text++)
        hash = (hash ^ (unsigned char)*text) * S_FNV64_PRIME;
    return hash;
}

void hash_hex64(uint64_t hash, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)hash);
}
