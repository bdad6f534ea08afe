/* test_log — every log record is one line of valid UTF-8 (lib/core/log.c, issue
 * 23), whatever a caller's %s holds: newlines and escapes from outside do
 * not split or forge records, a long record is cut between characters, and
 * log_q makes text safe inside a quoted logfmt value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

/* What log_emit writes for one call, read back from a temporary file. */
static char *capture(const char *value)
{
    char path[] = "/tmp/gongkai-test-log.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    log_emit(LOG_ERROR, "test", "value=\"%s\"", value);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    static char out[8192];
    ssize_t n = pread(fd, out, sizeof out - 1, 0);
    close(fd);
    unlink(path);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

static void one_line(const char *out)
{
    size_t n = strlen(out);
    assert_true(n > 0 && out[n - 1] == '\n');
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            fail_msg("a control character at %zu in %s", i, out);
    assert_true(utf8_valid(out, n));
}

static void test_one_record_one_line(void **state)
{
    (void)state;
    one_line(capture("a\nts=forged level=error msg=\"x\"\x1b[2J"));
    char big[6000] = "";
    for (int i = 0; i < 1900; i++)
        strcat(big, "中");
    char *out = capture(big);
    one_line(out);
    assert_true(strlen(out) <= 2048);
    one_line(capture("bad \xff\xfe bytes"));
}

static void test_log_q(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(log_q("a\"b\\c", b, sizeof b), "a\\\"b\\\\c");
    assert_string_equal(log_q("x\x1b", b, sizeof b), "x\\x1b");
    assert_string_equal(log_q("中文", b, sizeof b), "中文");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_record_one_line),
        cmocka_unit_test(test_log_q),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
