/* hash — 64-bit hashing for keys and content digests.
 *
 * hash64() is a seeded FNV-1a over the bytes followed by a strong 64-bit
 * finaliser (murmur3 fmix64): fast, and well mixed enough that two seeds give
 * the two independent halves of a 128-bit key. Not cryptographic; nothing
 * here has to resist an adversary, since keys never cross a trust boundary as
 * hashes (ids are compared through their 128-bit keys only inside a process).
 */
#ifndef GK_HASH_H
#define GK_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash64(const void *data, size_t len, uint64_t seed);

struct key128 {
    uint64_t a, b;
};

/* 128-bit key of (ns, tag, text): two independent 64-bit hashes. */
struct key128 key128_of(uint32_t ns, uint32_t tag, const char *text);

#endif
