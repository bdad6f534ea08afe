/* hash — FNV-1a + fmix64 digests, SipHash-2-4 keys (see hash.h). */
#include "hash.h"

#include <string.h>
#include <sys/random.h>

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

/* The process key as two 64-bit halves. A fixed key until hash_key_random or
 * hash_key_set: unit tests and tools that store nothing need no setup. */
static uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                                  \
        v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                                     \
        v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                                     \
        v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                                  \
    } while (0)

/* SipHash-2-4 (Aumasson and Bernstein) of a prefix word and the bytes. */
static uint64_t siphash(uint64_t key0, uint64_t key1, uint64_t prefix, const unsigned char *p,
                        size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ key0, v1 = 0x646f72616e646f6dULL ^ key1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ key0, v3 = 0x7465646279746573ULL ^ key1;
    uint64_t total = len + 8;
    v3 ^= prefix;
    SIPROUND;
    SIPROUND;
    v0 ^= prefix;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t m;
        memcpy(&m, p, 8); /* little-endian hosts: the reference's byte order */
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = total << 56;
    for (size_t i = 0; i < len; i++)
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

struct key128 key128_of(uint32_t ns, uint32_t tag, const char *text)
{
    size_t n = strlen(text);
    uint64_t prefix = ((uint64_t)ns << 32) | tag;
    /* Two independent halves: the same function under two subkeys. */
    struct key128 k = {siphash(k0, k1, prefix, (const unsigned char *)text, n),
                       siphash(k1 ^ 0x9e3779b97f4a7c15ULL, k0 ^ 0xc2b2ae3d27d4eb4fULL, prefix,
                               (const unsigned char *)text, n)};
    if (!k.a && !k.b)
        k.a = 1; /* (0,0) marks an empty slot in map.c */
    return k;
}

uint64_t hash_keyed64(const void *data, size_t len, uint64_t tag)
{
    return siphash(k0, k1, tag, data, len);
}

int hash_key_random(void)
{
    uint8_t key[HASH_KEY_LEN];
    if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
        return -1;
    hash_key_set(key);
    return 0;
}

void hash_key_set(const uint8_t key[HASH_KEY_LEN])
{
    memcpy(&k0, key, 8);
    memcpy(&k1, key + 8, 8);
}

void hash_key_get(uint8_t key[HASH_KEY_LEN])
{
    memcpy(key, &k0, 8);
    memcpy(key + 8, &k1, 8);
}
