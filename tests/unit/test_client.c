/* test_client — libgongkai-client without a server (lib/client/client.c):
 * options refused with a reason that names them; events queue and wait in
 * order while nothing answers, are counted as unanswered and silent, and
 * are given up after give_up_ms with a line that says how many; destroy
 * frees what was never answered (ASan, make test-asan); a whole message
 * refused by intake (an Ack without ref) fails the client at once with
 * intake's code (a fake intake: a ROUTER here). The answers themselves:
 * tests/system/test_client_lib.py against a real intake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <zmq.h>

#include "gongkai/client.h"
#include "wire.h"

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

/* A fake intake answers the first Submit with an Ack without ref, as intake
 * does for bad_protobuf or too_large. Sent again, the message would be
 * refused again: the client must fail now, naming the code, not resend
 * until give_up_ms (the build before gave up after give_up_ms, "no
 * acknowledgement", the code only in a log line). */
static void test_whole_message_refused(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
    char endpoint[256];
    size_t elen = sizeof endpoint;
    assert_int_equal(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &elen), 0);

    char err[600];
    int acks = 0;
    gk_client_options_t o = {.endpoint = endpoint, .insecure = 1, .give_up_ms = 8000,
                             .on_ack = no_ack, .ack_arg = &acks};
    gk_client_t *c = gk_client_new(&o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(gk_client_send_json(c, "{\"a\":1}", 7, 1), 0);
    assert_int_equal(gk_client_send_json(c, "{\"a\":2}", 7, 2), 0);

    /* The Submit arrives (the client sends it once connected). */
    zmq_msg_t id;
    zmq_msg_init(&id);
    int got = -1;
    for (int i = 0; i < 1000 && got < 0; i++) {
        got = zmq_msg_recv(&id, router, ZMQ_DONTWAIT);
        if (got < 0)
            assert_int_equal(gk_client_service(c, 10, -1), 0);
    }
    assert_true(got >= 0);
    assert_true(zmq_msg_more(&id));
    char body[1 << 16];
    assert_true(zmq_recv(router, body, sizeof body, 0) > 0);

    Gongkai__V1__Ack ack = GONGKAI__V1__ACK__INIT;
    ack.has_status = 1;
    ack.status = GONGKAI__V1__STATUS__REJECTED;
    ack.code = "bad_protobuf";
    ack.message = "the message is not a gongkai.v1.Envelope";
    Gongkai__V1__Ack *list[] = {&ack};
    Gongkai__V1__Acks acks_msg = GONGKAI__V1__ACKS__INIT;
    acks_msg.n_acks = 1;
    acks_msg.acks = list;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1;
    env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_ACKS;
    env.acks = &acks_msg;
    assert_int_equal(wire_send(router, &id, 1, &env, 0), 0);
    zmq_msg_close(&id);

    assert_int_equal(gk_client_flush(c), -1);
    assert_non_null(strstr(gk_client_error(c), "intake refused a whole message: bad_protobuf: the message is not"));
    assert_non_null(strstr(gk_client_error(c), "2 events unanswered"));
    assert_int_equal(gk_client_unanswered(c), 2);
    assert_int_equal(acks, 0);
    assert_int_equal(gk_client_service(c, 0, -1), -1);
    gk_client_destroy(&c);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_refused),
        cmocka_unit_test(test_unanswered_then_given_up),
        cmocka_unit_test(test_whole_message_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
