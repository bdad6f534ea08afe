/* test_timeliness — lib/rules/timeliness.c: events folded per application, the
 * open list's order, state as of an earlier day, the year's statistics, and
 * the extension total under the 2007 rules (recorded in full, counted as 15),
 * and the checkpoint's round trip (tl_save, tl_load).
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

#include "buf.h"
#include "calendar.h"
#include "day.h"
#include "jsonl.h"
#include "ledger.h"
#include "timeliness.h"

static int seq;

/* Applies one event of agency id ag (code "agN"), given as its type, date
 * and the rest of its fields in JSON. */
static void apply_ag(struct tl *t, uint32_t ag, const char *type, const char *date,
                     const char *fields)
{
    char line[512];
    struct ev e;
    struct ev_error err;
    snprintf(line, sizeof line,
             "{\"event_id\": \"e%d\", \"type\": \"%s\", \"agency\": \"ag%u\", "
             "\"occurred_at\": \"%sT10:00:00+08:00\", %s}",
             ++seq, type, ag, date, fields);
    if (jsonl_parse(line, strlen(line), &e, &err) != 0)
        fail_msg("%s: %s %s", line, err.code, err.message);
    tl_apply(t, ag, &e);
}

static void apply(struct tl *t, const char *type, const char *date, const char *fields)
{
    apply_ag(t, 0, type, date, fields);
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

/* ---- checkpoint round trip ------------------------------------------------ */

static void assert_same_open(const struct tl_open *a, const struct tl_open *b)
{
    assert_string_equal(a->id, b->id);
    assert_int_equal(a->agency, b->agency);
    assert_int_equal(a->applicant, b->applicant);
    assert_int_equal(a->received, b->received);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->due, b->due);
    assert_int_equal(a->left, b->left);
    assert_int_equal(a->elapsed, b->elapsed);
    assert_int_equal(a->limit, b->limit);
    assert_int_equal(a->provisional, b->provisional);
    assert_int_equal(a->overdue, b->overdue);
}

/* a and b give the same figures: open lists and counts every day from
 * 2024-11-25 to 2026-01-10, and the statistics of 2024 to 2026. Returns how
 * many applications were open, summed over the days (so a caller can tell
 * the comparison was not of two empty stores). */
static size_t assert_same_figures(const struct tl *a, const struct tl *b, const struct calendar *c)
{
    bool want[2] = {true, true};
    struct tl_scope sc = {want, 2};
    size_t total = 0;
    for (int32_t d = D("2024-11-25"); d <= D("2026-01-10"); d++) {
        struct tl_open *va, *vb;
        size_t bada, badb;
        size_t na = tl_open_list(a, c, sc, d, &va, &bada);
        size_t nb = tl_open_list(b, c, sc, d, &vb, &badb);
        assert_int_equal(na, nb);
        assert_int_equal(bada, badb);
        for (size_t i = 0; i < na; i++)
            assert_same_open(&va[i], &vb[i]);
        total += na;
        free(va), free(vb);
        uint64_t oa[2], ova[2], ob[2], ovb[2];
        tl_open_counts(a, c, d, 2, oa, ova);
        tl_open_counts(b, c, d, 2, ob, ovb);
        assert_memory_equal(oa, ob, sizeof oa);
        assert_memory_equal(ova, ovb, sizeof ova);
    }
    for (int year = 2024; year <= 2026; year++) {
        struct tl_year ya, yb;
        tl_year_stats(a, c, sc, year, D("2026-01-10"), &ya);
        tl_year_stats(b, c, sc, year, D("2026-01-10"), &yb);
        assert_int_equal(ya.cutoff, yb.cutoff);
        assert_int_equal(ya.answered, yb.answered);
        assert_int_equal(ya.on_the_spot, yb.on_the_spot);
        assert_int_equal(ya.on_time, yb.on_time);
        assert_int_equal(ya.late, yb.late);
        assert_true(ya.median_days == yb.median_days);
        assert_true(ya.mean_days == yb.mean_days);
        assert_int_equal(ya.max_days, yb.max_days);
        assert_int_equal(ya.extended, yb.extended);
        assert_int_equal(ya.extension_days, yb.extension_days);
        assert_int_equal(ya.supplement_requested, yb.supplement_requested);
        assert_int_equal(ya.supplement_late, yb.supplement_late);
        assert_int_equal(ya.consulted, yb.consulted);
        assert_int_equal(ya.consultations, yb.consultations);
        assert_int_equal(ya.open, yb.open);
        assert_int_equal(ya.overdue, yb.overdue);
        assert_int_equal(ya.inconsistent, yb.inconsistent);
        assert_int_equal(ya.noldest, yb.noldest);
        for (size_t i = 0; i < ya.noldest; i++)
            assert_same_open(&ya.oldest[i], &yb.oldest[i]);
    }
    return total;
}

/* Copies (tl_copy) give the figures of the store they were taken from, for
 * the day they were taken for: open lists and counts on every seventh day,
 * each year's statistics; and a copy of one agency holds that agency only. */
