/* test_event — the event model and single-event validation (lib/model/event.c):
 * every rejection path of ev_finish() with its code and the field its
 * message names, the fixed order of the checks, defaults and the canonical
 * occurred_at, names and tables, ev_subject, ev_to_json, and messages that
 * stay UTF-8 when a value is cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "day.h"
#include "event.h"

#define ALL_TYPES for (int t = EV_APPLICATION_RECEIVED; t < EV_NTYPES; t++)

/* A valid event of type t with every required field (and nothing else). */
static struct ev mk(enum ev_type t)
{
    struct ev e;
    memset(&e, 0, sizeof e);
    e.type = t;
    snprintf(e.event_id, sizeof e.event_id, "ev-%d", (int)t);
    snprintf(e.agency, sizeof e.agency, "gz-test");
    snprintf(e.occurred_at, sizeof e.occurred_at, "2019-03-02T10:00:00+08:00");
    uint32_t req = ev_required_fields(t);
    e.present = req;
    if (req & FBIT(F_APPLICATION_ID)) snprintf(e.application_id, sizeof e.application_id, "app 1");
    if (req & FBIT(F_DOCUMENT_ID)) snprintf(e.document_id, sizeof e.document_id, "doc-1");
    if (req & FBIT(F_ITEM_ID)) snprintf(e.item_id, sizeof e.item_id, "item-1");
    if (req & FBIT(F_PROCUREMENT_ID)) snprintf(e.procurement_id, sizeof e.procurement_id, "p-1");
    if (req & FBIT(F_CASE_ID)) snprintf(e.case_id, sizeof e.case_id, "case-1");
    if (req & FBIT(F_CONSULTATION_ID)) snprintf(e.consultation_id, sizeof e.consultation_id, "c-1");
    e.applicant = NATURAL_PERSON;
    e.outcome = 1;
    e.document_kind = DOC_RULE;
    e.item_kind = ITEM_LICENSING;
    e.decision_kind = ITEM_PENALTY;
    e.result = RESULT_UPHELD;
    e.route = ROUTE_DIRECT;
    e.amount_fen = 100;
    e.working_days = 5;
    e.due_day = day_from_ymd(2019, 4, 1);
    return e;
}

/* rc must be -1 with code and a message starting with "prefix". */
static void expect_err(int rc, const struct ev_error *err, const char *code, const char *prefix,
                       const char *what)
{
    if (rc != -1 || strcmp(err->code, code) != 0 ||
        strncmp(err->message, prefix, strlen(prefix)) != 0)
        fail_msg("%s: expected %s \"%s...\", got rc %d, %s \"%s\"", what, code, prefix, rc,
                 rc ? err->code : "-", rc ? err->message : "");
}

static void expect_ok(struct ev *e, const char *what)
{
    struct ev_error err = {{0}, {0}};
    if (ev_finish(e, &err) != 0)
        fail_msg("%s: refused: %s \"%s\"", what, err.code, err.message);
}

static int finish(struct ev e, struct ev_error *err)
{
    memset(err, 0, sizeof *err);
    return ev_finish(&e, err);
}

static void test_every_type_valid(void **state)
{
    (void)state;
    ALL_TYPES {
        struct ev e = mk((enum ev_type)t);
        expect_ok(&e, ev_type_names[t]);
        assert_string_equal(e.occurred_at, "2019-03-02T02:00:00Z");
        assert_int_equal(e.day, day_from_ymd(2019, 3, 2));
        /* Optional fields are optional. */
        uint32_t opt = ev_allowed_fields((enum ev_type)t) & ~ev_required_fields((enum ev_type)t);
        struct ev full = mk((enum ev_type)t);
        full.present |= opt;
        full.count = 7;
        full.channel = 3;
        snprintf(full.application_id, sizeof full.application_id, "app-9");
        expect_ok(&full, ev_type_names[t]);
    }
}

