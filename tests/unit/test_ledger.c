/* test_ledger — per-entity state and the referential rules (lib/rules/ledger.c):
 * every rejection path of ledger_check() with its code and the field its
 * message names, dates compared as Beijing days, agencies kept apart,
 * corrections ("the later one wins"), extensions that add up to at most 20
 * working days, undo (ledger_begin / apply / ledger_rollback restores
 * exactly the state of ledger_begin), and checkpoints (ledger_save/load).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "day.h"
#include "event.h"
#include "jsonl.h"
#include "buf.h"
#include "ledger.h"

static int seq;

/* A finished event from "type", agency, occurred_at and the rest of the JSON. */
static struct ev mk(const char *type, const char *agency, const char *at, const char *rest)
{
    char line[1024];
    snprintf(line, sizeof line,
             "{\"event_id\":\"t-%d\",\"type\":\"%s\",\"agency\":\"%s\",\"occurred_at\":\"%s\"%s%s}",
             ++seq, type, agency, at, *rest ? "," : "", rest);
    struct ev e;
    struct ev_error err;
    if (jsonl_parse(line, strlen(line), &e, &err) != 0)
        fail_msg("test event refused: %s: %s %s", line, err.code, err.message);
    return e;
}

#define AG "gz-a"

/* ev must pass the rules; it is then applied. Returns the change. */
static struct ledger_change apply_ok(struct ledger *l, const struct ev *e)
{
    static struct ev keep[64];
    static int k;
    struct ev_error err;
    if (ledger_check(l, e, &err) != 0)
        fail_msg("%s %s refused: %s %s", ev_type_names[e->type], ev_subject(e), err.code, err.message);
    keep[k % 64] = *e;
    struct ledger_change c;
    ledger_apply(l, &keep[k++ % 64], &c);
    return c;
}

