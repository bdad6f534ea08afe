/* test_deadline — the due-date rules of spec/timeliness.md, one per test.
 *
 * Run from the repository root (it reads data/cn-workdays.csv). Every
 * expected date below was counted by hand against that file; the comments
 * show the count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "calendar.h"
#include "deadline.h"

/* The project's calendar, or NULL with a message on stderr. */
static struct calendar *project_calendar(void)
{
    struct calendar *c = calendar_new();
    char *text = buf_read_file("data/cn-workdays.csv", NULL);
    char err[256];

    if (text == NULL) {
        fprintf(stderr, "cannot read data/cn-workdays.csv (run from the repository root)\n");
        calendar_destroy(&c);
        return NULL;
    }
    if (calendar_load_csv(c, text, err, sizeof err) != 0) {
        fprintf(stderr, "data/cn-workdays.csv: %s\n", err);
        calendar_destroy(&c);
    }
    free(text);
    return c;
}

/* One shared, read-only calendar for the group; a test that loads more
 * data makes its own. */
static int setup(void **state)
{
    *state = project_calendar();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    struct calendar *c = *state;

    calendar_destroy(&c);
    return 0;
}

static int32_t D(const char *s)
{
    int32_t day;

    if (cal_parse_date(s, &day) != 0)
        fail_msg("bad date in test: %s", s);
    return day;
}

/* deadline_compute that must succeed. */
static struct dl_result compute(const struct calendar *c, const struct dl_timeline *t,
                                const char *today)
{
    struct dl_result r;
    char err[256];

    memset(&r, 0xA5, sizeof r); /* no field may be left unset */
    if (deadline_compute(c, t, D(today), &r, err, sizeof err) != 0)
        fail_msg("deadline_compute: %s", err);
    return r;
}

static void assert_day(int32_t got, const char *want)
{
    char buf[CAL_DATE_LEN];

    if (got == CAL_DAY_NONE)
        fail_msg("got no day, want %s", want);
    assert_string_equal(cal_format_date(got, buf), want);
}

/* ---- the plain case ---------------------------------------------------- */

static void test_running_and_overdue(void **state)
{
    const struct calendar *c = *state;
    struct dl_timeline t;
    struct dl_result r;

    /* 2024-09-27 + 20, the first shared vector: 2024-10-30. */
    dl_timeline_init(&t, D("2024-09-27"));
    r = compute(c, &t, "2024-10-08");
    assert_int_equal(r.state, DL_RUNNING);
    assert_int_equal(r.outcome, DL_OPEN);
    assert_int_equal(r.limit, 20);
    assert_false(r.rules_2007);
    assert_day(r.due, "2024-10-30");
    assert_false(r.provisional);
    /* 9-29 (补班), 9-30, 10-8: 3 used, 17 left. */
    assert_int_equal(r.elapsed, 3);
    assert_int_equal(r.left, 17);
    assert_false(r.overdue);
    assert_string_equal(dl_state_name(r.state), "running");

    /* On the due day: 0 left, not overdue. */
    r = compute(c, &t, "2024-10-30");
    assert_int_equal(r.left, 0);
    assert_false(r.overdue);
    /* 10-31, 11-1, 11-4: 3 working days overdue. */
    r = compute(c, &t, "2024-11-04");
    assert_int_equal(r.left, -3);
    assert_int_equal(r.elapsed, 23);
    assert_true(r.overdue);

    /* Answered on the due day: on time; the next working day: late. */
    t.answered = D("2024-10-30");
    r = compute(c, &t, "2024-12-31");
    assert_int_equal(r.state, DL_ANSWERED);
    assert_int_equal(r.outcome, DL_ON_TIME);
    assert_int_equal(r.taken, 20);
    t.answered = D("2024-10-31");
    r = compute(c, &t, "2024-12-31");
    assert_int_equal(r.outcome, DL_LATE);
    assert_int_equal(r.taken, 21);
    assert_string_equal(dl_outcome_name(r.outcome), "late");
    assert_false(r.overdue); /* overdue is for open applications */
}

/* ---- consultations ----------------------------------------------------- */

