/* test_jsonl — one JSON Lines line → struct ev (lib/model/jsonl.c): every
 * rejection path with its code and the field its message names, the
 * event_id kept for acks even when the line is refused, values of every
 * kind, the Beijing-day boundary, and every line of the shared fixture.
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
#include "day.h"
#include "event.h"
#include "jsonl.h"

static int parse(const char *line, struct ev *e, struct ev_error *err)
{
    memset(err, 0, sizeof *err);
    return jsonl_parse(line, strlen(line), e, err);
}

static void expect_err(const char *line, const char *code, const char *prefix)
{
    struct ev e;
    struct ev_error err;
    int rc = parse(line, &e, &err);
    if (rc != -1 || strcmp(err.code, code) != 0 || strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("%s\n  expected %s \"%s...\", got rc %d, %s \"%s\"", line, code, prefix, rc,
                 rc ? err.code : "-", rc ? err.message : "");
}

static void expect_ok(const char *line, struct ev *e)
{
    struct ev_error err;
    if (parse(line, e, &err) != 0)
        fail_msg("%s\n  refused: %s \"%s\"", line, err.code, err.message);
}

#define HEAD "{\"event_id\":\"j-1\",\"agency\":\"gz-test\",\"occurred_at\":\"2019-03-02T10:00:00+08:00\","

static void test_bad_json(void **state)
{
    (void)state;
    expect_err("{\"event_id\":\"j-1\",\"type\":", "bad_json", "line: ");
    expect_err("", "bad_json", "line: ");
    expect_err("   ", "bad_json", "line: ");
    expect_err("{event_id: 1}", "bad_json", "line: ");
    expect_err("{\"event_id\":\"j-1\",}", "bad_json", "line: ");
    expect_err("{\"a\":1} {\"b\":2}", "bad_json", "line: ");
    expect_err("{\"event_id\":'j-1'}", "bad_json", "line: ");
    expect_err("[\"j-1\"]", "bad_json", "line: expected a JSON object, got an array");
    expect_err("\"j-1\"", "bad_json", "line: ");
    expect_err("42", "bad_json", "line: ");
    expect_err("null", "bad_json", "line: ");
    expect_err("true", "bad_json", "line: ");
    expect_err("{\"event_id\":\"j-1\",\"event_id\":\"j-2\"}", "bad_json", "line: ");
    /* Not UTF-8: a stray byte, a cut sequence, an overlong form, a surrogate. */
    expect_err(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"x\":\"\xff\"}", "bad_json", "line: ");
    expect_err(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"x\":\"\xe4\xb8\"}", "bad_json", "line: ");
    expect_err("{\"\xc0\xaf\":1}", "bad_json", "line: ");
    expect_err("{\"a\":\"\xed\xa0\x80\"}", "bad_json", "line: ");
    /* A NUL, escaped: refused by the parser, not cut short. */
    expect_err(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"application_id\":\"a\\u0000b\"}",
               "bad_json", "line: ");
    /* Bytes after the line's end are not part of it: len, not strlen, decides. */
    struct ev e;
    struct ev_error err;
    const char two[] = "{\"event_id\":\"x\"}\0garbage";
    assert_int_equal(jsonl_parse(two, sizeof two - 1, &e, &err), -1);
    assert_string_equal(err.code, "bad_json");
}

static void test_too_large(void **state)
{
    (void)state;
    size_t n = EV_MAX_BYTES + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, "{\"event_id\":\"tl-1\"", 18);
    big[n - 1] = '}';
    big[n] = '\0';
    struct ev e;
    struct ev_error err;
    assert_int_equal(jsonl_parse(big, n, &e, &err), -1);
    assert_string_equal(err.code, "too_large");
    assert_string_equal(err.message, "line: 65537 bytes, at most 65536 allowed");
    /* At the limit it is parsed (and refused for what it lacks). */
    assert_int_equal(jsonl_parse(big, n - 1, &e, &err), -1);
    assert_string_equal(err.code, "bad_json");
    big[n - 2] = '}';
    assert_int_equal(jsonl_parse(big, n - 1, &e, &err), -1);
    assert_string_equal(err.code, "missing_field");
    free(big);
}

