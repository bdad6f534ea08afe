/* sha256 — SHA-256 digests as lowercase hex (libsodium's crypto_hash_sha256):
 * what a release records of its document and tables, so that anyone can
 * check a copy (`sha256sum`).
 *
 * Pure and thread-safe.
 */
#ifndef GK_SHA256_H
#define GK_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* The digest of p[0..n) into hex (SHA256_HEX_LEN characters and a NUL). */
void sha256_hex(const void *p, size_t n, char hex[SHA256_HEX_LEN + 1]);

#endif