/* R = 2024-09-20 (Fri). Consultation 9-27 ... 10-10 spans 国庆节: of its 14
 * days only 6 are working days (9-27, 9-29 补班, 9-30, 10-8, 10-9, 10-10),
 * so the due date moves by 6 working days, not by 14 calendar days.
 * Without it: 9-23..27 (5), 9-29 (6), 9-30 (7), 10-8..11 (11), 10-12 补班
 * (12), 10-14..18 (17), 10-21..23 (20) = 2024-10-23.
 * With it: 9-23..26 (4), 10-11 (5), 10-12 (6), 10-14..18 (11), 10-21..25
 * (16), 10-28..31 (20) = 2024-10-31. */
static void test_pause_spanning_holiday(void **state)
{
    const struct calendar *c = *state;
    struct dl_consultation k = {D("2024-09-27"), CAL_DAY_NONE};
    struct dl_timeline t;
    struct dl_result r;

    dl_timeline_init(&t, D("2024-09-20"));
    assert_day(compute(c, &t, "2024-09-20").due, "2024-10-23");

    /* Open: no due date yet; the clock stood at 4 when it began. */
    t.consultations = &k;
    t.n_consultations = 1;
    r = compute(c, &t, "2024-10-08");
    assert_int_equal(r.state, DL_IN_CONSULTATION);
    assert_string_equal(dl_state_name(r.state), "in_consultation");
    assert_int_equal(r.due, CAL_DAY_NONE);
    assert_false(r.overdue);
    assert_int_equal(r.elapsed, 4);

    /* Ended: both end days paused. */
    k.ended = D("2024-10-10");
    r = compute(c, &t, "2024-10-14");
    assert_int_equal(r.state, DL_RUNNING);
    assert_day(r.due, "2024-10-31");
    assert_int_equal(r.elapsed, 7); /* 9-23..26, 10-11, 10-12, 10-14 */
    assert_int_equal(r.left, 13);

    /* Answered during a consultation still open: on time, the clock was
     * stopped; the pause ends with the answer. */
    k.ended = CAL_DAY_NONE;
    t.answered = D("2024-11-15");
    r = compute(c, &t, "2024-12-31");
    assert_int_equal(r.outcome, DL_ON_TIME);
    assert_int_equal(r.taken, 4);
}

/* R = 2025-03-03 (Mon). Consultations 3-10..3-14 and 3-12..3-20 overlap:
 * merged, 3-10..3-20 (9 working days) is paused once, not 3-12..3-14
 * twice. 3-4..7 (4), 3-21 (5), 3-24..28 (10), 3-31..4-3 (14), 4-4 清明 off,
 * 4-7..11 (19), 4-14 (20) = 2025-04-14. */
static void test_overlapping_consultations(void **state)
{
    const struct calendar *c = *state;
    struct dl_consultation k[2] = {
        {D("2025-03-12"), D("2025-03-20")}, /* listed out of order on purpose */
        {D("2025-03-10"), D("2025-03-14")},
    };
    struct dl_consultation single = {D("2025-03-10"), D("2025-03-20")};
    struct dl_timeline t;
    struct dl_result r;

    dl_timeline_init(&t, D("2025-03-03"));
    assert_day(compute(c, &t, "2025-03-03").due, "2025-03-31");

    t.consultations = k;
    t.n_consultations = 2;
    r = compute(c, &t, "2025-03-24");
    assert_day(r.due, "2025-04-14");
    assert_int_equal(r.elapsed, 6); /* 3-4..7, 3-21, 3-24 */
    assert_int_equal(r.left, 14);

    t.consultations = &single;
    t.n_consultations = 1;
    assert_day(compute(c, &t, "2025-03-24").due, "2025-04-14");

    /* One ended, the other still open: in consultation, no due date. */
    k[0].ended = CAL_DAY_NONE;
    t.consultations = k;
    t.n_consultations = 2;
    r = compute(c, &t, "2025-03-24");
    assert_int_equal(r.state, DL_IN_CONSULTATION);
    assert_int_equal(r.due, CAL_DAY_NONE);
    assert_int_equal(r.elapsed, 4);
}

/* A consultation begun after the limit had run out cannot save it: the due
 * date is known, and passed. */