static void test_missing_and_unknown_type(void **state)
{
    (void)state;
    struct ev_error err;
    struct ev e = mk(EV_FEE_COLLECTED);
    e.present &= ~FBIT(F_TYPE);
    expect_err(finish(e, &err), &err, "missing_field", "type:", "no type");
    e = mk(EV_FEE_COLLECTED);
    e.type = EV_NONE;
    expect_err(finish(e, &err), &err, "unknown_type", "type:", "type 0");
    e.type = EV_NTYPES;
    expect_err(finish(e, &err), &err, "unknown_type", "type:", "type past the last");
    e.type = (enum ev_type)-1;
    expect_err(finish(e, &err), &err, "unknown_type", "type:", "type -1");
}

/* Every field a type does not have is unknown_field, named. */
static void test_unknown_fields(void **state)
{
    (void)state;
    int n = 0;
    ALL_TYPES {
        uint32_t allowed = ev_allowed_fields((enum ev_type)t);
        for (int f = 0; f < F_NFIELDS; f++) {
            if (allowed & FBIT(f))
                continue;
            struct ev e = mk((enum ev_type)t);
            e.present |= FBIT(f);
            struct ev_error err;
            char prefix[64], what[96];
            snprintf(prefix, sizeof prefix, "%s: not a field of %s", ev_field_names[f],
                     ev_type_names[t]);
            snprintf(what, sizeof what, "%s on %s", ev_field_names[f], ev_type_names[t]);
            expect_err(finish(e, &err), &err, "unknown_field", prefix, what);
            n++;
        }
    }
    assert_true(n > 300);
}

/* Every required field, missing, is missing_field, named. */
static void test_missing_fields(void **state)
{
    (void)state;
    ALL_TYPES {
        uint32_t req = ev_required_fields((enum ev_type)t);
        for (int f = 0; f < F_NFIELDS; f++) {
            if (!(req & FBIT(f)) || f == F_TYPE)
                continue;
            struct ev e = mk((enum ev_type)t);
            e.present &= ~FBIT(f);
            struct ev_error err;
            char prefix[64], what[96];
            snprintf(prefix, sizeof prefix, "%s: missing", ev_field_names[f]);
            snprintf(what, sizeof what, "no %s on %s", ev_field_names[f], ev_type_names[t]);
            expect_err(finish(e, &err), &err, "missing_field", prefix, what);
        }
    }
}

