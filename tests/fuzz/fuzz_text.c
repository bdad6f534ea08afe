/* fuzz_text — libFuzzer target over the one way untrusted text is shown
 * (utf8_show) and cut (utf8_cut), issue 23. For any bytes and any bound:
 *   utf8_show: the result fits the bound with its NUL, is valid UTF-8, holds
 *     no control character (C0, DEL, C1, U+2028/9), and is all of the input
 *     when the input is valid, printable and fits;
 *   utf8_quoted: the same, with every '"' and '\\' of the text escaped;
 *   utf8_cut: the cut is within the bound, on a character boundary (a valid
 *     input's prefix stays valid), and maximal (the next character would
 *     not fit).
 * The first input byte is the bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_control(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, n - i, &cp);
        if (!k || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
            return 1;
        i += k;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = data[0];
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    char out[256];
    size_t len = utf8_show(s, n, out, cap);
    if (cap) {
        if (len >= cap || out[len] != '\0' || strlen(out) != len)
            abort(); /* within the bound, NUL-terminated, no NUL inside */
        if (!utf8_valid(out, len) || has_control(out, len))
            abort();
        if (utf8_valid(s, n) && !has_control(s, n) && !memchr(s, 0, n) && n < cap &&
            (len != n || memcmp(out, s, n) != 0))
            abort(); /* safe text that fits is shown as it is */
    }
    /* utf8_quoted: the same, and no '"' or '\\' of the text left bare. */
    char z[600]; /* utf8_quoted takes a C string */
    size_t zn = n < sizeof z - 1 ? n : sizeof z - 1;
    memcpy(z, s, zn);
    z[zn] = '\0';
    len = strlen(utf8_quoted(z, out, cap ? cap : 1));
    if (len >= (cap ? cap : 1) || !utf8_valid(out, len) || has_control(out, len))
        abort();
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '\\' && i + 1 < len &&
            (out[i + 1] == '"' || out[i + 1] == '\\' || out[i + 1] == 'x')) {
            i++; /* an escape: \" \\ or \xNN */
            continue;
        }
        if (out[i] == '"' || out[i] == '\\')
            abort();
    }
    size_t max = cap;
    size_t cut = utf8_cut(s, n, max);
    if (cut > max || cut > n)
        abort();
    if (utf8_valid(s, n)) {
        if (!utf8_valid(s, cut))
            abort(); /* never inside a character */
        if (cut < n) {
            uint32_t cp;
            size_t k = utf8_decode((const unsigned char *)s + cut, n - cut, &cp);
            if (k && cut + k <= max)
                abort(); /* the next character would have fitted */
        }
    }
    return 0;
}
