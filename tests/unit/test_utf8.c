/* test_utf8 — showing and cutting untrusted text (lib/utf8.c, issue 23):
 * control characters and invalid bytes become the text \xNN, Chinese stays
 * Chinese, cuts fall between characters and end in "…", the bound holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static void show(const char *in, size_t cap, const char *want)
{
    char out[256];
    size_t n = utf8_show(in, strlen(in), out, cap);
    if (strcmp(out, want) != 0 || n != strlen(want))
        fail_msg("utf8_show(\"%s\", %zu): got \"%s\", want \"%s\"", in, cap, out, want);
}

static void test_show(void **state)
{
    (void)state;
    show("plain text", 64, "plain text");
    show("x\x1b]0;PWNED\x07\x1b[2J", 64, "x\\x1b]0;PWNED\\x07\\x1b[2J");
    show("a\tb\nc\r", 64, "a\\x09b\\x0ac\\x0d");
    show("c\xc2\x9b" "d", 64, "c\\xc2\\x9bd");           /* C1: CSI */
    show("\xe2\x80\xa8", 64, "\\xe2\\x80\\xa8");         /* U+2028 */
    show("bad \xff byte", 64, "bad \\xff byte");
    show("\xe4\xb8", 64, "\\xe4\\xb8");                  /* a cut sequence */
    show("中文报告", 64, "中文报告");
    show("back\\slash \"quote\"", 64, "back\\slash \"quote\""); /* text, not controls */
    /* Cuts: whole characters, then "…", within the bound (NUL included). */
    show("中文报告", 13, "中文报告");                    /* 12 bytes + NUL: fits */
    show("中文报告", 12, "中文…");                       /* 6 + 3 + NUL */
    show("abcdef", 5, "a…");
    show("abcdef", 7, "abcdef");
    show("\x1b\x1b", 5, "…");                              /* no room for an escape and "…" */
    show("anything", 1, "");
    char out[4] = "zzz";
    assert_int_equal(utf8_show("x", 1, out, 0), 0);
    assert_string_equal(out, "zzz"); /* cap 0: nothing written */
}

static void test_cut(void **state)
{
    (void)state;
    const char *s = "中文ab";
    assert_int_equal(utf8_cut(s, strlen(s), 100), 8);
    assert_int_equal(utf8_cut(s, strlen(s), 5), 3);
    assert_int_equal(utf8_cut(s, strlen(s), 6), 6);
    assert_int_equal(utf8_cut(s, strlen(s), 2), 0);
    assert_int_equal(utf8_cut("\xff\xfe" "a", 3, 2), 2); /* stray bytes are one each */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_show),
        cmocka_unit_test(test_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
