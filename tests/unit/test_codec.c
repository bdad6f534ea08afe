/* test_codec — gongkai.v1.Event protobuf ⇄ struct ev (lib/model/codec.c): every
 * rejection path of codec_decode() with its code, what protobuf lets
 * through (unknown fields, enum numbers outside the schema, strings that are
 * not UTF-8), and the canonical encoding: the same bytes for the JSON line
 * and the protobuf form of one event, for offsets that name one instant, for
 * a count or as_review_body left to its default, whatever the key order.
 *
 * Run from the repository root; the fixture is read from
 * $GONGKAI_SHARED/fixtures/guizhou-eco-2019/events.jsonl (default ../shared).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "day.h"
#include "event.h"
#include "gongkai.pb-c.h"
#include "hash.h"
#include "jsonl.h"

typedef Gongkai__V1__Event PbEvent;

struct bytes {
    uint8_t b[80000];
    size_t n;
};

static void pack(const PbEvent *m, struct bytes *out)
{
    size_t n = gongkai__v1__event__get_packed_size(m);
    assert_true(n <= sizeof out->b);
    out->n = gongkai__v1__event__pack(m, out->b);
}

/* A valid fee_collected event. */
static PbEvent base(void)
{
    PbEvent m = GONGKAI__V1__EVENT__INIT;
    m.event_id = (char *)"pb-1";
    m.has_type = 1, m.type = GONGKAI__V1__EVENT_TYPE__FEE_COLLECTED;
    m.agency = (char *)"gz-test";
    m.occurred_at = (char *)"2019-03-02T10:00:00+08:00";
    m.has_amount_fen = 1, m.amount_fen = 500;
    return m;
}

static int decode(const struct bytes *x, struct ev *e, struct ev_error *err)
{
    memset(err, 0, sizeof *err);
    return codec_decode(x->b, x->n, e, err);
}

static void expect_err_bytes(const struct bytes *x, const char *code, const char *prefix,
                             const char *what)
{
    struct ev e;
    struct ev_error err;
    int rc = decode(x, &e, &err);
    if (rc != -1 || strcmp(err.code, code) != 0 || strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("%s: expected %s \"%s...\", got rc %d, %s \"%s\"", what, code, prefix, rc,
                 rc ? err.code : "-", rc ? err.message : "");
}

static void expect_err(const PbEvent *m, const char *code, const char *prefix, const char *what)
{
    struct bytes x;
    pack(m, &x);
    expect_err_bytes(&x, code, prefix, what);
}

static void expect_ok(const PbEvent *m, struct ev *e, const char *what)
{
    struct bytes x;
    struct ev_error err;
    pack(m, &x);
    if (decode(&x, e, &err) != 0)
        fail_msg("%s: refused: %s \"%s\"", what, err.code, err.message);
}

static void append_varint(struct bytes *x, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        x->b[x->n++] = b | (v ? 0x80 : 0);
    } while (v);
}

static void append_string(struct bytes *x, unsigned field, const char *s, size_t len)
{
    append_varint(x, (uint64_t)field << 3 | 2);
    append_varint(x, len);
    memcpy(x->b + x->n, s, len);
    x->n += len;
}

static void test_bad_protobuf_and_too_large(void **state)
{
    (void)state;
    struct bytes x;
    /* A length past the end, field number 0, a truncated varint, a group. */
    static const struct {
        const char *bytes;
        size_t n;
    } garbage[] = {
        {"\x0a\x7fnot really a message", 22},
        {"\x00\x01\x02\x03", 4},
        {"\x68\xff\xff", 3},
        {"\x0b\x0c", 2},
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11},
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        memcpy(x.b, garbage[i].bytes, garbage[i].n);
        x.n = garbage[i].n;
        char what[32];
        snprintf(what, sizeof what, "garbage %zu", i);
        expect_err_bytes(&x, "bad_protobuf", "event: ", what);
    }
    /* Empty bytes are a valid empty message: refused for what it lacks. */
    x.n = 0;
    expect_err_bytes(&x, "missing_field", "type: missing", "empty");

    /* Bound before decoding. */
    x.n = EV_MAX_BYTES + 1;
    memset(x.b, 0, x.n);
    expect_err_bytes(&x, "too_large", "event: 65537 bytes, at most 65536 allowed", "too large garbage");
    PbEvent m = base();
    char *big = malloc(70000);
    assert_non_null(big);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    m.agency = big;
    expect_err(&m, "too_large", "event: ", "too large event");
    free(big);
}