static void expect_rule(struct ledger *l, const struct ev *e, const char *code, const char *prefix)
{
    struct ev_error err;
    memset(&err, 0, sizeof err);
    int rc = ledger_check(l, e, &err);
    if (rc != -1 || strcmp(err.code, code) != 0 || strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("%s %s: expected %s \"%s...\", got rc %d, %s \"%s\"", ev_type_names[e->type],
                 ev_subject(e), code, prefix, rc, rc ? err.code : "-", rc ? err.message : "");
}

static void received(struct ledger *l, const char *agency, const char *app, const char *at)
{
    char rest[256];
    snprintf(rest, sizeof rest, "\"application_id\":\"%s\",\"applicant\":\"natural_person\"", app);
    struct ev e = mk("application_received", agency, at, rest);
    apply_ok(l, &e);
}

static struct ev app_ev(const char *type, const char *app, const char *at, const char *more)
{
    char rest[256];
    snprintf(rest, sizeof rest, "\"application_id\":\"%s\"%s%s", app, *more ? "," : "", more);
    return mk(type, AG, at, rest);
}

static void test_applications(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    struct ev e = app_ev("application_resolved", "a-1", "2019-03-15T10:00:00+08:00",
                         "\"outcome\":\"disclosed\"");
    expect_rule(l, &e, "unknown_application", "application_id: \"a-1\" was never received by agency gz-a");

    received(l, AG, "a-1", "2019-03-10T10:00:00+08:00");
    e = app_ev("application_resolved", "a-1", "2019-03-09T10:00:00+08:00", "\"outcome\":\"disclosed\"");
    expect_rule(l, &e, "resolved_before_received",
                "occurred_at: answer on 2019-03-09 is before the receipt on 2019-03-10 of application_id \"a-1\"");
    /* The same day is fine, whatever the hour. */
    e = app_ev("application_resolved", "a-1", "2019-03-10T08:00:00+08:00", "\"outcome\":\"disclosed\"");
    apply_ok(l, &e);
    /* A correction of the receipt that would follow the answer. */
    e = app_ev("application_received", "a-1", "2019-03-11T10:00:00+08:00", "\"applicant\":\"other_org\"");
    expect_rule(l, &e, "resolved_before_received",
                "occurred_at: receipt on 2019-03-11 would follow the answer of 2019-03-10 to application_id \"a-1\"");
    /* ... earlier is fine, and wins. */
    e = app_ev("application_received", "a-1", "2019-03-01T10:00:00+08:00", "\"applicant\":\"other_org\"");
    struct ledger_change c = apply_ok(l, &e);
    assert_int_equal(c.before.kind, ENT_APP);
    assert_int_equal(c.before.a, NATURAL_PERSON);
    assert_int_equal(c.after.a, OTHER_ORG);
    assert_int_equal(c.after.d[0], day_from_ymd(2019, 3, 1));
    assert_int_equal(c.after.d[1], day_from_ymd(2019, 3, 10));
    /* Another agency has no such application. */
    e = mk("application_resolved", "gz-b", "2019-03-15T10:00:00+08:00",
           "\"application_id\":\"a-1\",\"outcome\":\"disclosed\"");
    expect_rule(l, &e, "unknown_application", "application_id: \"a-1\" was never received by agency gz-b");
    ledger_destroy(&l);
    assert_null(l);
}

/* Dates are Beijing days: 2019-03-09T17:30Z is 03-10 in Beijing. */
static void test_beijing_days(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    received(l, AG, "a-2", "2019-03-10T01:00:00+08:00");
    struct ev e = app_ev("application_resolved", "a-2", "2019-03-09T17:30:00Z", "\"outcome\":\"disclosed\"");
    apply_ok(l, &e);
    e = app_ev("application_resolved", "a-2", "2019-03-09T15:59:59Z", "\"outcome\":\"disclosed\"");
    expect_rule(l, &e, "resolved_before_received", "occurred_at: answer on 2019-03-09 is before");
    e = app_ev("supplement_requested", "a-2", "2019-03-09T16:00:00Z", "");
    apply_ok(l, &e);
    e = app_ev("supplement_requested", "a-2", "2019-03-09T12:00:00-03:00", "");
    expect_rule(l, &e, "dated_before_received", "occurred_at: 2019-03-09 is before the receipt on 2019-03-10");
    ledger_destroy(&l);
}

static void test_timeliness(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    static const struct {
        const char *type;
        const char *more;
    } kinds[] = {
        {"supplement_requested", ""},
        {"supplement_received", ""},
        {"extension_granted", "\"working_days\":10"},
        {"consultation_started", "\"consultation_id\":\"k-1\""},
        {"consultation_ended", "\"consultation_id\":\"k-1\""},
        {"deadline_set", "\"due\":\"2019-05-01\""},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct ev e = app_ev(kinds[i].type, "a-none", "2019-03-20T10:00:00+08:00", kinds[i].more);
        expect_rule(l, &e, "unknown_application", "application_id: \"a-none\" was never received by agency gz-a");
    }
    received(l, AG, "a-3", "2019-03-10T10:00:00+08:00");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct ev e = app_ev(kinds[i].type, "a-3", "2019-03-09T10:00:00+08:00", kinds[i].more);
        expect_rule(l, &e, "dated_before_received",
                    "occurred_at: 2019-03-09 is before the receipt on 2019-03-10 of application_id \"a-3\"");
    }
    /* Ending a consultation never started, or started for another application. */
    struct ev e = app_ev("consultation_ended", "a-3", "2019-03-20T10:00:00+08:00", "\"consultation_id\":\"k-1\"");
    expect_rule(l, &e, "unknown_consultation",
                "consultation_id: \"k-1\" was never started for application_id \"a-3\"");
    received(l, AG, "a-4", "2019-03-10T10:00:00+08:00");
    e = app_ev("consultation_started", "a-4", "2019-03-12T10:00:00+08:00", "\"consultation_id\":\"k-1\"");
    apply_ok(l, &e);
    e = app_ev("consultation_ended", "a-3", "2019-03-20T10:00:00+08:00", "\"consultation_id\":\"k-1\"");
    expect_rule(l, &e, "unknown_consultation", "consultation_id: \"k-1\"");
    e = app_ev("consultation_ended", "a-4", "2019-03-11T10:00:00+08:00", "\"consultation_id\":\"k-1\"");
    expect_rule(l, &e, "bad_value", "occurred_at: consultation \"k-1\" would end on 2019-03-11, before it started on 2019-03-12");
    e = app_ev("consultation_ended", "a-4", "2019-03-12T10:00:00+08:00", "\"consultation_id\":\"k-1\"");
    apply_ok(l, &e);
    /* deadline_set: due on or after its own date. */
    e = app_ev("deadline_set", "a-4", "2019-03-20T10:00:00+08:00", "\"due\":\"2019-03-19\"");
    expect_rule(l, &e, "bad_value", "due: before the event's own date 2019-03-20");
    e = app_ev("deadline_set", "a-4", "2019-03-20T10:00:00+08:00", "\"due\":\"2019-03-20\"");
    apply_ok(l, &e);
    /* Timeliness events do not change the application's counted state. */
    e = app_ev("extension_granted", "a-4", "2019-03-21T10:00:00+08:00", "\"working_days\":12");
    struct ledger_change c = apply_ok(l, &e);
    assert_int_equal(c.before.kind, ENT_NONE);
    assert_int_equal(c.after.kind, ENT_NONE);
    /* Extensions add up: 20 working days in all (article 33). */
    e = app_ev("extension_granted", "a-4", "2019-03-22T10:00:00+08:00", "\"working_days\":9");
    expect_rule(l, &e, "bad_value",
                "working_days: 9 more after 12 already granted makes 21, over the 20 working days");
    e = app_ev("extension_granted", "a-4", "2019-03-22T10:00:00+08:00", "\"working_days\":8");
    apply_ok(l, &e);
    e = app_ev("extension_granted", "a-4", "2019-03-23T10:00:00+08:00", "\"working_days\":1");
    expect_rule(l, &e, "bad_value", "working_days: 1 more after 20 already granted");
    /* Per application. */
    e = app_ev("extension_granted", "a-3", "2019-03-23T10:00:00+08:00", "\"working_days\":20");
    apply_ok(l, &e);
    ledger_destroy(&l);
}

