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

/* The length of the longest prefix of s[0..n) that is at most max bytes and
 * ends on a character boundary: a cut never splits a UTF-8 sequence (a byte
 * that starts no valid sequence counts as one character). */
size_t utf8_cut(const char *s, size_t n, size_t max);

/* Text from outside, made safe to show in a terminal, a TSV field, a log
 * line, a JSON or protobuf string: valid printable characters as they are
 * (Chinese stays Chinese), every byte of a control character (C0 with tab
 * and newline, DEL, C1, U+2028/9) and every byte that starts no valid
 * sequence as the text \xNN; cut on a character boundary to fit cap bytes
 * with its NUL, ending in "…" when cut. The result is valid UTF-8 with no
 * control character. Returns its length. out and s must not overlap. */
size_t utf8_show(const char *s, size_t n, char *out, size_t cap);
/* utf8_show of a C string (NULL shows as ""), returning out: for printf. */
const char *utf8_shown(const char *s, char *out, size_t cap);
/* utf8_shown with '"' and '\\' escaped by a backslash: for a value quoted in
 * a message or a logfmt field ("..."), the one form every output uses. */
const char *utf8_quoted(const char *s, char *out, size_t cap);

#endif