static void test_unknown_field(void **state)
{
    (void)state;
    PbEvent m = base();
    struct bytes x;
    pack(&m, &x);
    append_varint(&x, 99u << 3 | 0);
    append_varint(&x, 1);
    expect_err_bytes(&x, "unknown_field", "field number 99: not in gongkai.v1.Event", "varint 99");
    pack(&m, &x);
    append_string(&x, 24, "later", 5);
    expect_err_bytes(&x, "unknown_field", "field number 24: ", "string 24 (the next free number)");
    /* A known field that the type does not have. */
    m = base();
    m.case_id = (char *)"c-1";
    expect_err(&m, "unknown_field", "case_id: not a field of fee_collected", "case_id on a fee");
    m = base();
    m.has_count = 1, m.count = 2;
    expect_err(&m, "unknown_field", "count: not a field of fee_collected", "count on a fee");
    m = base();
    m.has_as_review_body = 1, m.as_review_body = 0;
    expect_err(&m, "unknown_field", "as_review_body: not a field of fee_collected",
               "as_review_body=false on a fee: present is present");
}

static void test_types(void **state)
{
    (void)state;
    PbEvent m = base();
    m.type = (Gongkai__V1__EventType)99;
    expect_err(&m, "unknown_type", "type: 99 is not an event type", "type 99");
    m.type = GONGKAI__V1__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED;
    expect_err(&m, "unknown_type", "type: 0 is not an event type", "type 0");
    m.type = (Gongkai__V1__EventType)-3;
    expect_err(&m, "unknown_type", "type: -3", "type -3");
    m = base();
    m.has_type = 0;
    expect_err(&m, "missing_field", "type: missing", "no type");
    m = base();
    m.event_id = NULL;
    expect_err(&m, "missing_field", "event_id: missing", "no event_id");
    m = base();
    m.occurred_at = NULL;
    expect_err(&m, "missing_field", "occurred_at: missing", "no occurred_at");
    m = base();
    m.has_amount_fen = 0;
    expect_err(&m, "missing_field", "amount_fen: missing", "no amount_fen");
}