static void test_items(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    struct ev e = mk("catalog_item_removed", AG, "2019-05-01T10:00:00+08:00",
                     "\"item_id\":\"i-1\",\"item_kind\":\"licensing\"");
    expect_rule(l, &e, "unknown_item", "item_id: \"i-1\" was never added by agency gz-a");
    e = mk("catalog_item_added", AG, "2019-04-01T10:00:00+08:00", "\"item_id\":\"i-1\",\"item_kind\":\"licensing\"");
    apply_ok(l, &e);
    e = mk("catalog_item_removed", AG, "2019-05-01T10:00:00+08:00", "\"item_id\":\"i-1\",\"item_kind\":\"penalty\"");
    expect_rule(l, &e, "unknown_item", "item_kind: item \"i-1\" is licensing, not penalty");
    e = mk("catalog_item_removed", "gz-b", "2019-05-01T10:00:00+08:00", "\"item_id\":\"i-1\",\"item_kind\":\"licensing\"");
    expect_rule(l, &e, "unknown_item", "item_id: \"i-1\" was never added by agency gz-b");
    /* Dates of items are taken as given: a removal may predate the addition. */
    e = mk("catalog_item_removed", AG, "2019-01-01T10:00:00+08:00", "\"item_id\":\"i-1\",\"item_kind\":\"licensing\"");
    struct ledger_change c = apply_ok(l, &e);
    assert_int_equal(c.after.d[1], day_from_ymd(2019, 1, 1));
    /* Adding again is a correction, kind included. */
    e = mk("catalog_item_added", AG, "2019-04-02T10:00:00+08:00", "\"item_id\":\"i-1\",\"item_kind\":\"fee\"");
    c = apply_ok(l, &e);
    assert_int_equal(c.before.a, ITEM_LICENSING);
    assert_int_equal(c.after.a, ITEM_FEE);
    e = mk("catalog_item_removed", AG, "2019-05-01T10:00:00+08:00", "\"item_id\":\"i-1\",\"item_kind\":\"licensing\"");
    expect_rule(l, &e, "unknown_item", "item_kind: item \"i-1\" is fee, not licensing");
    ledger_destroy(&l);
}