static void test_unknown_field_and_type(void **state)
{
    (void)state;
    expect_err(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"colour\":\"red\"}", "unknown_field",
               "colour: not a field of any event");
    expect_err(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"Amount_fen\":1}", "unknown_field",
               "Amount_fen: ");
    expect_err(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"\":1}", "unknown_field", ": not a field");
    expect_err(HEAD "\"type\":\"application_received\",\"application_id\":\"a\","
                    "\"applicant\":\"natural_person\",\"outcome\":\"disclosed\"}",
               "unknown_field", "outcome: not a field of application_received");
    expect_err(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"count\":2}", "unknown_field",
               "count: not a field of fee_collected");
    expect_err(HEAD "\"type\":\"application_lost\"}", "unknown_type",
               "type: \"application_lost\" is not one of application_received, ");
    expect_err(HEAD "\"type\":\"\"}", "unknown_type", "type: \"\" is not one of");
    expect_err(HEAD "\"type\":\"Fee_collected\"}", "unknown_type", "type: ");
    expect_err(HEAD "\"type\":7}", "bad_value", "type: expected a string, got an integer");
    expect_err(HEAD "\"type\":null}", "bad_value", "type: expected a string, got null");
}

static void test_missing_field(void **state)
{
    (void)state;
    expect_err("{\"event_id\":\"j-1\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00Z\"}",
               "missing_field", "type: missing");
    expect_err("{}", "missing_field", "type: missing");
    expect_err("{\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00Z\","
               "\"amount_fen\":1}", "missing_field", "event_id: missing (required for fee_collected)");
    expect_err(HEAD "\"type\":\"application_received\",\"application_id\":\"a\"}", "missing_field",
               "applicant: missing");
    expect_err(HEAD "\"type\":\"extension_granted\",\"application_id\":\"a\"}", "missing_field",
               "working_days: missing");
    expect_err(HEAD "\"type\":\"deadline_set\",\"application_id\":\"a\"}", "missing_field", "due: missing");
}