static void test_consultation_after_due(void **state)
{
    const struct calendar *c = *state;
    struct dl_consultation k = {D("2025-04-01"), CAL_DAY_NONE};
    struct dl_timeline t;
    struct dl_result r;

    dl_timeline_init(&t, D("2025-03-03"));
    t.consultations = &k;
    t.n_consultations = 1;
    r = compute(c, &t, "2025-04-02");
    assert_int_equal(r.state, DL_IN_CONSULTATION);
    assert_day(r.due, "2025-03-31");
    assert_true(r.overdue);
    assert_int_equal(r.left, -2); /* 4-1, 4-2: the pause came too late */
    assert_int_equal(r.elapsed, 22);

    t.answered = D("2025-04-03");
    r = compute(c, &t, "2025-04-03");
    assert_int_equal(r.outcome, DL_LATE);
    assert_int_equal(r.taken, 23);
}

/* ---- 补正 --------------------------------------------------------------- */

/* R = 2025-06-03 (Tue). The notice is due 7 working days later: 6-4, 6-5,
 * 6-6, 6-9..12 = 2025-06-12. Sent on 6-16 it is late. The corrected
 * application arrives 6-20 (Fri): 20 in full from there, 6-23..27 (5),
 * 6-30..7-4 (10), 7-7..11 (15), 7-14..18 (20) = 2025-07-18. */
static void test_supplement_requested_late(void **state)
{
    const struct calendar *c = *state;
    struct dl_timeline t;
    struct dl_result r;

    dl_timeline_init(&t, D("2025-06-03"));
    t.supplement_requested = D("2025-06-16");
    r = compute(c, &t, "2025-06-18");
    assert_int_equal(r.state, DL_AWAITING_SUPPLEMENT);
    assert_string_equal(dl_state_name(r.state), "awaiting_supplement");
    assert_day(r.supplement_notice_due, "2025-06-12");
    assert_true(r.supplement_late);
    assert_int_equal(r.due, CAL_DAY_NONE); /* the clock is stopped */
    assert_false(r.overdue);
    assert_int_equal(r.elapsed, 9);        /* frozen at the notice */

    t.supplement_received = D("2025-06-20");
    r = compute(c, &t, "2025-06-23");
    assert_int_equal(r.state, DL_RUNNING);
    assert_day(r.clock_start, "2025-06-20");
    assert_day(r.due, "2025-07-18");
    assert_int_equal(r.elapsed, 1);
    assert_int_equal(r.left, 19);
    assert_true(r.supplement_late); /* still reported */

    /* Sent on the 7th working day: on time. */
    t.supplement_requested = D("2025-06-12");
    assert_false(compute(c, &t, "2025-06-23").supplement_late);

    /* Never corrected, closed (视为放弃申请): not late, the clock stood. */
    t.supplement_received = CAL_DAY_NONE;
    t.answered = D("2025-08-29");
    r = compute(c, &t, "2025-09-01");
    assert_int_equal(r.outcome, DL_ON_TIME);
    assert_int_equal(r.taken, 7);
}

/* ---- extensions -------------------------------------------------------- */

static void test_extension_20_then_21_rejected(void **state)
{
    const struct calendar *c = *state;
    struct dl_timeline t;
    struct dl_result r;
    char err[256] = "";
    int32_t R = D("2024-09-27");

    assert_int_equal(deadline_check_extension(R, 0, 20, err, sizeof err), 0);
    assert_int_equal(deadline_check_extension(R, 20, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "working_days: 1 more after 20 already granted makes 21"));
    assert_int_equal(deadline_check_extension(R, 10, 10, err, sizeof err), 0);
    assert_int_equal(deadline_check_extension(R, 0, 21, err, sizeof err), -1);
    assert_non_null(strstr(err, "working_days: 21 is not in 1-20"));
    assert_int_equal(deadline_check_extension(R, 0, 0, err, sizeof err), -1);

    /* 20 + 20: the shared vector 2024-09-27 + 40 = 2024-11-27. */
    dl_timeline_init(&t, R);
    t.extension_days = 20;
    r = compute(c, &t, "2024-11-01");
    assert_int_equal(r.limit, 40);
    assert_day(r.due, "2024-11-27");

    /* A timeline holding 21 is inconsistent, not computed. */
    t.extension_days = 21;
    assert_int_equal(deadline_compute(c, &t, D("2024-11-01"), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "extension_days: 21"));
}

/* ---- the 2007 Regulations ---------------------------------------------- */