static void test_cases(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    struct ev e = mk("review_decided", AG, "2019-05-01T10:00:00+08:00", "\"case_id\":\"c-1\",\"result\":\"upheld\"");
    expect_rule(l, &e, "unknown_case", "case_id: \"c-1\" was never filed with review_filed by agency gz-a");
    e = mk("lawsuit_decided", AG, "2019-05-01T10:00:00+08:00", "\"case_id\":\"c-1\",\"result\":\"upheld\"");
    expect_rule(l, &e, "unknown_case", "case_id: \"c-1\" was never filed with lawsuit_filed by agency gz-a");

    e = mk("review_filed", AG, "2019-04-10T10:00:00+08:00", "\"case_id\":\"r-1\"");
    apply_ok(l, &e);
    e = mk("lawsuit_filed", AG, "2019-04-10T10:00:00+08:00", "\"case_id\":\"s-1\",\"route\":\"direct\"");
    apply_ok(l, &e);
    /* The wrong family is unknown_case, both ways. */
    e = mk("lawsuit_decided", AG, "2019-05-01T10:00:00+08:00", "\"case_id\":\"r-1\",\"result\":\"upheld\"");
    expect_rule(l, &e, "unknown_case", "case_id: \"r-1\" was never filed with lawsuit_filed");
    e = mk("review_decided", AG, "2019-05-01T10:00:00+08:00", "\"case_id\":\"s-1\",\"result\":\"upheld\"");
    expect_rule(l, &e, "unknown_case", "case_id: \"s-1\" was never filed with review_filed");
    /* ... and filing one family's case as the other is a bad value. */
    e = mk("lawsuit_filed", AG, "2019-04-11T10:00:00+08:00", "\"case_id\":\"r-1\",\"route\":\"direct\"");
    expect_rule(l, &e, "bad_value", "case_id: \"r-1\" was filed as a review");
    e = mk("review_filed", AG, "2019-04-11T10:00:00+08:00", "\"case_id\":\"s-1\"");
    expect_rule(l, &e, "bad_value", "case_id: \"s-1\" was filed as a lawsuit");
    /* Another agency. */
    e = mk("review_decided", "gz-b", "2019-05-01T10:00:00+08:00", "\"case_id\":\"r-1\",\"result\":\"upheld\"");
    expect_rule(l, &e, "unknown_case", "case_id: \"r-1\" was never filed with review_filed by agency gz-b");

    /* Decided before filed, both families. */
    e = mk("review_decided", AG, "2019-04-09T10:00:00+08:00", "\"case_id\":\"r-1\",\"result\":\"upheld\"");
    expect_rule(l, &e, "decided_before_filed",
                "occurred_at: decision on 2019-04-09 is before the filing on 2019-04-10 of case_id \"r-1\"");
    e = mk("lawsuit_decided", AG, "2019-04-09T10:00:00+08:00", "\"case_id\":\"s-1\",\"result\":\"corrected\"");
    expect_rule(l, &e, "decided_before_filed", "occurred_at: decision on 2019-04-09");
    e = mk("review_decided", AG, "2019-04-20T10:00:00+08:00", "\"case_id\":\"r-1\",\"result\":\"upheld\"");
    apply_ok(l, &e);
    e = mk("lawsuit_decided", AG, "2019-04-10T23:00:00+08:00", "\"case_id\":\"s-1\",\"result\":\"other\"");
    struct ledger_change c = apply_ok(l, &e);
    assert_int_equal(c.after.c, RESULT_OTHER);
    /* A filing corrected to after its decision, both families. */
    e = mk("review_filed", AG, "2019-04-21T10:00:00+08:00", "\"case_id\":\"r-1\"");
    expect_rule(l, &e, "decided_before_filed",
                "occurred_at: filing on 2019-04-21 would follow the decision of 2019-04-20 in case_id \"r-1\"");
    e = mk("lawsuit_filed", AG, "2019-04-11T10:00:00+08:00", "\"case_id\":\"s-1\",\"route\":\"after_review\"");
    expect_rule(l, &e, "decided_before_filed", "occurred_at: filing on 2019-04-11");
    /* ... earlier is a correction that wins, as_review_body included. */
    e = mk("lawsuit_filed", AG, "2019-04-01T10:00:00+08:00",
           "\"case_id\":\"s-1\",\"route\":\"after_review\",\"as_review_body\":true");
    c = apply_ok(l, &e);
    assert_int_equal(c.before.b, ROUTE_DIRECT);
    assert_int_equal(c.after.b, ROUTE_AFTER_REVIEW);
    assert_int_equal(c.after.flags & CASE_AS_REVIEW_BODY, CASE_AS_REVIEW_BODY);
    assert_int_equal(c.after.d[0], day_from_ymd(2019, 4, 1));
    assert_int_equal(c.after.d[1], day_from_ymd(2019, 4, 10));
    ledger_destroy(&l);
}

/* Events with no ordering rule always pass; flows change no entity (only
 * their agency-year sums, which no ledger_change reports). */
