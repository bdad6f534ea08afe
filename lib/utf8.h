/* utf8 — strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing past
 * U+10FFFF. One decoder for everything that reads text from outside. */
#ifndef GK_UTF8_H
#define GK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s[0..len) (len ≥ 1): its length in bytes, with the
 * code point in *cp; 0 when the bytes there are not valid UTF-8. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* 1 when s[0..n) is valid UTF-8. */
int utf8_valid(const char *s, size_t n);
/* Replaces every byte of a NUL-terminated s that starts no valid sequence
 * with '?', in place: what a text column of PostgreSQL or a protobuf string
 * will take. */
void utf8_scrub(char *s);

#endif
