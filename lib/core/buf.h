/* buf — a growable byte buffer for building text and messages.
 *
 * struct buf is a value: {data, len, cap}; the owner calls buf_free(). data is
 * always NUL-terminated after any append, so text can be used as a C string.
 */
#ifndef GK_BUF_H
#define GK_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct buf {
    char *data;  /* owned; NULL until the first append */
    size_t len;  /* bytes used, excluding the NUL */
    size_t cap;  /* bytes allocated */
};

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, as "%lld" would, for every int64_t (INT64_MIN too),
 * without printf: a report's JSON holds some 200 numbers, and vfprintf was
 * the largest cost of serving one. */
void buf_int(struct buf *b, int64_t v);
/* Appends s as a JSON string literal, quotes included. */
void buf_json_string(struct buf *b, const char *s);
/* Appends s as HTML text: & < > " ' escaped (safe in elements and quoted attributes). */
void buf_html_text(struct buf *b, const char *s);
/* Appends all that is left in f. 0, or -1 on a read error (errno set). */
int buf_read(struct buf *b, FILE *f);
/* The same, reading at most max bytes: 0; 1 when f holds more than max (b
 * then holds the first max; nothing more is read, so memory stays bounded
 * whatever the input); -1 on a read error (errno set). */
int buf_read_max(struct buf *b, FILE *f, size_t max);
/* The whole file at path (NUL-terminated; its length in *len when len is not
 * NULL) as a new string the caller frees; NULL with errno set on failure. */
char *buf_read_file(const char *path, size_t *len);
void buf_reset(struct buf *b);

/* A cursor for reading back bytes built with buf_append: rd_take returns the
 * next n bytes, or NULL (and ok = 0 from then on) when fewer are left. */
struct rd {
    const unsigned char *p;
    size_t left;
    int ok;
};
const void *rd_take(struct rd *r, size_t n);
/* The next n bytes copied into dst: 0, or -1 (ok = 0) when fewer are left.
 * Use it for anything wider than a byte: the bytes (a checkpoint read back
 * from PostgreSQL) need not be aligned for the type they hold. */
int rd_copy(struct rd *r, void *dst, size_t n);
void buf_free(struct buf *b);

#endif