static void test_no_rules(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    struct ev e = mk("decision_made", AG, "2019-04-01T10:00:00+08:00", "\"decision_kind\":\"penalty\",\"count\":3");
    struct ledger_change c = apply_ok(l, &e);
    assert_int_equal(c.before.kind, ENT_NONE);
    assert_int_equal(c.after.kind, ENT_NONE);
    assert_ptr_not_equal(c.ev, NULL);
    e = mk("fee_collected", AG, "2019-04-01T10:00:00+08:00", "\"amount_fen\":5");
    apply_ok(l, &e);
    e = mk("document_repealed", AG, "2019-04-01T10:00:00+08:00", "\"document_id\":\"d-1\",\"document_kind\":\"rule\"");
    c = apply_ok(l, &e); /* no issue date needed */
    assert_int_equal(c.after.kind, ENT_DOC);
    assert_int_equal(c.after.d[2], day_from_ymd(2019, 4, 1));
    e = mk("document_issued", AG, "2019-05-01T10:00:00+08:00", "\"document_id\":\"d-1\",\"document_kind\":\"normative\"");
    c = apply_ok(l, &e);
    assert_int_equal(c.after.a, DOC_NORMATIVE);
    assert_int_equal(c.after.d[0], day_from_ymd(2019, 5, 1));
    assert_int_equal(c.after.d[2], day_from_ymd(2019, 4, 1));
    e = mk("procurement_awarded", AG, "2019-04-01T10:00:00+08:00", "\"procurement_id\":\"p-1\",\"amount_fen\":700");
    apply_ok(l, &e);
    e = mk("procurement_awarded", AG, "2019-04-02T10:00:00+08:00", "\"procurement_id\":\"p-1\",\"amount_fen\":900");
    c = apply_ok(l, &e);
    assert_true(ent_amount(&c.before) == 700);
    assert_true(ent_amount(&c.after) == 900);
    assert_int_equal(c.after.d[0], day_from_ymd(2019, 4, 2));
    /* Amounts up to 10^15 fen fit the compact entity. */
    e = mk("procurement_awarded", AG, "2019-04-03T10:00:00+08:00",
           "\"procurement_id\":\"p-1\",\"amount_fen\":1000000000000000");
    c = apply_ok(l, &e);
    assert_true(ent_amount(&c.after) == 1000000000000000LL);
    assert_int_equal(c.after.d[0], day_from_ymd(2019, 4, 3));
    /* d-1, p-1, and the sums of 2019: penalty decisions, fees, procurement */
    assert_int_equal(ledger_entities(l), 5);
    assert_true(ledger_bytes(l) > 0);
    ledger_destroy(&l);
}

/* Issue 12: no agency-year sum can pass EV_SUM_MAX (what agg_metric and every
 * JSON reader hold exactly): the event that would is refused naming its field,
 * its value and the sum; other years and agencies are apart; corrections of a
 * procurement replace its amount; undo and checkpoints keep the sums. */