static void test_field_tables(void **state)
{
    (void)state;
    uint32_t common = FBIT(F_EVENT_ID) | FBIT(F_TYPE) | FBIT(F_AGENCY) | FBIT(F_OCCURRED_AT);
    ALL_TYPES {
        assert_int_equal(ev_required_fields((enum ev_type)t) & common, common);
        assert_int_equal(ev_allowed_fields((enum ev_type)t) & ev_required_fields((enum ev_type)t),
                         ev_required_fields((enum ev_type)t));
    }
    assert_int_equal(ev_allowed_fields(EV_NONE), common);
    assert_true(ev_allowed_fields(EV_LAWSUIT_FILED) & FBIT(F_AS_REVIEW_BODY));
    assert_false(ev_required_fields(EV_LAWSUIT_FILED) & FBIT(F_AS_REVIEW_BODY));
    assert_true(ev_allowed_fields(EV_DECISION_MADE) & FBIT(F_COUNT));
    assert_false(ev_required_fields(EV_DECISION_MADE) & FBIT(F_COUNT));
    assert_true(ev_allowed_fields(EV_APPLICATION_RECEIVED) & FBIT(F_CHANNEL));
    assert_true(ev_allowed_fields(EV_REVIEW_FILED) & FBIT(F_APPLICATION_ID));
    assert_false(ev_required_fields(EV_REVIEW_FILED) & FBIT(F_APPLICATION_ID));
    assert_false(ev_allowed_fields(EV_FEE_COLLECTED) & FBIT(F_COUNT));

    for (int f = 0; f < F_NFIELDS; f++)
        assert_int_equal(ev_field_by_name(ev_field_names[f]), f);
    assert_int_equal(ev_field_by_name("colour"), -1);
    assert_int_equal(ev_field_by_name(""), -1);
    assert_int_equal(ev_lookup(ev_type_names, EV_NTYPES, "lawsuit_decided"), EV_LAWSUIT_DECIDED);
    assert_int_equal(ev_lookup(ev_type_names, EV_NTYPES, "Lawsuit_decided"), 0);
    assert_int_equal(ev_lookup(ev_outcome_names, N_OUTCOME, "other.other"), OUTCOME_OTHER_OTHER);
    assert_int_equal(ev_lookup(ev_outcome_names, N_OUTCOME, "other"), 0);
    int n;
    assert_ptr_equal(ev_enum_names(F_DECISION_KIND, &n), ev_item_kind_names);
    assert_int_equal(n, N_ITEMKIND);
    assert_ptr_equal(ev_enum_names(F_RESULT, &n), ev_result_names);
    assert_int_equal(n, N_RESULT);
    assert_ptr_equal(ev_enum_names(F_CHANNEL, &n), ev_channel_names);
    assert_null(ev_enum_names(F_COUNT, &n));
    assert_null(ev_enum_names(F_EVENT_ID, &n));
    /* The contract's names, in the contract's order. */
    assert_string_equal(ev_outcome_names[1], "disclosed");
    assert_string_equal(ev_outcome_names[3], "withheld.state_secret");
    assert_string_equal(ev_outcome_names[21], "other.other");
    assert_string_equal(ev_applicant_names[6], "other_org");
    assert_string_equal(ev_item_kind_names[ITEM_FEE], "fee");
    assert_string_equal(ev_type_names[EV_DEADLINE_SET], "deadline_set");
}

struct bad {
    const char *what;
    void (*set)(struct ev *e);
    const char *prefix;
};

#define SETTER(name, body) static void name(struct ev *e) { body; }
SETTER(id_empty, e->event_id[0] = '\0')
SETTER(id_space, snprintf(e->event_id, sizeof e->event_id, "bad id"))
SETTER(id_tab, snprintf(e->event_id, sizeof e->event_id, "bad\tid"))
SETTER(id_del, snprintf(e->event_id, sizeof e->event_id, "bad\x7fid"))
SETTER(id_utf8, snprintf(e->event_id, sizeof e->event_id, "事件-1"))
SETTER(ag_empty, e->agency[0] = '\0')
SETTER(ag_upper, snprintf(e->agency, sizeof e->agency, "GZ-test"))
SETTER(ag_dash, snprintf(e->agency, sizeof e->agency, "-gz"))
SETTER(ag_dot, snprintf(e->agency, sizeof e->agency, ".gz"))
SETTER(ag_slash, snprintf(e->agency, sizeof e->agency, "gz/test"))
SETTER(ag_space, snprintf(e->agency, sizeof e->agency, "gz test"))
SETTER(ag_65, memset(e->agency, 'a', 64); e->agency[64] = '\0'; e->agency[0] = 'A')
SETTER(at_no_offset, snprintf(e->occurred_at, sizeof e->occurred_at, "2019-03-02T10:00:00"))
SETTER(at_date, snprintf(e->occurred_at, sizeof e->occurred_at, "2019-03-02"))
SETTER(at_feb30, snprintf(e->occurred_at, sizeof e->occurred_at, "2019-02-30T10:00:00Z"))
SETTER(at_1989, snprintf(e->occurred_at, sizeof e->occurred_at, "1989-12-31T23:59:59+08:00"))
SETTER(at_2101, snprintf(e->occurred_at, sizeof e->occurred_at, "2101-01-01T00:00:00Z"))
SETTER(at_empty, e->occurred_at[0] = '\0')

