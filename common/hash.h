/* hash: FNV-1a 64, the one non-cryptographic hash of gridline.
 *
 * Used where a stable, fast, dependency-free hash of a few bytes is enough: the region table's
 * open-addressing index, intake's fingerprint of a request body (Idempotency-Key replays), and
 * loadgen's fixed position of a village. Not for anything an attacker must not collide. */
#ifndef GRIDLINE_HASH_H
#define GRIDLINE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of len bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
uint64_t hash_fnv1a64(const void *data, size_t len);
/* The same over a NUL-terminated string, without its NUL. */
uint64_t hash_fnv1a64_str(const char *text);
/* 16 lowercase hex digits and a NUL. */
void hash_hex64(uint64_t hash, char out[17]);

#endif
