/* utf8 — strict UTF-8 decoding (see utf8.h). */
#include "utf8.h"

#include <string.h>

size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t c = s[0], min;
    size_t n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2, c &= 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, c &= 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = utf8_decode(p + i, n - i, &cp)))
            return 0;
    return 1;
}

void utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s);
    uint32_t cp;
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = utf8_decode(p + i, n - i, &cp)))
            p[i] = '?', k = 1;
}

size_t utf8_cut(const char *s, size_t n, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_decode(p + i, n - i, &cp);
        if (!k)
            k = 1; /* a stray byte is one unit: it is never part of a character */
        if (i + k > max)
            break;
        i += k;
    }
    return i;
}

/* 1 when code point c must not reach a terminal, a TSV row or a log line as
 * it is: C0 controls (tab and newline included), DEL, C1 controls (0x9b is
 * a CSI on some terminals), the line and paragraph separators. */
static int unsafe(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

/* utf8_show; with quote, '"' and '\\' of the text get a backslash too. */
static size_t show(const char *s, size_t n, char *out, size_t cap, int quote)
{
    static const char hex[] = "0123456789abcdef";
    static const char more[] = "\xe2\x80\xa6"; /* … */
    const size_t more_len = sizeof more - 1;
    const unsigned char *p = (const unsigned char *)s;
    if (!cap)
        return 0;
    /* How long it all is, shown: when it fits, no room is kept for "…". */
    size_t whole = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, n - i, &cp);
        whole += !k ? 4 : unsafe(cp) ? 4 * k : quote && (cp == '"' || cp == '\\') ? 2 : k;
        i += k ? k : 1;
    }
    size_t reserve = whole + 1 <= cap ? 0 : more_len;
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, n - i, &cp);
        int escape = !k || unsafe(cp);
        int backslash = !escape && quote && (cp == '"' || cp == '\\');
        if (!k)
            k = 1; /* a byte that starts no valid sequence */
        /* This character's output, room for "…" when cutting, and the NUL. */
        size_t len = escape ? 4 * k : backslash ? 2 : k;
        if (o + len + reserve + 1 > cap)
            break;
        if (backslash)
            out[o++] = '\\';
        for (size_t b = 0; b < k; b++, i++) {
            if (escape) {
                out[o++] = '\\', out[o++] = 'x';
                out[o++] = hex[p[i] >> 4], out[o++] = hex[p[i] & 15];
            } else {
                out[o++] = (char)p[i];
            }
        }
    }
    if (i < n && o + more_len + 1 <= cap) {
        memcpy(out + o, more, more_len);
        o += more_len;
    }
    out[o] = '\0';
    return o;
}

size_t utf8_show(const char *s, size_t n, char *out, size_t cap)
{
    return show(s, n, out, cap, 0);
}

const char *utf8_shown(const char *s, char *out, size_t cap)
{
    utf8_show(s ? s : "", s ? strlen(s) : 0, out, cap);
    return out;
}

const char *utf8_quoted(const char *s, char *out, size_t cap)
{
    show(s ? s : "", s ? strlen(s) : 0, out, cap, 1);
    return out;
}
