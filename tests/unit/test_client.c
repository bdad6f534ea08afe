/* test_client — libgongkai-client without a server (lib/client/client.c):
 * options refused with a reason that names them; events queue and wait in
 * order while nothing answers, are counted as unanswered and silent, and
 * are given up after give_up_ms with a line that says how many; destroy
 * frees what was never answered (ASan, make test-asan). The answers
 * themselves: tests/system/test_client_lib.py against a real intake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gongkai/client.h"

static void no_ack(const gk_ack_t *ack, void *arg)
{
    (void)ack;
    (*(int *)arg)++;
}

static void test_options_refused(void **state)
{
    (void)state;
    char err[600];
    int acks = 0;
    gk_client_options_t o = {.endpoint = "tcp://127.0.0.1:1", .insecure = 1, .on_ack = no_ack, .ack_arg = &acks};

    gk_client_options_t bad = o;
    bad.window = GK_CLIENT_WINDOW_MAX + 1;
    assert_null(gk_client_new(&bad, err, sizeof err));
    assert_non_null(strstr(err, "window: 2001, at most 2000"));

    bad = o;
    bad.on_ack = NULL;
    assert_null(gk_client_new(&bad, err, sizeof err));
    assert_non_null(strstr(err, "on_ack"));

    bad = o;
    bad.endpoint = "";
    assert_null(gk_client_new(&bad, err, sizeof err));
    assert_non_null(strstr(err, "endpoint"));

    bad = o;
    bad.endpoint = "nonsense";
    assert_null(gk_client_new(&bad, err, sizeof err));
    assert_non_null(strstr(err, "endpoint: \"nonsense\""));

    bad = o;
    bad.insecure = 0; /* CURVE without keys */
    assert_null(gk_client_new(&bad, err, sizeof err));
    assert_non_null(strstr(err, "client_cert"));

    bad = o;
    bad.give_up_ms = -1;
    assert_null(gk_client_new(&bad, err, sizeof err));
    assert_non_null(strstr(err, "give_up_ms"));

    assert_null(gk_client_new(NULL, NULL, 0));
    gk_client_destroy(NULL);
    assert_int_equal(acks, 0);
}

static void test_unanswered_then_given_up(void **state)
{
    (void)state;
    char err[600];
    int acks = 0;
    /* Port 1 on loopback: nothing listens, nothing answers. */
    gk_client_options_t o = {.endpoint = "tcp://127.0.0.1:1", .insecure = 1, .window = 3,
                             .give_up_ms = 1000, .on_ack = no_ack, .ack_arg = &acks};
    gk_client_t *c = gk_client_new(&o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(gk_client_unanswered(c), 0);
    assert_int_equal(gk_client_silent_ms(c), 0);
    assert_string_equal(gk_client_error(c), "");
    assert_int_equal(gk_client_send_json(c, "{\"a\":1}", 7, 1), 0);
    assert_int_equal(gk_client_send_event(c, "\x0a\x01x", 3, 2), 0);
    assert_int_equal(gk_client_send_json(c, "", 0, 3), 0);
    assert_int_equal(gk_client_unanswered(c), 3);
    /* The window is full: the fourth waits for answers that never come. */
    assert_int_equal(gk_client_send_json(c, "{}", 2, 4), -1);
    assert_non_null(strstr(gk_client_error(c), "giving up with 3 events unacknowledged"));
    assert_true(gk_client_silent_ms(c) >= 1000);
    /* Failed for good: every later call says so at once. */
    assert_int_equal(gk_client_flush(c), -1);
    assert_int_equal(gk_client_service(c, 0, -1), -1);
    assert_int_equal(acks, 0);
    gk_client_destroy(&c);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_refused),
        cmocka_unit_test(test_unanswered_then_given_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
