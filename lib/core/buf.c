/* buf — growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n) /* p may be NULL when n is 0 (an empty array), and memcpy may not see NULL */
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_int(struct buf *b, int64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN: 2^63 */
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

void buf_html_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_putc(b, *s);
        }
    }
}

void buf_json_string(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        switch (*p) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\t': buf_puts(b, "\\t"); break;
        case '\r': buf_puts(b, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                buf_printf(b, "\\u%04x", *p);
            } else if (*p >= 0x80) {
                /* Valid UTF-8 goes as it is; a byte that starts no valid
                 * sequence is shown as the text \xNN, so the document stays
                 * valid JSON for a strict parser. */
                uint32_t cp;
                size_t n = utf8_decode(p, left, &cp);
                if (n) {
                    buf_append(b, p, n);
                    p += n, left -= n;
                    continue;
                }
                buf_printf(b, "\\\\x%02x", *p);
            } else {
                buf_putc(b, (char)*p);
            }
        }
        p++, left--;
    }
    buf_putc(b, '"');
}

int buf_read(struct buf *b, FILE *f)
{
    size_t n;
    do {
        buf_reserve(b, 65536);
        n = fread(b->data + b->len, 1, b->cap - b->len - 1, f);
        b->len += n;
        b->data[b->len] = '\0';
    } while (n > 0);
    return ferror(f) ? -1 : 0;
}

int buf_read_max(struct buf *b, FILE *f, size_t max)
{
    size_t start = b->len, n;
    do {
        size_t room = max - (b->len - start) + 1; /* one byte more: to see that there is more */
        buf_reserve(b, room < 65536 ? room : 65536);
        n = fread(b->data + b->len, 1, room < b->cap - b->len - 1 ? room : b->cap - b->len - 1, f);
        b->len += n;
        b->data[b->len] = '\0';
        if (b->len - start > max) {
            b->len = start + max;
            b->data[b->len] = '\0';
            return 1;
        }
    } while (n > 0);
    return ferror(f) ? -1 : 0;
}

char *buf_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = {0};
    int rc = buf_read(&b, f);
    fclose(f);
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    buf_reserve(&b, 0); /* an empty file is "" too, never NULL */
    b.data[b.len] = '\0';
    if (len)
        *len = b.len;
    return b.data;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const void *rd_take(struct rd *r, size_t n)
{
    if (!r->ok || n > r->left) {
        r->ok = 0;
        return NULL;
    }
    const void *v = r->p;
    r->p += n;
    r->left -= n;
    return v;
}

int rd_copy(struct rd *r, void *dst, size_t n)
{
    const void *p = rd_take(r, n);
    if (!p)
        return -1;
    memcpy(dst, p, n);
    return 0;
}