static void test_common_bad_values(void **state)
{
    (void)state;
    const struct bad cases[] = {
        {"event_id empty", id_empty, "event_id: must not be empty"},
        {"event_id with a space", id_space, "event_id: \"bad id\" has character 0x20 at 3"},
        {"event_id with a tab", id_tab, "event_id: \"bad\\x09id\" has character 0x09"},
        {"event_id with DEL", id_del, "event_id: "},
        {"event_id not ASCII", id_utf8, "event_id: \"事件-1\" has character 0xe4"},
        {"agency empty", ag_empty, "agency: \"\" does not match"},
        {"agency upper case", ag_upper, "agency: \"GZ-test\" does not match"},
        {"agency starting with -", ag_dash, "agency: \"-gz\""},
        {"agency starting with .", ag_dot, "agency: \".gz\""},
        {"agency with /", ag_slash, "agency: \"gz/test\""},
        {"agency with a space", ag_space, "agency: \"gz test\""},
        {"agency with an upper-case start", ag_65, "agency: "},
        {"occurred_at without offset", at_no_offset,
         "occurred_at: \"2019-03-02T10:00:00\" is not an RFC 3339 timestamp with offset"},
        {"occurred_at a date", at_date, "occurred_at: \"2019-03-02\" is not"},
        {"occurred_at 30 February", at_feb30, "occurred_at: \"2019-02-30T10:00:00Z\" is not"},
        {"occurred_at 1989", at_1989,
         "occurred_at: \"1989-12-31T23:59:59+08:00\" is 1989-12-31 in Beijing time, outside the "
         "reporting years 1990-2100"},
        {"occurred_at 2101", at_2101, "occurred_at: \"2101-01-01T00:00:00Z\" is 2101-01-01 in Beijing time"},
        {"occurred_at empty", at_empty, "occurred_at: \"\" is not"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ev e = mk(EV_FEE_COLLECTED);
        cases[i].set(&e);
        struct ev_error err;
        expect_err(finish(e, &err), &err, "bad_value", cases[i].prefix, cases[i].what);
    }
    /* The limits themselves are fine. */
    struct ev e = mk(EV_FEE_COLLECTED);
    memset(e.event_id, '~', 128);
    e.event_id[128] = '\0';
    expect_ok(&e, "event_id of 128 printable characters");
    e = mk(EV_FEE_COLLECTED);
    memset(e.agency, 'z', 64);
    e.agency[64] = '\0';
    expect_ok(&e, "agency of 64 characters");
    e = mk(EV_FEE_COLLECTED);
    snprintf(e.agency, sizeof e.agency, "0a.b_c-9");
    expect_ok(&e, "agency with every allowed character");
    e = mk(EV_FEE_COLLECTED);
    snprintf(e.occurred_at, sizeof e.occurred_at, "1990-01-01T00:00:00+08:00");
    expect_ok(&e, "the first moment of 1990 (as written)");
    assert_string_equal(e.occurred_at, "1989-12-31T16:00:00Z");
    assert_int_equal(e.day, day_from_ymd(1990, 1, 1));
    e = mk(EV_FEE_COLLECTED);
    snprintf(e.occurred_at, sizeof e.occurred_at, "2100-12-31T23:59:59.5+08:00");
    expect_ok(&e, "the last moment of 2100 in Beijing");
    assert_string_equal(e.occurred_at, "2100-12-31T15:59:59.500000Z");
}

/* The instant us written in offset off_min minutes: "…+hh:mm" / "…-hh:mm". */
static void write_in_offset(int64_t us, int off_min, char *out, size_t cap)
{
    char z[40];
    day_format_utc(us + (int64_t)off_min * 60 * 1000000, z, sizeof z);
    z[strlen(z) - 1] = '\0'; /* the Z */
    int a = off_min < 0 ? -off_min : off_min;
    snprintf(out, cap, "%s%c%02d:%02d", z, off_min < 0 ? '-' : '+', a / 60, a % 60);
}

/* Issue 12: the year rule applies to the Beijing reporting day, whatever the
 * offset it is written in, and the stored (canonical UTC) form of every
 * accepted event is accepted again with the same instant and day: replaying
 * the log can never meet a row that intake accepted and cannot read. */
static void test_date_range_every_offset(void **state)
{
    (void)state;
    const int64_t first = (int64_t)day_from_ymd(1990, 1, 1) * 86400000000LL - 8 * 3600000000LL;
    const int64_t last = (int64_t)(day_from_ymd(2100, 12, 31) + 1) * 86400000000LL -
                         8 * 3600000000LL - 1;
    const struct { int64_t us; int ok; int32_t day; } at[] = {
        {first, 1, day_from_ymd(1990, 1, 1)},     {first - 1, 0, 0},
        {first - 1000000, 0, 0},                  {last, 1, day_from_ymd(2100, 12, 31)},
        {last + 1, 0, 0},                         {last + 1000000, 0, 0},
        {first + 3600000000LL * 5, 1, day_from_ymd(1990, 1, 1)},
        {last - 3600000000LL * 23, 1, day_from_ymd(2100, 12, 31)},
    };
    int offsets[2 * 24 * 4 + 3];
    size_t noff = 0;
    for (int m = -23 * 60 - 45; m <= 23 * 60 + 45; m += 15)
        offsets[noff++] = m;
    offsets[noff++] = -(23 * 60 + 59);
    offsets[noff++] = 23 * 60 + 59;
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        for (size_t k = 0; k < noff; k++) {
            for (int t = EV_APPLICATION_RECEIVED; t < EV_NTYPES; t += 7) {
                struct ev e = mk((enum ev_type)t);
                write_in_offset(at[i].us, offsets[k], e.occurred_at, sizeof e.occurred_at);
                char written[40];
                snprintf(written, sizeof written, "%s", e.occurred_at);
                struct ev_error err = {{0}, {0}};
                int rc = ev_finish(&e, &err);
                if (!at[i].ok) {
                    if (rc != -1 || strcmp(err.code, "bad_value") != 0 ||
                        strncmp(err.message, "occurred_at: ", 13) != 0)
                        fail_msg("%s: accepted, outside the Beijing years", written);
                    continue;
                }
                if (rc)
                    fail_msg("%s: refused: %s", written, err.message);
                if (e.occurred_us != at[i].us || e.day != at[i].day)
                    fail_msg("%s: instant or day wrong", written);
                /* The stored form, read back: same instant, same day. */
                struct ev again = mk((enum ev_type)t);
                snprintf(again.occurred_at, sizeof again.occurred_at, "%s", e.occurred_at);
                if (ev_finish(&again, &err) || again.occurred_us != e.occurred_us ||
                    again.day != e.day || strcmp(again.occurred_at, e.occurred_at) != 0)
                    fail_msg("%s: stored as %s, which does not read back the same", written,
                             e.occurred_at);
            }
        }
    /* The issue's own examples. */
    const char *examples[] = {"1990-01-01T05:00:00+08:00" /* 1989-12-31 in UTC: fine */,
                             "2100-12-31T23:00:00-08:00", "2100-12-31T20:00:00Z",
                             "1989-12-31T23:00:00-08:00" /* 1990-01-01 in Beijing: fine */};
    const int ok[] = {1, 0, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        struct ev e = mk(EV_DECISION_MADE);
        snprintf(e.occurred_at, sizeof e.occurred_at, "%s", examples[i]);
        struct ev_error err = {{0}, {0}};
        if ((ev_finish(&e, &err) == 0) != ok[i])
            fail_msg("%s: expected %s", examples[i], ok[i] ? "accepted" : "refused");
    }
}

/* The entity ids: 1..128 printable ASCII, spaces allowed. (Longer ones
 * cannot reach a struct ev: the parsers refuse them, see test_jsonl and
 * test_codec.) */
static void test_id_fields(void **state)
{
    (void)state;
    static const struct {
        enum ev_type t;
        enum ev_field f;
        size_t off;
    } ids[] = {
        {EV_APPLICATION_RECEIVED, F_APPLICATION_ID, offsetof(struct ev, application_id)},
        {EV_DOCUMENT_ISSUED, F_DOCUMENT_ID, offsetof(struct ev, document_id)},
        {EV_CATALOG_ITEM_ADDED, F_ITEM_ID, offsetof(struct ev, item_id)},
        {EV_PROCUREMENT_AWARDED, F_PROCUREMENT_ID, offsetof(struct ev, procurement_id)},
        {EV_REVIEW_FILED, F_CASE_ID, offsetof(struct ev, case_id)},
        {EV_CONSULTATION_STARTED, F_CONSULTATION_ID, offsetof(struct ev, consultation_id)},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *name = ev_field_names[ids[i].f];
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s: ", name);
        struct ev e = mk(ids[i].t);
        char *s = (char *)&e + ids[i].off;
        struct ev_error err;

        s[0] = '\0';
        expect_err(finish(e, &err), &err, "bad_value", prefix, "empty id");
        assert_non_null(strstr(err.message, "must not be empty"));
        snprintf(s, 129, "ctl\x01");
        expect_err(finish(e, &err), &err, "bad_value", prefix, "id with a control character");
        snprintf(s, 129, "é");
        expect_err(finish(e, &err), &err, "bad_value", prefix, "id not ASCII");
        snprintf(s, 129, "with spaces ok");
        expect_ok(&e, "id with spaces");
        e = mk(ids[i].t);
        s = (char *)&e + ids[i].off;
        memset(s, '!', 128);
        s[128] = '\0';
        expect_ok(&e, "id of 128");
    }
}

static void test_numbers_and_kinds(void **state)
{
    (void)state;
    struct ev_error err;
    struct ev e = mk(EV_DECISION_MADE);
    expect_ok(&e, "decision without count");
    assert_int_equal(e.count, 1);

    static const struct {
        int64_t v;
        int ok;
    } counts[] = {{0, 0}, {-1, 0}, {1, 1}, {1000000, 1}, {1000001, 0}, {INT64_MIN, 0}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        e = mk(EV_DECISION_MADE);
        e.present |= FBIT(F_COUNT);
        e.count = counts[i].v;
        if (counts[i].ok) {
            expect_ok(&e, "count in range");
            assert_true(e.count == counts[i].v);
        } else {
            expect_err(finish(e, &err), &err, "bad_value", "count: ", "count out of range");
            assert_non_null(strstr(err.message, "outside 1-1000000"));
        }
    }
    e = mk(EV_DECISION_MADE);
    e.decision_kind = ITEM_FEE;
    expect_err(finish(e, &err), &err, "bad_value", "decision_kind: \"fee\" is not a decision kind",
               "decision_kind fee");

    static const struct {
        int64_t v;
        int ok;
    } fen[] = {{0, 0}, {-5, 0}, {1, 1}, {1000000000000000LL, 1}, {1000000000000001LL, 0}};
    for (size_t i = 0; i < sizeof fen / sizeof fen[0]; i++) {
        enum ev_type types[] = {EV_FEE_COLLECTED, EV_PROCUREMENT_AWARDED};
        for (size_t k = 0; k < 2; k++) {
            e = mk(types[k]);
            e.amount_fen = fen[i].v;
            if (fen[i].ok) {
                expect_ok(&e, "amount_fen in range");
            } else {
                expect_err(finish(e, &err), &err, "bad_value", "amount_fen: ", "amount out of range");
                char v[32];
                snprintf(v, sizeof v, "%lld", (long long)fen[i].v);
                assert_non_null(strstr(err.message, v));
            }
        }
    }
    static const struct {
        int64_t v;
        int ok;
    } wd[] = {{0, 0}, {1, 1}, {20, 1}, {21, 0}, {-3, 0}};
    for (size_t i = 0; i < sizeof wd / sizeof wd[0]; i++) {
        e = mk(EV_EXTENSION_GRANTED);
        e.working_days = wd[i].v;
        if (wd[i].ok)
            expect_ok(&e, "working_days in range");
        else
            expect_err(finish(e, &err), &err, "bad_value", "working_days: ", "working_days out of range");
    }
}

/* The checks run in a fixed order: type, unknown fields, missing fields, then values. */
static void test_check_order(void **state)
{
    (void)state;
    struct ev_error err;
    struct ev e = mk(EV_APPLICATION_RECEIVED);
    e.present |= FBIT(F_OUTCOME);
    e.present &= ~FBIT(F_APPLICANT);
    snprintf(e.event_id, sizeof e.event_id, "bad id");
    expect_err(finish(e, &err), &err, "unknown_field", "outcome:", "unknown before missing");
    e.present &= ~FBIT(F_OUTCOME);
    expect_err(finish(e, &err), &err, "missing_field", "applicant:", "missing before values");
    e.present |= FBIT(F_APPLICANT);
    snprintf(e.agency, sizeof e.agency, "BAD");
    expect_err(finish(e, &err), &err, "bad_value", "event_id:", "event_id before agency");
    snprintf(e.event_id, sizeof e.event_id, "ok");
    snprintf(e.occurred_at, sizeof e.occurred_at, "nope");
    expect_err(finish(e, &err), &err, "bad_value", "agency:", "agency before occurred_at");
    snprintf(e.agency, sizeof e.agency, "ok");
    e.application_id[0] = '\0';
    expect_err(finish(e, &err), &err, "bad_value", "occurred_at:", "occurred_at before ids");
    /* The lowest field number first among several unknown ones. */
    e = mk(EV_FEE_COLLECTED);
    e.present |= FBIT(F_DUE) | FBIT(F_APPLICANT) | FBIT(F_CASE_ID);
    expect_err(finish(e, &err), &err, "unknown_field", "applicant:", "first unknown field");
}

static void test_subject(void **state)
{
    (void)state;
    ALL_TYPES {
        struct ev e = mk((enum ev_type)t);
        const char *s = ev_subject(&e);
        switch (t) {
        case EV_DECISION_MADE:
        case EV_FEE_COLLECTED: assert_string_equal(s, ""); break;
        case EV_DOCUMENT_ISSUED:
        case EV_DOCUMENT_PUBLISHED:
        case EV_DOCUMENT_REPEALED:
        case EV_DOCUMENT_LAPSED: assert_ptr_equal(s, e.document_id); break;
        case EV_CATALOG_ITEM_ADDED:
        case EV_CATALOG_ITEM_REMOVED: assert_ptr_equal(s, e.item_id); break;
        case EV_PROCUREMENT_AWARDED: assert_ptr_equal(s, e.procurement_id); break;
        case EV_REVIEW_FILED:
        case EV_REVIEW_DECIDED:
        case EV_LAWSUIT_FILED:
        case EV_LAWSUIT_DECIDED: assert_ptr_equal(s, e.case_id); break;
        default: assert_ptr_equal(s, e.application_id); break;
        }
    }
}

/* ev_to_json: valid JSON with the contract's names and values, every string escaped. */
static void test_to_json(void **state)
{
    (void)state;
    struct ev e = mk(EV_LAWSUIT_FILED);
    snprintf(e.event_id, sizeof e.event_id, "q\"uo\\te");
    e.present |= FBIT(F_AS_REVIEW_BODY) | FBIT(F_APPLICATION_ID);
    e.as_review_body = true;
    snprintf(e.application_id, sizeof e.application_id, "app \"7\"");
    expect_ok(&e, "lawsuit");
    char buf[4096];
    size_t n = ev_to_json(&e, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    json_error_t je;
    json_t *j = json_loads(buf, 0, &je);
    if (!j)
        fail_msg("not JSON: %s (%s)", buf, je.text);
    assert_string_equal(json_string_value(json_object_get(j, "event_id")), "q\"uo\\te");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "lawsuit_filed");
    assert_string_equal(json_string_value(json_object_get(j, "agency")), "gz-test");
    assert_string_equal(json_string_value(json_object_get(j, "occurred_at")), "2019-03-02T02:00:00Z");
    assert_string_equal(json_string_value(json_object_get(j, "application_id")), "app \"7\"");
    assert_string_equal(json_string_value(json_object_get(j, "route")), "direct");
    assert_true(json_is_true(json_object_get(j, "as_review_body")));
    assert_int_equal(json_object_size(j), 8);
    json_decref(j);

    e = mk(EV_DECISION_MADE);
    expect_ok(&e, "decision");
    ev_to_json(&e, buf, sizeof buf);
    assert_string_equal(buf, "{\"event_id\":\"ev-9\",\"type\":\"decision_made\",\"agency\":\"gz-test\","
                             "\"occurred_at\":\"2019-03-02T02:00:00Z\",\"decision_kind\":\"penalty\"}");
    e.present |= FBIT(F_COUNT);
    e.count = 45;
    ev_to_json(&e, buf, sizeof buf);
    assert_non_null(strstr(buf, ",\"count\":45}"));

    e = mk(EV_DEADLINE_SET);
    expect_ok(&e, "deadline");
    ev_to_json(&e, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"due\":\"2019-04-01\""));
    e = mk(EV_EXTENSION_GRANTED);
    expect_ok(&e, "extension");
    ev_to_json(&e, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"working_days\":5"));

    /* snprintf-like: the length it needs, a cut but terminated buffer. */
    char small[16];
    memset(small, 'X', sizeof small);
    size_t need = ev_to_json(&e, small, sizeof small);
    assert_true(need >= sizeof small);
    assert_non_null(memchr(small, '\0', sizeof small));
    assert_int_equal(need, ev_to_json(&e, buf, sizeof buf));
    assert_int_equal(need, strlen(buf));
}

