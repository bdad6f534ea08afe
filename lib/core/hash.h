/* hash — 64-bit hashing for content digests, and keyed 128-bit keys.
 *
 * hash64() is a seeded FNV-1a over the bytes followed by a strong 64-bit
 * finaliser (murmur3 fmix64): fast and stable across processes, for content
 * digests that are stored (event_log.digest). It is not for keys chosen by a
 * client: anyone can compute it.
 *
 * key128_of() is what maps keyed by client-chosen text use (event ids,
 * entity ids, agency codes): SipHash-2-4 under a 128-bit secret key, two
 * outputs under two subkeys. With a random key per process (hash_key_random,
 * as Redis seeds its dict hash) a publisher cannot choose ids that collide,
 * neither in a map's buckets nor in the 128-bit key that stands for the id.
 *
 * The key is process-wide: set it once at start, before any map holds a key
 * (a key set later makes every earlier key128 unfindable). The aggregator
 * stores it in its checkpoint and adopts the checkpoint's key when it loads
 * one (hash_key_set), so the keys saved there are found again.
 */
#ifndef GK_HASH_H
#define GK_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_KEY_LEN 16

uint64_t hash64(const void *data, size_t len, uint64_t seed);

struct key128 {
    uint64_t a, b;
};

/* 128-bit key of (ns, tag, text) under the process key. */
struct key128 key128_of(uint32_t ns, uint32_t tag, const char *text);
/* A keyed 64-bit hash of bytes (SipHash-2-4 under the process key, tag mixed
 * in): for small in-memory ids derived from client text. */
uint64_t hash_keyed64(const void *data, size_t len, uint64_t tag);

/* A fresh random process key (getrandom); 0, or -1 when the system gives no
 * randomness (the key then stays as it was). */
int hash_key_random(void);
/* Sets / reads the process key (HASH_KEY_LEN bytes). */
void hash_key_set(const uint8_t key[HASH_KEY_LEN]);
void hash_key_get(uint8_t key[HASH_KEY_LEN]);

#endif
