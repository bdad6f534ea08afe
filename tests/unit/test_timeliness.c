/* test_timeliness — lib/timeliness.c: events folded per application, the
 * open list's order, state as of an earlier day, the year's statistics, and
 * the extension total under the 2007 rules (recorded in full, counted as 15).
 *
 * The calendar is built from a few rows here, so every figure below can be
 * counted by hand on a plain Monday-to-Friday week: 2025-03-03 is a Monday.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "day.h"
#include "jsonl.h"
#include "ledger.h"
#include "timeliness.h"

static int seq;

/* Applies one event, given as "type agency date key=value ..." in JSON. */
static void apply(struct tl *t, const char *type, const char *date, const char *fields)
{
    char line[512];
    struct ev e;
    struct ev_error err;
    snprintf(line, sizeof line,
             "{\"event_id\": \"e%d\", \"type\": \"%s\", \"agency\": \"ag\", "
             "\"occurred_at\": \"%sT10:00:00+08:00\", %s}",
             ++seq, type, date, fields);
    if (jsonl_parse(line, strlen(line), &e, &err) != 0)
        fail_msg("%s: %s %s", line, err.code, err.message);
    tl_apply(t, 0, &e);
}

static int32_t D(const char *s)
{
    int32_t d;
    assert_int_equal(day_parse_date(s, &d), 0);
    return d;
}

static struct calendar *cal(void)
{
    struct calendar *c = calendar_new();
    char err[200];
    /* A made-up notice for 2025 with Friday 3/14 off: enough to show the
     * calendar is used, and the year is loaded (nothing provisional). */
    assert_int_equal(calendar_load_csv(c, "2025-03-14,off,x\n", err, sizeof err), 0);
    return c;
}

static void test_open_list_order_and_as_of(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    struct calendar *c = cal();
    bool want[1] = {true};
    struct tl_scope sc = {want, 1};
    struct tl_open *v;
    size_t bad;

    apply(t, "application_received", "2025-03-03", "\"application_id\": \"a\", \"applicant\": \"natural_person\"");
    apply(t, "application_received", "2025-03-04", "\"application_id\": \"b\", \"applicant\": \"other_org\"");
    apply(t, "supplement_requested", "2025-03-05", "\"application_id\": \"b\"");
    apply(t, "application_received", "2025-03-05", "\"application_id\": \"c\", \"applicant\": \"natural_person\"");
    apply(t, "deadline_set", "2025-03-06", "\"application_id\": \"c\", \"due\": \"2025-03-20\"");
    apply(t, "application_resolved", "2025-03-10", "\"application_id\": \"a\", \"outcome\": \"disclosed\"");

    /* As of 3/7: a due 4/1 (20 days after 3/3 with 3/14 off: 3/4-7 (4),
     * 3/10-13 (8), 3/17-21 (13), 3/24-28 (18), 3/31 (19), 4/1 (20)), c due
     * 3/20 (article 35), b stopped. */
    size_t n = tl_open_list(t, c, sc, D("2025-03-07"), &v, &bad);
    assert_int_equal(n, 3);
    assert_int_equal(bad, 0);
    assert_string_equal(v[0].id, "c");
    assert_int_equal(v[0].due, D("2025-03-20"));
    assert_string_equal(v[1].id, "a");
    assert_int_equal(v[1].due, D("2025-04-01"));
    assert_false(v[1].provisional);
    assert_string_equal(v[2].id, "b");
    assert_int_equal(v[2].state, DL_AWAITING_SUPPLEMENT);
    assert_int_equal(v[2].due, CAL_DAY_NONE);
    free(v);

    /* As of 3/10, a is answered; as of 3/4, c is not received and b is running. */
    n = tl_open_list(t, c, sc, D("2025-03-10"), &v, &bad);
    assert_int_equal(n, 2);
    free(v);
    n = tl_open_list(t, c, sc, D("2025-03-04"), &v, &bad);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].id, "a");
    assert_string_equal(v[1].id, "b");
    assert_int_equal(v[1].state, DL_RUNNING);
    free(v);

    /* Another agency's scope sees nothing. */
    bool none[1] = {false};
    n = tl_open_list(t, c, (struct tl_scope){none, 1}, D("2025-03-07"), &v, &bad);
    assert_int_equal(n, 0);
    free(v);

    uint64_t open[1], overdue[1];
    tl_open_counts(t, c, D("2025-04-01"), 1, open, overdue);
    assert_int_equal(open[0], 2); /* b stopped, c past 3/20 */
    assert_int_equal(overdue[0], 1);
    tl_destroy(&t);
    calendar_destroy(&c);
}

