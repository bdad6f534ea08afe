/* sha256 — SHA-256 as hex (see sha256.h). */
#include "sha256.h"

#include <sodium.h>
#include <stdlib.h>

void sha256_hex(const void *p, size_t n, char hex[SHA256_HEX_LEN + 1])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    if (sodium_init() < 0) /* idempotent and thread-safe; fails only without entropy sources */
        abort();
    crypto_hash_sha256(d, p, n);
    sodium_bin2hex(hex, SHA256_HEX_LEN + 1, d, sizeof d);
}