/* R = 2019-04-25 (Thu), before 2019-05-15: 15 working days. 4-26 (1), 4-28
 * 补班 (2), 4-29, 4-30 (4), 5-1..4 off, 5-5 补班 (5), 5-6..10 (10),
 * 5-13..17 (15) = 2019-05-17 (the 20-day vector gives 2019-05-24). */
static void test_received_before_2019_05_15(void **state)
{
    const struct calendar *c = *state;
    struct dl_timeline t;
    struct dl_result r;
    char err[256];

    dl_timeline_init(&t, D("2019-04-25"));
    r = compute(c, &t, "2019-04-26");
    assert_true(r.rules_2007);
    assert_int_equal(r.limit, 15);
    assert_day(r.due, "2019-05-17");

    /* Extendable by 15, not 20. */
    assert_int_equal(deadline_extension_max(t.received), 15);
    assert_int_equal(deadline_check_extension(t.received, 0, 15, err, sizeof err), 0);
    assert_int_equal(deadline_check_extension(t.received, 15, 1, err, sizeof err), -1);
    assert_int_equal(deadline_check_extension(t.received, 0, 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "2007 Regulations"));
    t.extension_days = 15;
    assert_day(compute(c, &t, "2019-04-26").due, "2019-06-10");

    /* No 7-day 补正 notice rule before 2019. */
    t.extension_days = 0;
    t.supplement_requested = D("2019-05-13");
    r = compute(c, &t, "2019-05-13");
    assert_int_equal(r.supplement_notice_due, CAL_DAY_NONE);
    assert_false(r.supplement_late);

    /* The boundary: 5-14 is under the 2007 rules, 5-15 under the 2019. */
    dl_timeline_init(&t, D("2019-05-14"));
    assert_int_equal(compute(c, &t, "2019-05-15").limit, 15);
    dl_timeline_init(&t, D("2019-05-15"));
    assert_int_equal(compute(c, &t, "2019-05-15").limit, 20);
    assert_int_equal(deadline_extension_max(t.received), 20);
}

/* ---- article 35 -------------------------------------------------------- */

static void test_article_35_date(void **state)
{
    const struct calendar *c = *state;
    struct dl_consultation k = {D("2025-03-10"), CAL_DAY_NONE};
    struct dl_timeline t;
    struct dl_result r;

    dl_timeline_init(&t, D("2025-03-03"));
    t.deadline_set = D("2025-05-30");
    t.consultations = &k;
    t.n_consultations = 1;
    r = compute(c, &t, "2025-03-14");
    /* The date stands, consultation or not. Working days to it:
     * 3-17..31 (11), April 22 with 4-27 补班 and without 4-4, May 19
     * without 5-1, 5-2, 5-5 = 52. */
    assert_int_equal(r.state, DL_IN_CONSULTATION);
    assert_day(r.due, "2025-05-30");
    assert_false(r.provisional);
    assert_int_equal(r.left, 52);

    t.consultations = NULL;
    t.n_consultations = 0;
    t.answered = D("2025-05-30");
    assert_int_equal(compute(c, &t, "2025-06-30").outcome, DL_ON_TIME);
    t.answered = D("2025-06-03");
    assert_int_equal(compute(c, &t, "2025-06-30").outcome, DL_LATE);

    /* Past the calendar, a set date is still a date, not provisional. */
    t.answered = CAL_DAY_NONE;
    t.deadline_set = D("2027-03-01");
    r = compute(c, &t, "2025-06-30");
    assert_day(r.due, "2027-03-01");
    assert_false(r.provisional);
}

/* ---- on the spot ------------------------------------------------------- */

static void test_on_the_spot(void **state)
{
    const struct calendar *c = *state;
    struct dl_timeline t;
    struct dl_result r;

    dl_timeline_init(&t, D("2025-03-03"));
    t.answered = D("2025-03-03");
    r = compute(c, &t, "2025-03-03");
    assert_int_equal(r.state, DL_ANSWERED);
    assert_int_equal(r.outcome, DL_ON_THE_SPOT);
    assert_string_equal(dl_outcome_name(r.outcome), "on_the_spot");
    assert_int_equal(r.taken, 0);

    /* The next day is merely on time. */
    t.answered = D("2025-03-04");
    r = compute(c, &t, "2025-03-04");
    assert_int_equal(r.outcome, DL_ON_TIME);
    assert_int_equal(r.taken, 1);
}