static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int k = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (k < 0)
            return 0;
        for (int j = 1; j <= k; j++)
            if ((p[j] & 0xc0) != 0x80)
                return 0;
        p += k + 1;
    }
    return 1;
}

/* A message is UTF-8 even when a %.Ns cut a character in two (it goes into
 * a text column and a protobuf string; one bad one used to wedge intake). */
static void test_messages_stay_utf8(void **state)
{
    (void)state;
    struct ev_error err;
    ev_fail(&err, "bad_value", "x: \"%.4s\"", "ab中文");
    assert_string_equal(err.code, "bad_value");
    assert_true(utf8_ok(err.message));
    assert_string_equal(err.message, "x: \"ab??\"");
    ev_fail(&err, "bad_value", "%s", "ok 中文 \xff end");
    assert_string_equal(err.message, "ok 中文 ? end");
    ev_fail(&err, "bad_value", "%s", "\xc0\xaf overlong, \xed\xa0\x80 surrogate");
    assert_true(utf8_ok(err.message));
    assert_null(strchr(err.message, '\xc0'));
    /* Cut by the buffer's end: 320 bytes of which the last character is cut. */
    char big[400];
    memset(big, 'a', 318);
    snprintf(big + 318, sizeof big - 318, "中中中");
    ev_fail(&err, "bad_value", "%s", big);
    assert_true(utf8_ok(err.message));
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
    /* NULL err is allowed. */
    assert_int_equal(ev_fail(NULL, "x", "%s", "y"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_valid),
        cmocka_unit_test(test_missing_and_unknown_type),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_field_tables),
        cmocka_unit_test(test_common_bad_values),
        cmocka_unit_test(test_date_range_every_offset),
        cmocka_unit_test(test_id_fields),
        cmocka_unit_test(test_numbers_and_kinds),
        cmocka_unit_test(test_check_order),
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_to_json),
        cmocka_unit_test(test_messages_stay_utf8),
    };
    return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
