/* test_alloc — the allocation wrappers (lib/core/alloc.c): xstrndup stops at the
 * string's end (issue 12: it read n bytes whatever the string's length, a
 * heap over-read that ASan reported from a short line of the tokens file),
 * xmemdup copies bytes, NULs included. Run under ASan by `make test-asan`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static void test_xstrndup_stops_at_nul(void **state)
{
    (void)state;
    char *s = malloc(3); /* exactly "ab" and its NUL: reading past is an overflow */
    memcpy(s, "ab", 3);
    char *c = xstrndup(s, 64);
    assert_string_equal(c, "ab");
    free(c);
    c = xstrndup(s, 1);
    assert_string_equal(c, "a");
    free(c);
    c = xstrndup(s, 0);
    assert_string_equal(c, "");
    free(c);
    free(s);
}

static void test_xmemdup_keeps_bytes(void **state)
{
    (void)state;
    char *c = xmemdup("a\0b", 3);
    assert_memory_equal(c, "a\0b", 3);
    assert_int_equal(c[3], '\0');
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xstrndup_stops_at_nul),
        cmocka_unit_test(test_xmemdup_keeps_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