/* ---- past the calendar ------------------------------------------------- */

/* R = 2026-12-10. By the fallback: 12-11 (1), 12-14..18 (6), 12-21..25
 * (11), 12-28..31 (15), 1-1 off, 1-4..8 (20) = 2027-01-08, provisional.
 * A (fictional) 2027 notice making 12-31 to 1-3 days off fixes it at
 * 12-28..30 (14), 1-4..8 (19), 1-11 (20) = 2027-01-11. */
static void test_provisional_then_fixed(void **state)
{
    struct calendar *c = project_calendar();
    struct dl_timeline t;
    struct dl_result r;
    char err[256];

    (void)state;
    assert_non_null(c);
    dl_timeline_init(&t, D("2026-12-10"));
    r = compute(c, &t, "2026-12-10");
    assert_day(r.due, "2027-01-08");
    assert_true(r.provisional);

    assert_int_equal(calendar_load_csv(c, "date,kind,holiday\n2026-12-31,off,元旦\n"
                                          "2027-01-01,off,元旦\n2027-01-02,off,元旦\n"
                                          "2027-01-03,off,元旦\n",
                                       err, sizeof err),
                     0);
    r = compute(c, &t, "2026-12-10");
    assert_day(r.due, "2027-01-11");
    assert_false(r.provisional);
    calendar_destroy(&c);
}

/* ---- inconsistent timelines -------------------------------------------- */

static void expect_error(const struct calendar *c, const struct dl_timeline *t,
                         const char *want)
{
    struct dl_result r;
    char err[256] = "";

    assert_int_equal(deadline_compute(c, t, D("2025-12-31"), &r, err, sizeof err), -1);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void test_inconsistent_timelines(void **state)
{
    const struct calendar *c = *state;
    struct dl_consultation k = {D("2025-03-10"), D("2025-03-07")};
    struct dl_timeline t;

    dl_timeline_init(&t, CAL_DAY_NONE);
    expect_error(c, &t, "received: missing");

    dl_timeline_init(&t, D("2025-03-03"));
    t.answered = D("2025-03-01");
    expect_error(c, &t, "answered: 2025-03-01 is before the receipt date 2025-03-03");

    dl_timeline_init(&t, D("2025-03-03"));
    t.supplement_received = D("2025-03-05");
    expect_error(c, &t, "supplement_received: 2025-03-05 but no supplement was requested");
    t.supplement_requested = D("2025-03-06");
    expect_error(c, &t, "supplement_received: 2025-03-05 is before the request of 2025-03-06");

    dl_timeline_init(&t, D("2025-03-03"));
    t.consultations = &k;
    t.n_consultations = 1;
    expect_error(c, &t, "consultations[0].ended: 2025-03-07 is before its start 2025-03-10");
    k.started = D("2025-02-28");
    k.ended = CAL_DAY_NONE;
    expect_error(c, &t, "consultations[0].started: 2025-02-28 is before the receipt date");

    dl_timeline_init(&t, D("2025-03-03"));
    t.extension_days = -1;
    expect_error(c, &t, "extension_days: -1 is not in 0-20");
}

/* Many consultations take the heap path; merged they are one pause. */
static void test_many_consultations(void **state)
{
    const struct calendar *c = *state;
    struct dl_consultation k[40];
    struct dl_timeline t;

    for (int i = 0; i < 40; i++) {
        k[i].started = D("2025-03-10") + i % 11;
        k[i].ended = D("2025-03-20");
    }
    dl_timeline_init(&t, D("2025-03-03"));
    t.consultations = k;
    t.n_consultations = 40;
    assert_day(compute(c, &t, "2025-03-24").due, "2025-04-14");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_and_overdue),
        cmocka_unit_test(test_pause_spanning_holiday),
        cmocka_unit_test(test_overlapping_consultations),
        cmocka_unit_test(test_consultation_after_due),
        cmocka_unit_test(test_supplement_requested_late),
        cmocka_unit_test(test_extension_20_then_21_rejected),
        cmocka_unit_test(test_received_before_2019_05_15),
        cmocka_unit_test(test_article_35_date),
        cmocka_unit_test(test_on_the_spot),
        cmocka_unit_test(test_provisional_then_fixed),
        cmocka_unit_test(test_inconsistent_timelines),
        cmocka_unit_test(test_many_consultations),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