static void test_year_stats(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    struct calendar *c = cal();
    bool want[1] = {true};
    struct tl_year y;

    /* x: on the spot. y: 5 days (3/4-3/7, 3/10). z: received 3/3, 3/4 in
     * consultation, 3/14 off: 3/5-7 (3), 3/10-13 (7), 3/17-21 (12), 3/24-28
     * (17), 3/31 (18), 4/1 (19), 4/2 (20) → due 4/2; answered 4/3 → late, 21
     * days. w: open at the cut-off (2024 has no notice here: provisional). */
    apply(t, "application_received", "2025-03-03", "\"application_id\": \"x\", \"applicant\": \"natural_person\"");
    apply(t, "application_resolved", "2025-03-03", "\"application_id\": \"x\", \"outcome\": \"disclosed\"");
    apply(t, "application_received", "2025-03-03", "\"application_id\": \"y\", \"applicant\": \"natural_person\"");
    apply(t, "application_resolved", "2025-03-10", "\"application_id\": \"y\", \"outcome\": \"disclosed\"");
    apply(t, "application_received", "2025-03-03", "\"application_id\": \"z\", \"applicant\": \"natural_person\"");
    apply(t, "consultation_started", "2025-03-04", "\"application_id\": \"z\", \"consultation_id\": \"k\"");
    apply(t, "consultation_ended", "2025-03-04", "\"application_id\": \"z\", \"consultation_id\": \"k\"");
    apply(t, "application_resolved", "2025-04-03", "\"application_id\": \"z\", \"outcome\": \"disclosed\"");
    apply(t, "application_received", "2024-06-03", "\"application_id\": \"w\", \"applicant\": \"natural_person\"");

    tl_year_stats(t, c, (struct tl_scope){want, 1}, 2025, D("2026-01-10"), &y);
    assert_int_equal(y.cutoff, D("2025-12-31"));
    assert_int_equal(y.answered, 3);
    assert_int_equal(y.on_the_spot, 1);
    assert_int_equal(y.on_time, 1);
    assert_int_equal(y.late, 1);
    assert_int_equal(y.max_days, 21);
    assert_true(y.median_days == 5.0);
    assert_true(y.mean_days > 8.66 && y.mean_days < 8.67);
    assert_int_equal(y.consulted, 1);
    assert_int_equal(y.consultations, 1);
    assert_int_equal(y.open, 1);
    assert_int_equal(y.overdue, 1);
    assert_int_equal(y.noldest, 1);
    assert_string_equal(y.oldest[0].id, "w");

    /* A year not begun yet: nothing, no cut-off. */
    tl_year_stats(t, c, (struct tl_scope){want, 1}, 2030, D("2026-01-10"), &y);
    assert_int_equal(y.cutoff, CAL_DAY_NONE);
    assert_int_equal(y.answered + y.open, 0);
    tl_destroy(&t);
    calendar_destroy(&c);
}

static void test_extensions_add_up_and_2007_cap(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    struct calendar *c = calendar_new();
    bool want[1] = {true};
    struct tl_open *v;
    size_t bad;

    /* Received 2019-03-04 (2007 rules): 15 + 10 + 8 granted = 18 recorded,
     * counted as 15 → limit 30. Provisional: no 2019 notice loaded here. */
    apply(t, "application_received", "2019-03-04", "\"application_id\": \"o\", \"applicant\": \"natural_person\"");
    apply(t, "extension_granted", "2019-03-05", "\"application_id\": \"o\", \"working_days\": 10");
    apply(t, "extension_granted", "2019-03-06", "\"application_id\": \"o\", \"working_days\": 8");
    size_t n = tl_open_list(t, c, (struct tl_scope){want, 1}, D("2019-03-07"), &v, &bad);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].limit, 30);
    assert_true(v[0].provisional);
    free(v);
    /* As of 3/5 only the first grant had happened. */
    n = tl_open_list(t, c, (struct tl_scope){want, 1}, D("2019-03-05"), &v, &bad);
    assert_int_equal(v[0].limit, 25);
    free(v);
    tl_destroy(&t);
    calendar_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_list_order_and_as_of),
        cmocka_unit_test(test_year_stats),
        cmocka_unit_test(test_extensions_add_up_and_2007_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