static void test_sums_bounded(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    const int64_t max_fee = 1000000000000000LL; /* the largest amount_fen */
    const int64_t n_fit = EV_SUM_MAX / max_fee;  /* 9 */
    char rest[128];
    snprintf(rest, sizeof rest, "\"amount_fen\":%lld", (long long)max_fee);
    for (int64_t i = 0; i < n_fit; i++) {
        struct ev e = mk("fee_collected", AG, "2019-06-01T10:00:00+08:00", rest);
        apply_ok(l, &e);
    }
    struct ev over = mk("fee_collected", AG, "2019-12-31T23:59:59+08:00", rest);
    char want[256];
    snprintf(want, sizeof want,
             "amount_fen: 1000000000000000 would take the fees collected of agency gz-a in 2019 "
             "to %lld, past the most one agency-year can hold (9007199254740991)",
             (long long)((n_fit + 1) * max_fee));
    expect_rule(l, &over, "bad_value", want);
    /* What still fits fits exactly, up to the limit itself. */
    snprintf(rest, sizeof rest, "\"amount_fen\":%lld", (long long)(EV_SUM_MAX - n_fit * max_fee));
    struct ev last = mk("fee_collected", AG, "2019-06-02T10:00:00+08:00", rest);
    apply_ok(l, &last);
    struct ev one = mk("fee_collected", AG, "2019-06-02T10:00:00+08:00", "\"amount_fen\":1");
    expect_rule(l, &one, "bad_value", "amount_fen: 1 would take the fees collected");
    /* Another year (Beijing: 2020-01-01) and another agency are apart. */
    one = mk("fee_collected", AG, "2019-12-31T16:00:00Z", "\"amount_fen\":1");
    apply_ok(l, &one);
    one = mk("fee_collected", "gz-b", "2019-06-02T10:00:00+08:00", "\"amount_fen\":1");
    apply_ok(l, &one);

    /* Undo restores the sum: after a rolled-back fee the limit is where it was. */
    ledger_begin(l);
    one = mk("fee_collected", "gz-b", "2019-06-02T10:00:00+08:00", "\"amount_fen\":1000000000000000");
    for (int i = 0; i < 9; i++)
        apply_ok(l, &one);
    expect_rule(l, &one, "bad_value", "amount_fen: 1000000000000000 would take the fees collected of agency gz-b");
    ledger_rollback(l);
    for (int i = 0; i < 9; i++)
        apply_ok(l, &one);

    /* Decisions: counts of one kind add up; kinds are apart. */
    for (int i = 0; i < 9; i++) {
        struct ev d = mk("decision_made", AG, "2021-03-01T10:00:00+08:00",
                         "\"decision_kind\":\"penalty\",\"count\":1000000");
        apply_ok(l, &d);
    }
    /* A procurement corrected to a larger amount in the same year replaces
     * its amount; moved to another year, it leaves the first. */
    snprintf(rest, sizeof rest, "\"procurement_id\":\"p\",\"amount_fen\":%lld", (long long)max_fee);
    for (int i = 0; i < 20; i++) {
        struct ev p = mk("procurement_awarded", AG, "2022-03-01T10:00:00+08:00", rest);
        apply_ok(l, &p); /* the same procurement, corrected: 10^15 in all, never more */
    }
    for (int i = 0; i < 8; i++) {
        char r2[128];
        snprintf(r2, sizeof r2, "\"procurement_id\":\"q%d\",\"amount_fen\":%lld", i, (long long)max_fee);
        struct ev p = mk("procurement_awarded", AG, "2022-03-01T10:00:00+08:00", r2);
        apply_ok(l, &p);
    }
    struct ev p10 = mk("procurement_awarded", AG, "2022-03-01T10:00:00+08:00",
                       "\"procurement_id\":\"q9\",\"amount_fen\":1000000000000000");
    expect_rule(l, &p10, "bad_value", "amount_fen: 1000000000000000 would take the procurement amounts awarded");
    struct ev moved = mk("procurement_awarded", AG, "2023-03-01T10:00:00+08:00", rest);
    apply_ok(l, &moved); /* p leaves 2022 for 2023 */
    apply_ok(l, &p10);   /* so q9 fits in 2022 now */

    /* A checkpoint keeps the sums. */
    struct buf b = {0};
    ledger_save(l, &b);
    struct ledger *l2 = ledger_new();
    struct rd in = {(const unsigned char *)b.data, b.len, 1};
    assert_int_equal(ledger_load(l2, &in), 0);
    struct ev again = mk("fee_collected", AG, "2019-06-02T10:00:00+08:00", "\"amount_fen\":1");
    expect_rule(l2, &again, "bad_value", "amount_fen: 1 would take the fees collected of agency gz-a in 2019");
    buf_free(&b);
    ledger_destroy(&l2);
    ledger_destroy(&l);
}

static void test_agencies(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    assert_int_equal(ledger_agency_count(l), 0);
    uint32_t id;
    assert_int_equal(ledger_agency_find(l, "gz-a", &id), -1);
    assert_int_equal(ledger_agency_id(l, "gz-a"), 0);
    assert_int_equal(ledger_agency_id(l, "gz-b"), 1);
    assert_int_equal(ledger_agency_id(l, "gz-a"), 0);
    assert_int_equal(ledger_agency_count(l), 2);
    assert_int_equal(ledger_agency_find(l, "gz-b", &id), 0);
    assert_int_equal(id, 1);
    assert_string_equal(ledger_agency_code(l, 0), "gz-a");
    assert_string_equal(ledger_agency_code(l, 1), "gz-b");
    /* Applying an event interns its agency. */
    received(l, "gz-c", "x", "2019-03-10T10:00:00+08:00");
    assert_int_equal(ledger_agency_count(l), 3);
    assert_int_equal(ledger_agency_find(l, "gz-c", &id), 0);
    assert_int_equal(id, 2);
    ledger_destroy(&l);
}