static void test_bad_values(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *prefix;
    } cases[] = {
        /* types of JSON values */
        {HEAD "\"type\":\"fee_collected\",\"amount_fen\":\"100\"}", "amount_fen: expected an integer, got a string"},
        {HEAD "\"type\":\"fee_collected\",\"amount_fen\":1.5}", "amount_fen: expected an integer, got a number with a fraction"},
        {HEAD "\"type\":\"fee_collected\",\"amount_fen\":1e3}", "amount_fen: expected an integer"},
        {HEAD "\"type\":\"fee_collected\",\"amount_fen\":true}", "amount_fen: expected an integer, got a boolean"},
        {HEAD "\"type\":\"fee_collected\",\"amount_fen\":null}", "amount_fen: expected an integer, got null"},
        {HEAD "\"type\":\"decision_made\",\"decision_kind\":\"penalty\",\"count\":[1]}", "count: expected an integer, got an array"},
        {HEAD "\"type\":\"extension_granted\",\"application_id\":\"a\",\"working_days\":\"5\"}", "working_days: expected an integer"},
        {HEAD "\"type\":\"lawsuit_filed\",\"case_id\":\"c\",\"route\":\"direct\",\"as_review_body\":1}", "as_review_body: expected true or false, got an integer"},
        {HEAD "\"type\":\"lawsuit_filed\",\"case_id\":\"c\",\"route\":\"direct\",\"as_review_body\":\"true\"}", "as_review_body: expected true or false, got a string"},
        {"{\"event_id\":7,\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00Z\",\"amount_fen\":1}", "event_id: expected a string, got an integer"},
        {HEAD "\"type\":\"application_received\",\"application_id\":{},\"applicant\":\"natural_person\"}", "application_id: expected a string, got an object"},
        {HEAD "\"type\":\"application_received\",\"application_id\":\"a\",\"applicant\":1}", "applicant: expected a string, got an integer"},
        /* enum values not in the contract's lists (the message lists them) */
        {HEAD "\"type\":\"application_received\",\"application_id\":\"a\",\"applicant\":\"alien\"}", "applicant: \"alien\" is not one of natural_person, commercial_enterprise"},
        {HEAD "\"type\":\"application_received\",\"application_id\":\"a\",\"applicant\":\"Natural_person\"}", "applicant: "},
        {HEAD "\"type\":\"application_received\",\"application_id\":\"a\",\"applicant\":\"natural_person\",\"channel\":\"pigeon\"}", "channel: \"pigeon\" is not one of in_person, post, online, fax, email, other"},
        {HEAD "\"type\":\"application_resolved\",\"application_id\":\"a\",\"outcome\":\"withheld\"}", "outcome: \"withheld\" is not one of disclosed, partially_disclosed, withheld.state_secret"},
        {HEAD "\"type\":\"application_resolved\",\"application_id\":\"a\",\"outcome\":\"other\"}", "outcome: \"other\" is not one of"},
        {HEAD "\"type\":\"document_issued\",\"document_id\":\"d\",\"document_kind\":\"law\"}", "document_kind: \"law\" is not one of rule, normative"},
        {HEAD "\"type\":\"catalog_item_added\",\"item_id\":\"i\",\"item_kind\":\"tax\"}", "item_kind: \"tax\" is not one of licensing, other_service, penalty, enforcement, fee"},
        {HEAD "\"type\":\"decision_made\",\"decision_kind\":\"tax\"}", "decision_kind: \"tax\" is not one of licensing, other_service, penalty, enforcement"},
        {HEAD "\"type\":\"review_decided\",\"case_id\":\"c\",\"result\":\"dismissed\"}", "result: \"dismissed\" is not one of upheld, corrected, other"},
        {HEAD "\"type\":\"lawsuit_filed\",\"case_id\":\"c\",\"route\":\"indirect\"}", "route: \"indirect\" is not one of direct, after_review"},
        /* decision_kind fee: a name the table has, a kind decisions do not */
        {HEAD "\"type\":\"decision_made\",\"decision_kind\":\"fee\"}", "decision_kind: \"fee\" is not a decision kind"},
        /* ranges */
        {HEAD "\"type\":\"decision_made\",\"decision_kind\":\"penalty\",\"count\":0}", "count: 0 outside 1-1000000"},
        {HEAD "\"type\":\"decision_made\",\"decision_kind\":\"penalty\",\"count\":1000001}", "count: 1000001 outside"},
        {HEAD "\"type\":\"decision_made\",\"decision_kind\":\"penalty\",\"count\":-1}", "count: -1 outside"},
        {HEAD "\"type\":\"fee_collected\",\"amount_fen\":0}", "amount_fen: 0 outside 1-1000000000000000"},
        {HEAD "\"type\":\"procurement_awarded\",\"procurement_id\":\"p\",\"amount_fen\":1000000000000001}", "amount_fen: 1000000000000001 outside"},
        {HEAD "\"type\":\"extension_granted\",\"application_id\":\"a\",\"working_days\":21}", "working_days: 21 outside 1-20"},
        /* dates */
        {HEAD "\"type\":\"deadline_set\",\"application_id\":\"a\",\"due\":\"2019-13-01\"}", "due: \"2019-13-01\" is not a date YYYY-MM-DD in 1990-2100"},
        {HEAD "\"type\":\"deadline_set\",\"application_id\":\"a\",\"due\":\"1989-12-31\"}", "due: \"1989-12-31\" is not"},
        {HEAD "\"type\":\"deadline_set\",\"application_id\":\"a\",\"due\":\"2019-04-01T00:00:00Z\"}", "due: "},
        {HEAD "\"type\":\"deadline_set\",\"application_id\":\"a\",\"due\":20190401}", "due: expected a string, got an integer"},
        /* strings that do not fit */
        {"{\"event_id\":\"j-1\",\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00.000000000000000000+08:00\",\"amount_fen\":1}", "occurred_at: 44 bytes, at most 39 allowed"},
        /* values of the common fields (ev_finish) */
        {"{\"event_id\":\"bad id\",\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00Z\",\"amount_fen\":1}", "event_id: \"bad id\" has character 0x20"},
        {"{\"event_id\":\"\",\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00Z\",\"amount_fen\":1}", "event_id: must not be empty"},
        {"{\"event_id\":\"j\\u00e9\",\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00Z\",\"amount_fen\":1}", "event_id: \"jé\" has character 0xc3"},
        {"{\"event_id\":\"j-1\",\"type\":\"fee_collected\",\"agency\":\"GZ\",\"occurred_at\":\"2019-03-02T10:00:00Z\",\"amount_fen\":1}", "agency: \"GZ\" does not match ^[a-z0-9][a-z0-9._-]{0,63}$"},
        {"{\"event_id\":\"j-1\",\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00\",\"amount_fen\":1}", "occurred_at: \"2019-03-02T10:00:00\" is not an RFC 3339 timestamp with offset"},
        {"{\"event_id\":\"j-1\",\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":\"1989-12-31T23:59:59+08:00\",\"amount_fen\":1}", "occurred_at: \"1989-12-31T23:59:59+08:00\" is 1989-12-31 in Beijing time, outside the reporting years 1990-2100"},
        {"{\"event_id\":\"j-1\",\"type\":\"fee_collected\",\"agency\":\"gz\",\"occurred_at\":1551492000,\"amount_fen\":1}", "occurred_at: expected a string, got an integer"},
        {HEAD "\"type\":\"application_received\",\"application_id\":\"\",\"applicant\":\"natural_person\"}", "application_id: must not be empty"},
        {HEAD "\"type\":\"application_received\",\"application_id\":\"a\\u0007\",\"applicant\":\"natural_person\"}", "application_id: \"a\\x07\" has character 0x07"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_err(cases[i].line, "bad_value", cases[i].prefix);
}

/* Strings longer than their field: refused by length, before anything else. */
static void test_too_long_strings(void **state)
{
    (void)state;
    static const struct {
        const char *field;
        size_t max;
        const char *type_fields;
    } cases[] = {
        {"event_id", 128, "\"type\":\"fee_collected\",\"amount_fen\":1"},
        {"agency", 64, "\"type\":\"fee_collected\",\"amount_fen\":1"},
        {"occurred_at", 39, "\"type\":\"fee_collected\",\"amount_fen\":1"},
        {"application_id", 128, "\"type\":\"application_received\",\"applicant\":\"natural_person\""},
        {"document_id", 128, "\"type\":\"document_issued\",\"document_kind\":\"rule\""},
        {"item_id", 128, "\"type\":\"catalog_item_added\",\"item_kind\":\"fee\""},
        {"procurement_id", 128, "\"type\":\"procurement_awarded\",\"amount_fen\":5"},
        {"case_id", 128, "\"type\":\"review_filed\""},
        {"consultation_id", 128, "\"type\":\"consultation_started\",\"application_id\":\"a\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t len = cases[i].max; len <= cases[i].max + 1; len++) {
            char val[200];
            memset(val, 'x', len);
            val[len] = '\0';
            if (strcmp(cases[i].field, "occurred_at") == 0)
                memcpy(val, "2019-03-02T10:00:00.", 20); /* digits follow: 'x' is refused anyway */
            /* Every common field present once: the one under test overrides its default. */
            const char *common[][2] = {{"event_id", "\"len-1\""},
                                       {"agency", "\"gz\""},
                                       {"occurred_at", "\"2019-03-02T10:00:00Z\""}};
            char line[1024];
            int o = snprintf(line, sizeof line, "{%s", cases[i].type_fields);
            for (int c = 0; c < 3; c++)
                if (strcmp(common[c][0], cases[i].field) != 0)
                    o += snprintf(line + o, sizeof line - (size_t)o, ",\"%s\":%s", common[c][0],
                                  common[c][1]);
            snprintf(line + o, sizeof line - (size_t)o, ",\"%s\":\"%s\"}", cases[i].field, val);
            struct ev e;
            struct ev_error err;
            int rc = parse(line, &e, &err);
            char prefix[96];
            snprintf(prefix, sizeof prefix, "%s: %zu bytes, at most %zu allowed", cases[i].field,
                     len, cases[i].max);
            if (len > cases[i].max) {
                if (rc != -1 || strcmp(err.code, "bad_value") != 0 || strcmp(err.message, prefix) != 0)
                    fail_msg("%s\n  expected bad_value \"%s\", got rc %d %s \"%s\"", line, prefix,
                             rc, err.code, err.message);
            } else if (rc == 0 ? 0 : strstr(err.message, "bytes, at most") != NULL) {
                fail_msg("%s: %zu bytes refused for its length: %s", cases[i].field, len, err.message);
            }
        }
    }
}

/* Acks name the event even when it is refused, if its event_id was usable. */
static void test_event_id_kept_on_failure(void **state)
{
    (void)state;
    struct ev e;
    struct ev_error err;
    assert_int_equal(parse(HEAD "\"type\":\"fee_collected\",\"amount_fen\":1,\"colour\":1}", &e, &err), -1);
    assert_string_equal(e.event_id, "j-1");
    assert_int_equal(parse(HEAD "\"type\":\"nope\"}", &e, &err), -1);
    assert_string_equal(e.event_id, "j-1");
    assert_int_equal(parse("{\"type\":\"fee_collected\",\"event_id\":\"late-id\",\"amount_fen\":0,"
                           "\"agency\":\"gz\",\"occurred_at\":\"2019-03-02T10:00:00Z\"}", &e, &err), -1);
    assert_string_equal(err.code, "bad_value");
    assert_string_equal(e.event_id, "late-id");
    assert_int_equal(parse("{\"event_id\":5}", &e, &err), -1);
    assert_string_equal(e.event_id, "");
    assert_int_equal(parse("{\"event_id\":\"j-1\",", &e, &err), -1);
    assert_string_equal(e.event_id, "");
}

static void test_values(void **state)
{
    (void)state;
    struct ev e;
    expect_ok("{\"event_id\":\"v-1\",\"type\":\"lawsuit_filed\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"case_id\":\"c 1\",\"route\":\"after_review\","
              "\"as_review_body\":true,\"application_id\":\"app-1\"}", &e);
    assert_int_equal(e.type, EV_LAWSUIT_FILED);
    assert_int_equal(e.route, ROUTE_AFTER_REVIEW);
    assert_true(e.as_review_body);
    assert_string_equal(e.case_id, "c 1");
    assert_string_equal(e.application_id, "app-1");
    assert_int_equal(e.present, FBIT(F_EVENT_ID) | FBIT(F_TYPE) | FBIT(F_AGENCY) | FBIT(F_OCCURRED_AT) |
                                    FBIT(F_CASE_ID) | FBIT(F_ROUTE) | FBIT(F_AS_REVIEW_BODY) |
                                    FBIT(F_APPLICATION_ID));
    expect_ok("{\"event_id\":\"v-2\",\"type\":\"review_decided\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"case_id\":\"c\",\"result\":\"other\"}", &e);
    assert_int_equal(e.result, RESULT_OTHER);
    expect_ok("{\"event_id\":\"v-3\",\"type\":\"application_received\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"application_id\":\"a\","
              "\"applicant\":\"other_org\",\"channel\":\"other\"}", &e);
    assert_int_equal(e.applicant, OTHER_ORG);
    assert_int_equal(e.channel, 6);
    expect_ok("{\"event_id\":\"v-4\",\"type\":\"application_resolved\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"application_id\":\"a\","
              "\"outcome\":\"not_processed.confirmation\"}", &e);
    assert_int_equal(e.outcome, 18);
    expect_ok("{\"event_id\":\"v-5\",\"type\":\"decision_made\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"decision_kind\":\"other_service\","
              "\"count\":1000000}", &e);
    assert_int_equal(e.decision_kind, ITEM_OTHER_SERVICE);
    assert_int_equal(e.count, 1000000);
    expect_ok("{\"event_id\":\"v-6\",\"type\":\"decision_made\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"decision_kind\":\"licensing\"}", &e);
    assert_int_equal(e.count, 1);
    assert_false(e.present & FBIT(F_COUNT));
    expect_ok("{\"event_id\":\"v-7\",\"type\":\"procurement_awarded\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"procurement_id\":\"p\","
              "\"amount_fen\":1000000000000000}", &e);
    assert_true(e.amount_fen == 1000000000000000LL);
    expect_ok("{\"event_id\":\"v-8\",\"type\":\"deadline_set\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"application_id\":\"a\",\"due\":\"2019-04-30\"}", &e);
    assert_int_equal(e.due_day, day_from_ymd(2019, 4, 30));
    /* Unicode escapes of printable ASCII are that ASCII. */
    expect_ok("{\"event_id\":\"v\\u002d9\",\"type\":\"fee_collected\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"amount_fen\":1}", &e);
    assert_string_equal(e.event_id, "v-9");
    /* Whitespace around the object is JSON. */
    expect_ok("  {\"event_id\":\"v-10\",\"type\":\"fee_collected\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-03-02T10:00:00+08:00\",\"amount_fen\":1}\t", &e);
}

/* 2019-12-31T16:30:00Z is 2020-01-01 in Beijing: it belongs to 2020. */
static void test_beijing_day_boundary(void **state)
{
    (void)state;
    struct ev e;
    expect_ok("{\"event_id\":\"b-1\",\"type\":\"fee_collected\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-12-31T16:30:00Z\",\"amount_fen\":1}", &e);
    assert_int_equal(e.day, day_from_ymd(2020, 1, 1));
    assert_int_equal(day_year(e.day), 2020);
    assert_string_equal(e.occurred_at, "2019-12-31T16:30:00Z");
    int64_t us = e.occurred_us;
    expect_ok("{\"event_id\":\"b-2\",\"type\":\"fee_collected\",\"agency\":\"gz\","
              "\"occurred_at\":\"2020-01-01T00:30:00+08:00\",\"amount_fen\":1}", &e);
    assert_int_equal(e.day, day_from_ymd(2020, 1, 1));
    assert_true(e.occurred_us == us);
    assert_string_equal(e.occurred_at, "2019-12-31T16:30:00Z");
    expect_ok("{\"event_id\":\"b-3\",\"type\":\"fee_collected\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-12-31T15:59:59Z\",\"amount_fen\":1}", &e);
    assert_int_equal(e.day, day_from_ymd(2019, 12, 31));
    expect_ok("{\"event_id\":\"b-4\",\"type\":\"fee_collected\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-12-31T23:59:59+08:00\",\"amount_fen\":1}", &e);
    assert_int_equal(e.day, day_from_ymd(2019, 12, 31));
    expect_ok("{\"event_id\":\"b-5\",\"type\":\"fee_collected\",\"agency\":\"gz\","
              "\"occurred_at\":\"2019-12-31T11:00:00-05:00\",\"amount_fen\":1}", &e);
    assert_int_equal(e.day, day_from_ymd(2020, 1, 1));
}

static void test_fixture_lines(void **state)
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
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            nl = line + strlen(line) - 1;
        size_t len = (size_t)(nl - line) + (*nl != '\n');
        struct ev e;
        struct ev_error err;
        if (jsonl_parse(line, len, &e, &err) != 0)
            fail_msg("fixture line %d refused: %s %s", n + 1, err.code, err.message);
        assert_int_not_equal(e.type, EV_NONE);
        assert_true(e.day > day_from_ymd(2000, 1, 1));
        n++;
        if (!nl[0] || !nl[1])
            break;
    }
    assert_int_equal(n, 361);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_unknown_field_and_type),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_too_long_strings),
        cmocka_unit_test(test_event_id_kept_on_failure),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_beijing_day_boundary),
        cmocka_unit_test(test_fixture_lines),
    };
    return cmocka_run_group_tests_name("jsonl", tests, NULL, NULL);
}