/* Enum numbers outside the schema are refused, field by field. */
static void test_enum_numbers(void **state)
{
    (void)state;
    struct ev e;
    PbEvent m = GONGKAI__V1__EVENT__INIT;
#define ENUM_CASE(TYPE, FIELD, T, TOP, ...)                                                    \
    do {                                                                                       \
        int vals[] = {0, TOP, -1, 1000};                                                       \
        for (size_t i = 0; i < 4; i++) {                                                       \
            m = base();                                                                        \
            m.has_amount_fen = 0;                                                              \
            m.type = TYPE;                                                                     \
            __VA_ARGS__;                                                                       \
            m.has_##FIELD = 1, m.FIELD = (T)vals[i];                                           \
            char prefix[64];                                                                   \
            snprintf(prefix, sizeof prefix, #FIELD ": %d is not a value of the schema", vals[i]); \
            expect_err(&m, "bad_value", prefix, #FIELD);                                       \
        }                                                                                      \
        m.FIELD = (T)(TOP - 1);                                                                \
        expect_ok(&m, &e, #FIELD " at its top");                                               \
    } while (0)
    ENUM_CASE(GONGKAI__V1__EVENT_TYPE__APPLICATION_RECEIVED, applicant, Gongkai__V1__Applicant, 7,
              m.application_id = (char *)"a");
    ENUM_CASE(GONGKAI__V1__EVENT_TYPE__APPLICATION_RECEIVED, channel, Gongkai__V1__Channel, 7,
              m.application_id = (char *)"a";
              m.has_applicant = 1; m.applicant = GONGKAI__V1__APPLICANT__NATURAL_PERSON);
    ENUM_CASE(GONGKAI__V1__EVENT_TYPE__APPLICATION_RESOLVED, outcome, Gongkai__V1__Outcome, 22,
              m.application_id = (char *)"a");
    ENUM_CASE(GONGKAI__V1__EVENT_TYPE__DOCUMENT_ISSUED, document_kind, Gongkai__V1__DocumentKind, 3,
              m.document_id = (char *)"d");
    ENUM_CASE(GONGKAI__V1__EVENT_TYPE__CATALOG_ITEM_ADDED, item_kind, Gongkai__V1__ItemKind, 6,
              m.item_id = (char *)"i");
    ENUM_CASE(GONGKAI__V1__EVENT_TYPE__REVIEW_DECIDED, result, Gongkai__V1__Result, 4,
              m.case_id = (char *)"c");
    ENUM_CASE(GONGKAI__V1__EVENT_TYPE__LAWSUIT_FILED, route, Gongkai__V1__Route, 3,
              m.case_id = (char *)"c");
#undef ENUM_CASE
    /* decision_kind: 1-4; FEE (5) is in the enum, not a decision kind. */
    m = base();
    m.has_amount_fen = 0;
    m.type = GONGKAI__V1__EVENT_TYPE__DECISION_MADE;
    m.has_decision_kind = 1, m.decision_kind = GONGKAI__V1__ITEM_KIND__FEE;
    expect_err(&m, "bad_value", "decision_kind: \"fee\" is not a decision kind", "decision_kind FEE");
    m.decision_kind = (Gongkai__V1__ItemKind)6;
    expect_err(&m, "bad_value", "decision_kind: 6 is not a value", "decision_kind 6");
    m.decision_kind = GONGKAI__V1__ITEM_KIND__ENFORCEMENT;
    expect_ok(&m, &e, "decision_kind ENFORCEMENT");
    assert_int_equal(e.decision_kind, ITEM_ENFORCEMENT);
    assert_int_equal(e.count, 1);
}

/* Strings must be UTF-8 (protobuf-c does not check), and fit. */
static void test_strings(void **state)
{
    (void)state;
    static const struct {
        unsigned field;
        const char *name;
    } strs[] = {{1, "event_id"}, {3, "agency"}, {4, "occurred_at"}, {5, "application_id"},
                {16, "case_id"}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        PbEvent m = base();
        m.type = GONGKAI__V1__EVENT_TYPE__REVIEW_FILED;
        m.has_amount_fen = 0;
        m.case_id = (char *)"c-1";
        struct bytes x;
        pack(&m, &x);
        /* The last occurrence of a scalar field wins: append a bad one. */
        append_string(&x, strs[i].field, "ok\xff", 3);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s: not valid UTF-8", strs[i].name);
        expect_err_bytes(&x, "bad_value", prefix, strs[i].name);
        pack(&m, &x);
        append_string(&x, strs[i].field, "\xe4\xb8", 2);
        expect_err_bytes(&x, "bad_value", prefix, "cut sequence");
        pack(&m, &x);
        append_string(&x, strs[i].field, "\xed\xa0\x80", 3);
        expect_err_bytes(&x, "bad_value", prefix, "surrogate");
        pack(&m, &x);
        append_string(&x, strs[i].field, "\xc0\xaf", 2);
        expect_err_bytes(&x, "bad_value", prefix, "overlong");
    }
    /* Valid UTF-8 that is not ASCII reaches ev_finish, which wants ASCII. */
    PbEvent m = base();
    m.event_id = (char *)"事件";
    expect_err(&m, "bad_value", "event_id: \"事件\" has character 0xe4", "UTF-8 event_id");
    /* Lengths: refused with the field's name. */
    char s129[130];
    memset(s129, 'x', 129);
    s129[129] = '\0';
    m = base();
    m.event_id = s129;
    expect_err(&m, "bad_value", "event_id: 129 bytes, at most 128 allowed", "event_id of 129");
    m = base();
    m.type = GONGKAI__V1__EVENT_TYPE__PROCUREMENT_AWARDED;
    m.procurement_id = s129;
    expect_err(&m, "bad_value", "procurement_id: 129 bytes", "procurement_id of 129");
    char a65[66];
    memset(a65, 'a', 65);
    a65[65] = '\0';
    m = base();
    m.agency = a65;
    expect_err(&m, "bad_value", "agency: 65 bytes, at most 64 allowed", "agency of 65");
    /* An embedded NUL (issue 12): protobuf-c would hand over "a" for
     * "a\0tail", and the cut value used to be accepted. Refused, naming the
     * field, as the JSON path refuses \u0000. */
    static const struct {
        unsigned field;
        const char *text;
        size_t len;
        const char *prefix;
    } nul[] = {{1, "a\0tail", 6, "event_id: contains a NUL character"},
               {3, "gz-a\0x", 6, "agency: contains a NUL character"},
               {4, "2019-03-02T10:00:00+08:00\0", 26, "occurred_at: contains a NUL character"},
               {1, "\0", 1, "event_id: contains a NUL character"}};
    for (size_t i = 0; i < sizeof nul / sizeof nul[0]; i++) {
        struct bytes x;
        m = base();
        pack(&m, &x);
        append_string(&x, nul[i].field, nul[i].text, nul[i].len);
        expect_err_bytes(&x, "bad_value", nul[i].prefix, nul[i].prefix);
    }
}

static void test_values_and_due(void **state)
{
    (void)state;
    struct ev e;
    PbEvent m = base();
    m.type = GONGKAI__V1__EVENT_TYPE__DEADLINE_SET;
    m.has_amount_fen = 0;
    m.application_id = (char *)"a";
    m.due = (char *)"2019-04-30";
    expect_ok(&m, &e, "deadline");
    assert_int_equal(e.due_day, day_from_ymd(2019, 4, 30));
    m.due = (char *)"2019-02-29";
    expect_err(&m, "bad_value", "due: not a date YYYY-MM-DD in 1990-2100", "due 29 Feb 2019");
    m.due = (char *)"1989-12-31";
    expect_err(&m, "bad_value", "due: ", "due 1989");
    m.due = (char *)"2019-04-30T00:00:00Z";
    expect_err(&m, "bad_value", "due: ", "due a timestamp");

    m = base();
    m.has_amount_fen = 1, m.amount_fen = 0;
    expect_err(&m, "bad_value", "amount_fen: 0 outside", "amount 0");
    m.amount_fen = INT64_MIN;
    expect_err(&m, "bad_value", "amount_fen: ", "amount INT64_MIN");
    m = base();
    m.type = GONGKAI__V1__EVENT_TYPE__DECISION_MADE;
    m.has_amount_fen = 0;
    m.has_decision_kind = 1, m.decision_kind = GONGKAI__V1__ITEM_KIND__PENALTY;
    m.has_count = 1, m.count = 0;
    expect_err(&m, "bad_value", "count: 0 outside 1-1000000", "count 0");
    m.count = 1000001;
    expect_err(&m, "bad_value", "count: 1000001", "count 1000001");
    m = base();
    m.type = GONGKAI__V1__EVENT_TYPE__EXTENSION_GRANTED;
    m.has_amount_fen = 0;
    m.application_id = (char *)"a";
    m.has_working_days = 1, m.working_days = 21;
    expect_err(&m, "bad_value", "working_days: 21 outside 1-20", "working_days 21");
    m = base();
    m.occurred_at = (char *)"2019-03-02T10:00:00";
    expect_err(&m, "bad_value", "occurred_at: \"2019-03-02T10:00:00\" is not an RFC 3339", "no offset");
    m.occurred_at = (char *)"2101-01-01T00:00:00Z";
    expect_err(&m, "bad_value", "occurred_at: \"2101-01-01T00:00:00Z\" is 2101-01-01 in Beijing time", "2101");
    m = base();
    m.agency = (char *)"GZ";
    expect_err(&m, "bad_value", "agency: \"GZ\" does not match", "agency GZ");
}

static void test_event_id_kept_on_failure(void **state)
{
    (void)state;
    struct ev e;
    struct ev_error err;
    PbEvent m = base();
    m.event_id = (char *)"keep-me";
    m.has_amount_fen = 1, m.amount_fen = -1;
    struct bytes x;
    pack(&m, &x);
    assert_int_equal(decode(&x, &e, &err), -1);
    assert_string_equal(e.event_id, "keep-me");
    append_varint(&x, 99u << 3);
    append_varint(&x, 0);
    assert_int_equal(decode(&x, &e, &err), -1);
    assert_string_equal(err.code, "unknown_field");
    assert_string_equal(e.event_id, "keep-me");
    /* Not when it is not UTF-8. */
    pack(&m, &x);
    append_string(&x, 1, "bad\xff", 4);
    assert_int_equal(decode(&x, &e, &err), -1);
    assert_string_equal(e.event_id, "");
}

/* ---- canonical encoding ------------------------------------------------------------ */

struct canon {
    uint8_t b[2048];
    size_t n;
};

static void canon_json(const char *line, struct canon *c)
{
    struct ev e;
    struct ev_error err;
    if (jsonl_parse(line, strlen(line), &e, &err) != 0)
        fail_msg("%s: refused: %s %s", line, err.code, err.message);
    c->n = codec_encode(&e, c->b, sizeof c->b);
}

static void canon_pb(const PbEvent *m, struct canon *c)
{
    struct ev e;
    expect_ok(m, &e, "protobuf input");
    c->n = codec_encode(&e, c->b, sizeof c->b);
}

static void assert_same(const struct canon *a, const struct canon *b, const char *what)
{
    if (a->n != b->n || memcmp(a->b, b->b, a->n) != 0)
        fail_msg("%s: canonical encodings differ (%zu and %zu bytes)", what, a->n, b->n);
    assert_true(hash64(a->b, a->n, 0) == hash64(b->b, b->n, 0));
}

static void test_canonical_json_equals_protobuf(void **state)
{
    (void)state;
    struct canon a, b;
    canon_json("{\"event_id\":\"c-1\",\"type\":\"fee_collected\",\"agency\":\"gz-test\","
               "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"amount_fen\":500}", &a);
    PbEvent m = base();
    m.event_id = (char *)"c-1";
    canon_pb(&m, &b);
    assert_same(&a, &b, "fee_collected");

    /* Offsets naming the same instant, and key order. */
    const char *same[] = {
        "{\"event_id\":\"c-2\",\"type\":\"application_received\",\"agency\":\"gz\",\"occurred_at\":\"2019-12-31T16:30:00Z\",\"application_id\":\"a 1\",\"applicant\":\"other_org\",\"channel\":\"fax\"}",
        "{\"event_id\":\"c-2\",\"type\":\"application_received\",\"agency\":\"gz\",\"occurred_at\":\"2020-01-01T00:30:00+08:00\",\"application_id\":\"a 1\",\"applicant\":\"other_org\",\"channel\":\"fax\"}",
        "{\"event_id\":\"c-2\",\"type\":\"application_received\",\"agency\":\"gz\",\"occurred_at\":\"2019-12-31T11:30:00-05:00\",\"application_id\":\"a 1\",\"applicant\":\"other_org\",\"channel\":\"fax\"}",
        "{\"event_id\":\"c-2\",\"type\":\"application_received\",\"agency\":\"gz\",\"occurred_at\":\"2019-12-31T16:30:00.000000z\",\"application_id\":\"a 1\",\"applicant\":\"other_org\",\"channel\":\"fax\"}",
        "{\"channel\":\"fax\",\"applicant\":\"other_org\",\"application_id\":\"a 1\",\"occurred_at\":\"2019-12-31T16:30:00+00:00\",\"agency\":\"gz\",\"type\":\"application_received\",\"event_id\":\"c-2\"}",
    };
    canon_json(same[0], &a);
    for (size_t i = 1; i < sizeof same / sizeof same[0]; i++) {
        canon_json(same[i], &b);
        assert_same(&a, &b, same[i]);
    }
    m = (PbEvent)GONGKAI__V1__EVENT__INIT;
    m.channel = GONGKAI__V1__CHANNEL__FAX, m.has_channel = 1;
    m.applicant = GONGKAI__V1__APPLICANT__OTHER_ORG, m.has_applicant = 1;
    m.application_id = (char *)"a 1";
    m.occurred_at = (char *)"2019-12-31T22:00:00+05:30";
    m.agency = (char *)"gz";
    m.type = GONGKAI__V1__EVENT_TYPE__APPLICATION_RECEIVED, m.has_type = 1;
    m.event_id = (char *)"c-2";
    canon_pb(&m, &b);
    assert_same(&a, &b, "protobuf, +05:30");
    /* One second later is another content. */
    canon_json("{\"event_id\":\"c-2\",\"type\":\"application_received\",\"agency\":\"gz\",\"occurred_at\":\"2019-12-31T16:30:01Z\",\"application_id\":\"a 1\",\"applicant\":\"other_org\",\"channel\":\"fax\"}", &b);
    assert_false(a.n == b.n && memcmp(a.b, b.b, a.n) == 0);
    /* As is a microsecond. */
    canon_json("{\"event_id\":\"c-2\",\"type\":\"application_received\",\"agency\":\"gz\",\"occurred_at\":\"2019-12-31T16:30:00.000001Z\",\"application_id\":\"a 1\",\"applicant\":\"other_org\",\"channel\":\"fax\"}", &b);
    assert_false(a.n == b.n && memcmp(a.b, b.b, a.n) == 0);

    /* Defaults: count 1 given or not; as_review_body false given or not. */
    canon_json("{\"event_id\":\"c-3\",\"type\":\"decision_made\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"decision_kind\":\"licensing\"}", &a);
    canon_json("{\"event_id\":\"c-3\",\"type\":\"decision_made\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"decision_kind\":\"licensing\",\"count\":1}", &b);
    assert_same(&a, &b, "count absent = count 1");
    m = (PbEvent)GONGKAI__V1__EVENT__INIT;
    m.event_id = (char *)"c-3";
    m.has_type = 1, m.type = GONGKAI__V1__EVENT_TYPE__DECISION_MADE;
    m.agency = (char *)"gz";
    m.occurred_at = (char *)"2019-03-02T02:00:00Z";
    m.has_decision_kind = 1, m.decision_kind = GONGKAI__V1__ITEM_KIND__LICENSING;
    canon_pb(&m, &b);
    assert_same(&a, &b, "protobuf decision without count");
    canon_json("{\"event_id\":\"c-4\",\"type\":\"lawsuit_filed\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"case_id\":\"k\",\"route\":\"direct\"}", &a);
    canon_json("{\"event_id\":\"c-4\",\"type\":\"lawsuit_filed\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"case_id\":\"k\",\"route\":\"direct\",\"as_review_body\":false}", &b);
    assert_same(&a, &b, "as_review_body absent = false");
    m = (PbEvent)GONGKAI__V1__EVENT__INIT;
    m.event_id = (char *)"c-4";
    m.has_type = 1, m.type = GONGKAI__V1__EVENT_TYPE__LAWSUIT_FILED;
    m.agency = (char *)"gz";
    m.occurred_at = (char *)"2019-03-02T10:00:00+08:00";
    m.case_id = (char *)"k";
    m.has_route = 1, m.route = GONGKAI__V1__ROUTE__DIRECT;
    m.has_as_review_body = 1, m.as_review_body = 0;
    canon_pb(&m, &b);
    assert_same(&a, &b, "protobuf as_review_body=false");
    canon_json("{\"event_id\":\"c-4\",\"type\":\"lawsuit_filed\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"case_id\":\"k\",\"route\":\"direct\",\"as_review_body\":true}", &b);
    assert_false(a.n == b.n && memcmp(a.b, b.b, a.n) == 0);
}

/* Decoding a canonical encoding gives it back; the encoding is the event. */
static void test_round_trip(void **state)
{
    (void)state;
    const char *lines[] = {
        "{\"event_id\":\"r-1\",\"type\":\"review_filed\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00.25+08:00\",\"case_id\":\"c\",\"application_id\":\"a\"}",
        "{\"event_id\":\"r-2\",\"type\":\"deadline_set\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"application_id\":\"a\",\"due\":\"2019-06-30\"}",
        "{\"event_id\":\"r-3\",\"type\":\"consultation_ended\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"application_id\":\"a\",\"consultation_id\":\"k 1\"}",
        "{\"event_id\":\"r-4\",\"type\":\"extension_granted\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"application_id\":\"a\",\"working_days\":20}",
        "{\"event_id\":\"r-5\",\"type\":\"procurement_awarded\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"procurement_id\":\"p\",\"amount_fen\":1000000000000000}",
        "{\"event_id\":\"r-6\",\"type\":\"catalog_item_removed\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"item_id\":\"i\",\"item_kind\":\"fee\"}",
        "{\"event_id\":\"r-7\",\"type\":\"lawsuit_decided\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"case_id\":\"c\",\"result\":\"other\"}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct canon a, b;
        canon_json(lines[i], &a);
        struct ev e;
        struct ev_error err;
        if (codec_decode(a.b, a.n, &e, &err) != 0)
            fail_msg("%s: its canonical encoding is refused: %s %s", lines[i], err.code, err.message);
        b.n = codec_encode(&e, b.b, sizeof b.b);
        assert_same(&a, &b, lines[i]);
        char j1[4096], j2[4096];
        struct ev e1;
        assert_int_equal(jsonl_parse(lines[i], strlen(lines[i]), &e1, &err), 0);
        ev_to_json(&e1, j1, sizeof j1);
        ev_to_json(&e, j2, sizeof j2);
        assert_string_equal(j1, j2);
    }
}

/* The longest event there can be fits codec_max_size(). */
static void test_max_size(void **state)
{
    (void)state;
    char id[129];
    memset(id, '~', 128);
    id[128] = '\0';
    char ag[65];
    memset(ag, 'z', 64);
    ag[64] = '\0';
    PbEvent m = GONGKAI__V1__EVENT__INIT;
    m.event_id = id;
    m.has_type = 1, m.type = GONGKAI__V1__EVENT_TYPE__LAWSUIT_FILED;
    m.agency = ag;
    m.occurred_at = (char *)"2019-03-02T10:00:00.123456+08:00";
    m.case_id = id;
    m.application_id = id;
    m.has_route = 1, m.route = GONGKAI__V1__ROUTE__AFTER_REVIEW;
    m.has_as_review_body = 1, m.as_review_body = 1;
    struct ev e;
    expect_ok(&m, &e, "longest lawsuit");
    uint8_t buf[4096];
    size_t n = codec_encode(&e, buf, sizeof buf);
    assert_true(n <= codec_max_size());
    assert_true(n > 3 * 128);
}

/* Every fixture event: JSON → canonical → decode → canonical is stable, and
 * the canonical bytes differ between different events. */
static void test_fixture_round_trip(void **state)
{
    (void)state;
    const char *shared = getenv("GONGKAI_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/guizhou-eco-2019/events.jsonl",
             shared && *shared ? shared : "../shared");
    char *text = buf_read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s (set GONGKAI_SHARED)", path);
    int n = 0;
    uint64_t digests[400];
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct canon a, b;
        canon_json(line, &a);
        struct ev e;
        struct ev_error err;
        if (codec_decode(a.b, a.n, &e, &err) != 0)
            fail_msg("fixture line %d: canonical form refused: %s %s", n + 1, err.code, err.message);
        b.n = codec_encode(&e, b.b, sizeof b.b);
        assert_same(&a, &b, line);
        assert_true(n < 400);
        digests[n++] = hash64(a.b, a.n, 0);
    }
    assert_int_equal(n, 361);
    /* 361 lines, 356 distinct events (5 exact repeats): 356 distinct digests. */
    int distinct = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = digests[k] == digests[i];
        distinct += !seen;
    }
    assert_int_equal(distinct, 356);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_protobuf_and_too_large),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_enum_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_values_and_due),
        cmocka_unit_test(test_event_id_kept_on_failure),
        cmocka_unit_test(test_canonical_json_equals_protobuf),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_max_size),
        cmocka_unit_test(test_fixture_round_trip),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