static void assert_copies_agree(const struct tl *t, const struct calendar *c)
{
    bool want[2] = {true, true}, first[2] = {true, false};
    struct tl_scope sc = {want, 2};
    for (int32_t d = D("2024-11-25"); d <= D("2026-01-10"); d += 7) {
        struct tl *k = tl_copy(t, (struct tl_scope){NULL, 0}, d + 1, d);
        struct tl_open *va, *vb;
        size_t bada, badb;
        size_t na = tl_open_list(t, c, sc, d, &va, &bada);
        size_t nb = tl_open_list(k, c, sc, d, &vb, &badb);
        assert_int_equal(na, nb);
        assert_int_equal(bada, badb);
        assert_int_equal(tl_applications(k), na + bada);
        for (size_t i = 0; i < na; i++)
            assert_same_open(&va[i], &vb[i]);
        free(va), free(vb);
        uint64_t oa[2], ova[2], ob[2], ovb[2];
        tl_open_counts(t, c, d, 2, oa, ova);
        tl_open_counts(k, c, d, 2, ob, ovb);
        assert_memory_equal(oa, ob, sizeof oa);
        assert_memory_equal(ova, ovb, sizeof ova);
        tl_destroy(&k);
        k = tl_copy(t, (struct tl_scope){first, 2}, d + 1, d);
        nb = tl_open_list(k, c, sc, d, &vb, &badb);
        for (size_t i = 0; i < nb; i++)
            assert_int_equal(vb[i].agency, 0);
        assert_int_equal(nb, oa[0]);
        free(vb);
        tl_destroy(&k);
    }
    for (int year = 2024; year <= 2026; year++) {
        int32_t cutoff = D("2026-01-10") < day_from_ymd(year, 12, 31) ? D("2026-01-10")
                                                                      : day_from_ymd(year, 12, 31);
        struct tl *k = tl_copy(t, sc, day_from_ymd(year, 1, 1), cutoff);
        struct tl_year ya, yb;
        tl_year_stats(t, c, sc, year, D("2026-01-10"), &ya);
        tl_year_stats(k, c, sc, year, D("2026-01-10"), &yb);
        assert_int_equal(ya.answered, yb.answered);
        assert_int_equal(ya.on_time, yb.on_time);
        assert_int_equal(ya.late, yb.late);
        assert_true(ya.median_days == yb.median_days);
        assert_int_equal(ya.extended, yb.extended);
        assert_int_equal(ya.extension_days, yb.extension_days);
        assert_int_equal(ya.consultations, yb.consultations);
        assert_int_equal(ya.open, yb.open);
        assert_int_equal(ya.overdue, yb.overdue);
        assert_int_equal(ya.noldest, yb.noldest);
        for (size_t i = 0; i < ya.noldest; i++)
            assert_same_open(&ya.oldest[i], &yb.oldest[i]);
        tl_destroy(&k);
    }
}

/* A copy of t through its checkpoint bytes. */
static struct tl *round_trip(const struct tl *t, struct buf *bytes)
{
    buf_reset(bytes);
    tl_save(t, bytes);
    struct tl *u = tl_new();
    struct rd in = {(const unsigned char *)bytes->data, bytes->len, 1};
    assert_int_equal(tl_load(u, &in), 0);
    assert_int_equal(in.left, 0);
    assert_int_equal(tl_applications(u), tl_applications(t));
    /* Loaded to size: never more memory than the store it was saved from. */
    assert_true(tl_bytes(u) <= tl_bytes(t));
    return u;
}

