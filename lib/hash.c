/* hash — seeded FNV-1a + fmix64 (see hash.h). */
#include "hash.h"

#include <string.h>

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

uint64_t hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ fmix64(seed + 0x9e3779b97f4a7c15ULL);
    size_t i = 0;
    /* Eight bytes at a time, then the tail: FNV over words keeps it quick. */
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return fmix64(h ^ len);
}

struct key128 key128_of(uint32_t ns, uint32_t tag, const char *text)
{
    size_t n = strlen(text);
    uint64_t seed = ((uint64_t)ns << 32) | tag;
    struct key128 k = {hash64(text, n, seed), hash64(text, n, ~seed)};
    if (!k.a && !k.b)
        k.a = 1; /* (0,0) marks an empty slot in map.c */
    return k;
}