/* begin / apply / rollback restores the state of begin; commit keeps. */
static void test_undo(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    received(l, AG, "u-1", "2019-03-10T10:00:00+08:00");
    struct ev res = app_ev("application_resolved", "u-1", "2019-03-20T10:00:00+08:00", "\"outcome\":\"disclosed\"");
    apply_ok(l, &res);
    struct ev item = mk("catalog_item_added", AG, "2019-01-01T10:00:00+08:00", "\"item_id\":\"u-i\",\"item_kind\":\"penalty\"");
    apply_ok(l, &item);
    size_t ents = ledger_entities(l);

    ledger_begin(l);
    /* A new application, a correction of an old one applied twice, a new
     * case, the item's kind corrected. */
    received(l, AG, "u-2", "2019-03-11T10:00:00+08:00");
    struct ev corr = app_ev("application_resolved", "u-1", "2019-03-25T10:00:00+08:00",
                            "\"outcome\":\"withheld.state_secret\"");
    apply_ok(l, &corr);
    corr = app_ev("application_resolved", "u-1", "2019-03-26T10:00:00+08:00", "\"outcome\":\"other.other\"");
    apply_ok(l, &corr);
    struct ev rec = app_ev("application_received", "u-1", "2019-03-01T10:00:00+08:00", "\"applicant\":\"other_org\"");
    apply_ok(l, &rec);
    struct ev kase = mk("review_filed", AG, "2019-04-01T10:00:00+08:00", "\"case_id\":\"u-c\"");
    apply_ok(l, &kase);
    struct ev kind = mk("catalog_item_added", AG, "2019-02-01T10:00:00+08:00", "\"item_id\":\"u-i\",\"item_kind\":\"fee\"");
    apply_ok(l, &kind);
    /* Inside the transaction the new state rules. */
    struct ev q = app_ev("application_resolved", "u-2", "2019-03-12T10:00:00+08:00", "\"outcome\":\"disclosed\"");
    struct ev_error err;
    assert_int_equal(ledger_check(l, &q, &err), 0);
    struct ev rm = mk("catalog_item_removed", AG, "2019-06-01T10:00:00+08:00", "\"item_id\":\"u-i\",\"item_kind\":\"penalty\"");
    expect_rule(l, &rm, "unknown_item", "item_kind: item \"u-i\" is fee, not penalty");
    ledger_rollback(l);

    /* Everything is as it was. */
    expect_rule(l, &q, "unknown_application", "application_id: \"u-2\"");
    struct ev d = mk("review_decided", AG, "2019-04-02T10:00:00+08:00", "\"case_id\":\"u-c\",\"result\":\"upheld\"");
    expect_rule(l, &d, "unknown_case", "case_id: \"u-c\"");
    assert_int_equal(ledger_check(l, &rm, &err), 0);
    struct ev late = app_ev("application_received", "u-1", "2019-03-21T10:00:00+08:00", "\"applicant\":\"other_org\"");
    expect_rule(l, &late, "resolved_before_received", "occurred_at: receipt on 2019-03-21 would follow the answer of 2019-03-20");
    /* The entity's full state: seen through the change a new event records. */
    struct ev probe = app_ev("application_resolved", "u-1", "2019-03-20T10:00:00+08:00", "\"outcome\":\"disclosed\"");
    ledger_begin(l);
    struct ledger_change c = apply_ok(l, &probe);
    assert_int_equal(c.before.kind, ENT_APP);
    assert_int_equal(c.before.a, NATURAL_PERSON);
    assert_int_equal(c.before.b, 1);
    assert_int_equal(c.before.d[0], day_from_ymd(2019, 3, 10));
    assert_int_equal(c.before.d[1], day_from_ymd(2019, 3, 20));
    ledger_rollback(l);
    struct ev probe2 = mk("catalog_item_added", AG, "2019-01-01T10:00:00+08:00", "\"item_id\":\"u-i\",\"item_kind\":\"penalty\"");
    ledger_begin(l);
    c = apply_ok(l, &probe2);
    assert_int_equal(c.before.a, ITEM_PENALTY);
    assert_int_equal(c.before.d[0], day_from_ymd(2019, 1, 1));
    ledger_rollback(l);

    /* Commit keeps. */
    ledger_begin(l);
    received(l, AG, "u-3", "2019-03-11T10:00:00+08:00");
    ledger_commit(l);
    struct ev q3 = app_ev("application_resolved", "u-3", "2019-03-12T10:00:00+08:00", "\"outcome\":\"disclosed\"");
    assert_int_equal(ledger_check(l, &q3, &err), 0);
    /* A rollback after a commit undoes only what came after it. */
    ledger_begin(l);
    apply_ok(l, &q3);
    ledger_rollback(l);
    assert_int_equal(ledger_check(l, &q3, &err), 0);
    struct ev late3 = app_ev("application_received", "u-3", "2019-03-30T10:00:00+08:00", "\"applicant\":\"other_org\"");
    assert_int_equal(ledger_check(l, &late3, &err), 0); /* not resolved: nothing to follow */
    /* An empty transaction is fine. */
    ledger_begin(l);
    ledger_rollback(l);
    ledger_begin(l);
    ledger_commit(l);
    assert_true(ledger_entities(l) >= ents);
    ledger_destroy(&l);
}