static void test_checkpoint_round_trip(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    struct calendar *c = cal();
    struct buf bytes = {0};

    /* An empty store. */
    struct tl *u = round_trip(t, &bytes);
    assert_int_equal(tl_applications(u), 0);
    tl_destroy(&u);

    /* Every kind of timeliness event, over two agencies, with one id in both
     * (the open list tells them apart by agency) and enough applications for
     * the map and the id arena to grow. */
    apply_ag(t, 0, "application_received", "2025-03-03", "\"application_id\": \"a\", \"applicant\": \"natural_person\"");
    apply_ag(t, 0, "extension_granted", "2025-03-05", "\"application_id\": \"a\", \"working_days\": 10");
    apply_ag(t, 0, "extension_granted", "2025-03-10", "\"application_id\": \"a\", \"working_days\": 5");
    apply_ag(t, 0, "application_resolved", "2025-04-20", "\"application_id\": \"a\", \"outcome\": \"disclosed\"");
    apply_ag(t, 0, "application_received", "2025-03-04", "\"application_id\": \"b\", \"applicant\": \"other_org\"");
    apply_ag(t, 0, "supplement_requested", "2025-03-05", "\"application_id\": \"b\"");
    apply_ag(t, 0, "supplement_received", "2025-03-12", "\"application_id\": \"b\"");
    apply_ag(t, 0, "application_received", "2025-03-05", "\"application_id\": \"c\", \"applicant\": \"natural_person\"");
    apply_ag(t, 0, "deadline_set", "2025-03-06", "\"application_id\": \"c\", \"due\": \"2025-04-30\"");
    apply_ag(t, 0, "application_received", "2025-03-06", "\"application_id\": \"d\", \"applicant\": \"research_institution\"");
    apply_ag(t, 0, "consultation_started", "2025-03-07", "\"application_id\": \"d\", \"consultation_id\": \"k1\"");
    apply_ag(t, 0, "consultation_started", "2025-03-10", "\"application_id\": \"d\", \"consultation_id\": \"k2\"");
    apply_ag(t, 0, "consultation_ended", "2025-03-12", "\"application_id\": \"d\", \"consultation_id\": \"k1\"");
    apply_ag(t, 0, "application_received", "2025-03-03", "\"application_id\": \"same\", \"applicant\": \"natural_person\"");
    apply_ag(t, 1, "application_received", "2025-03-03", "\"application_id\": \"same\", \"applicant\": \"other_org\"");
    apply_ag(t, 1, "application_received", "2024-12-02", "\"application_id\": \"f\", \"applicant\": \"natural_person\"");
    apply_ag(t, 1, "application_received", "2025-01-06", "\"application_id\": \"g\", \"applicant\": \"natural_person\"");
    apply_ag(t, 1, "application_resolved", "2025-01-06", "\"application_id\": \"g\", \"outcome\": \"disclosed\"");
    for (int i = 0; i < 300; i++) {
        char f[160], date[16];
        snprintf(date, sizeof date, "2025-%02d-%02d", 1 + i % 12, 1 + i % 28);
        snprintf(f, sizeof f, "\"application_id\": \"bulk-%d\", \"applicant\": \"natural_person\"", i);
        apply_ag(t, (uint32_t)(i % 2), "application_received", date, f);
        if (i % 3 == 0) {
            snprintf(f, sizeof f, "\"application_id\": \"bulk-%d\", \"outcome\": \"disclosed\"", i);
            snprintf(date, sizeof date, "2025-%02d-28", 1 + i % 12);
            apply_ag(t, (uint32_t)(i % 2), "application_resolved", date, f);
        } else if (i % 7 == 0) {
            snprintf(f, sizeof f, "\"application_id\": \"bulk-%d\", \"working_days\": %d", i, 1 + i % 20);
            snprintf(date, sizeof date, "2025-%02d-28", 1 + i % 12);
            apply_ag(t, (uint32_t)(i % 2), "extension_granted", date, f);
        }
    }

    u = round_trip(t, &bytes);
    assert_true(assert_same_figures(t, u, c) > 0);
    assert_copies_agree(t, c);

    /* The loaded store goes on like the original: the same later events on
     * both (a new application, one more grant, the end of a consultation, a
     * new consultation) give the same figures. */
    struct tl *both[2] = {t, u};
    for (int k = 0; k < 2; k++) {
        struct tl *x = both[k];
        apply_ag(x, 0, "application_received", "2025-05-06", "\"application_id\": \"h\", \"applicant\": \"natural_person\"");
        apply_ag(x, 0, "extension_granted", "2025-05-20", "\"application_id\": \"h\", \"working_days\": 3");
        apply_ag(x, 0, "extension_granted", "2025-03-20", "\"application_id\": \"b\", \"working_days\": 4");
        apply_ag(x, 0, "consultation_ended", "2025-03-14", "\"application_id\": \"d\", \"consultation_id\": \"k2\"");
        apply_ag(x, 1, "consultation_started", "2025-03-04", "\"application_id\": \"same\", \"consultation_id\": \"k\"");
    }
    assert_int_equal(tl_applications(u), tl_applications(t));
    assert_same_figures(t, u, c);

    /* Saved again, the loaded store loads again to the same figures. */
    struct tl *w = round_trip(u, &bytes);
    assert_same_figures(t, w, c);
    tl_destroy(&w);

    /* Short bytes are refused at every length, and a refused store can be
     * destroyed (nothing leaks under ASan). */
    buf_reset(&bytes);
    tl_save(t, &bytes);
    for (size_t n = 0; n < bytes.len; n++) {
        w = tl_new();
        struct rd in = {(const unsigned char *)bytes.data, n, 1};
        assert_int_equal(tl_load(w, &in), -1);
        tl_destroy(&w);
    }
    /* An id offset that does not start an id is refused: the last 24-byte
     * records are the applications; the first one's id (its first field)
     * moved one byte into its id. */
    size_t apps_at = bytes.len - tl_applications(t) * 24;
    uint32_t off;
    memcpy(&off, bytes.data + apps_at, sizeof off);
    off++;
    memcpy(bytes.data + apps_at, &off, sizeof off);
    w = tl_new();
    struct rd bad = {(const unsigned char *)bytes.data, bytes.len, 1};
    assert_int_equal(tl_load(w, &bad), -1);
    tl_destroy(&w);

    buf_free(&bytes);
    tl_destroy(&u);
    tl_destroy(&t);
    calendar_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_list_order_and_as_of),
        cmocka_unit_test(test_year_stats),
        cmocka_unit_test(test_extensions_add_up_and_2007_cap),
        cmocka_unit_test(test_checkpoint_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
