/* test_buf — lib/core/buf.c: buf_int prints every int64_t as "%lld" does
 * (the limits, powers of ten either side, a million pseudo-random values of
 * every magnitude), appended after what the buffer holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

static void same_as_printf(int64_t v)
{
    struct buf b = {0};
    buf_puts(&b, "x=");
    buf_int(&b, v);
    char want[32];
    snprintf(want, sizeof want, "x=%lld", (long long)v);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    buf_free(&b);
}

static void test_int_limits(void **state)
{
    (void)state;
    const int64_t edge[] = {0, 1, -1, 9, 10, -9, -10, 99, 100, INT64_MAX, INT64_MIN, INT64_MAX - 1,
                            INT64_MIN + 1, 9007199254740991LL, -9007199254740991LL, 1000000000000000LL};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        same_as_printf(edge[i]);
    int64_t p = 1;
    for (int k = 0; k < 18; k++, p *= 10) {
        same_as_printf(p - 1), same_as_printf(p), same_as_printf(p + 1);
        same_as_printf(-p + 1), same_as_printf(-p), same_as_printf(-p - 1);
    }
}

static void test_int_random(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        int shift = (int)(x % 64);               /* every magnitude, not only huge ones */
        same_as_printf((int64_t)(x >> shift) * ((x & 1) ? -1 : 1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_limits),
        cmocka_unit_test(test_int_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