/* Extension totals are state too: a rollback takes them back. */
static void test_undo_extensions(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    received(l, AG, "x-1", "2019-03-10T10:00:00+08:00");
    struct ev e15 = app_ev("extension_granted", "x-1", "2019-03-12T10:00:00+08:00", "\"working_days\":15");
    apply_ok(l, &e15);
    ledger_begin(l);
    struct ev e5 = app_ev("extension_granted", "x-1", "2019-03-13T10:00:00+08:00", "\"working_days\":5");
    apply_ok(l, &e5);
    struct ev e1 = app_ev("extension_granted", "x-1", "2019-03-14T10:00:00+08:00", "\"working_days\":1");
    expect_rule(l, &e1, "bad_value", "working_days: 1 more after 20");
    ledger_rollback(l);
    apply_ok(l, &e1); /* 15 + 1: the 5 is gone */
    expect_rule(l, &e5, "bad_value", "working_days: 5 more after 16");
    ledger_destroy(&l);
}

/* A checkpoint (ledger_save / ledger_load) carries the whole state. */
static void test_checkpoint(void **state)
{
    (void)state;
    struct ledger *l = ledger_new();
    received(l, AG, "k-1", "2019-03-10T10:00:00+08:00");
    received(l, "gz-b", "k-2", "2019-03-10T10:00:00+08:00");
    struct ev res = app_ev("application_resolved", "k-1", "2019-03-12T10:00:00+08:00", "\"outcome\":\"disclosed\"");
    apply_ok(l, &res);
    struct ev ext = app_ev("extension_granted", "k-1", "2019-03-11T10:00:00+08:00", "\"working_days\":18");
    apply_ok(l, &ext);
    struct ev item = mk("catalog_item_added", AG, "2019-01-01T10:00:00+08:00", "\"item_id\":\"k-i\",\"item_kind\":\"fee\"");
    apply_ok(l, &item);
    struct buf b = {0};
    ledger_save(l, &b);
    assert_true(b.len > 0);

    struct ledger *m = ledger_new();
    struct rd r = {(const unsigned char *)b.data, b.len, 1};
    assert_int_equal(ledger_load(m, &r), 0);
    assert_int_equal(ledger_entities(m), ledger_entities(l));
    assert_int_equal(ledger_agency_count(m), 2);
    assert_string_equal(ledger_agency_code(m, 1), "gz-b");
    struct ev late = app_ev("application_received", "k-1", "2019-03-13T10:00:00+08:00", "\"applicant\":\"other_org\"");
    expect_rule(m, &late, "resolved_before_received", "occurred_at: receipt on 2019-03-13 would follow the answer of 2019-03-12");
    struct ev more = app_ev("extension_granted", "k-1", "2019-03-12T10:00:00+08:00", "\"working_days\":3");
    expect_rule(m, &more, "bad_value", "working_days: 3 more after 18");
    struct ev rm = mk("catalog_item_removed", AG, "2019-02-01T10:00:00+08:00", "\"item_id\":\"k-i\",\"item_kind\":\"penalty\"");
    expect_rule(m, &rm, "unknown_item", "item_kind: item \"k-i\" is fee, not penalty");
    struct ev other = mk("application_resolved", "gz-b", "2019-03-12T10:00:00+08:00",
                         "\"application_id\":\"k-2\",\"outcome\":\"disclosed\"");
    struct ev_error err;
    assert_int_equal(ledger_check(m, &other, &err), 0);
    ledger_destroy(&m);

    /* Short or damaged bytes are refused. */
    for (size_t cut = 0; cut < b.len; cut += b.len / 7 + 1) {
        struct ledger *t = ledger_new();
        struct rd rc = {(const unsigned char *)b.data, cut, 1};
        assert_int_equal(ledger_load(t, &rc), -1);
        ledger_destroy(&t);
    }
    buf_free(&b);
    ledger_destroy(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_applications),
        cmocka_unit_test(test_beijing_days),
        cmocka_unit_test(test_timeliness),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_no_rules),
        cmocka_unit_test(test_sums_bounded),
        cmocka_unit_test(test_agencies),
        cmocka_unit_test(test_undo),
        cmocka_unit_test(test_undo_extensions),
        cmocka_unit_test(test_checkpoint),
    };
    return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
