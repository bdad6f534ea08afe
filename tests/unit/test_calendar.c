/* test_calendar — civil dates, the holiday calendar and working-day counts.
 *
 * Run from the repository root: it reads data/cn-workdays.csv, and the shared
 * test vectors from $GONGKAI_SHARED/fixtures/deadlines/vectors.tsv
 * (GONGKAI_SHARED defaults to ../shared).
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

static struct calendar *load_project_calendar(void)
{
    struct calendar *c = calendar_new();
    char *text = buf_read_file("data/cn-workdays.csv", NULL);
    char err[256];

    if (text == NULL)
        fail_msg("cannot read data/cn-workdays.csv (run from the repository root)");
    if (calendar_load_csv(c, text, err, sizeof err) != 0)
        fail_msg("data/cn-workdays.csv: %s", err);
    /* Notices 2019-2026: 2018-12-01 ... 2026-11-30. */
    assert_int_equal(calendar_last_year(c), 2026);
    assert_true(calendar_covers(c, cal_day_from_ymd(2018, 12, 1)));
    free(text);
    return c;
}

static int32_t D(const char *s)
{
    int32_t day;

    if (cal_parse_date(s, &day) != 0)
        fail_msg("bad date in test: %s", s);
    return day;
}

/* ---- civil dates ------------------------------------------------------ */

static void test_day_numbers(void **state)
{
    int y, m, d;
    char buf[CAL_DATE_LEN];

    (void)state;
    assert_int_equal(cal_day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(cal_day_from_ymd(1969, 12, 31), -1);
    assert_int_equal(cal_day_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(cal_day_from_ymd(2019, 5, 15), 18031);
    assert_int_equal(cal_weekday(0), 4);                /* Thursday */
    assert_int_equal(cal_weekday(-1), 3);               /* Wednesday */
    assert_int_equal(cal_weekday(D("2019-05-15")), 3);  /* Wednesday */
    assert_int_equal(cal_weekday(D("2027-01-01")), 5);  /* Friday */
    assert_int_equal(cal_weekday(D("2024-09-29")), 7);  /* Sunday */

    /* Round trip over a wide range, every weekday one after another. */
    for (int32_t day = -800000; day <= 800000; day += 7) {
        cal_ymd_from_day(day, &y, &m, &d);
        assert_int_equal(cal_day_from_ymd(y, m, d), day);
        assert_int_equal(cal_weekday(day + 1) % 7, (cal_weekday(day) + 1) % 7);
    }
    assert_string_equal(cal_format_date(D("2020-02-29"), buf), "2020-02-29");
    assert_string_equal(cal_format_date(0, buf), "1970-01-01");
}

static void test_parse_date(void **state)
{
    static const char *const bad[] = {
        "", "2019", "2019-02-29", "1900-02-29", "2019-13-01", "2019-00-10", "2019-04-31",
        "2019-1-01", "2019-01-1", "2019/01/01", "2019-01-01x", "2019-01-01 ", " 2019-01-01",
        "0000-01-01", "abcd-ef-gh", "+019-01-01",
    };
    int32_t day = 42;

    (void)state;
    assert_int_equal(cal_parse_date("2020-02-29", &day), 0);
    assert_int_equal(day, cal_day_from_ymd(2020, 2, 29));
    assert_int_equal(cal_parse_date("2000-02-29", &day), 0);
    assert_int_equal(cal_parse_date("9999-12-31", &day), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        day = 42;
        if (cal_parse_date(bad[i], &day) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(day, 42);
    }
}

/* ---- the shared vectors ----------------------------------------------- */

static void test_vectors(void **state)
{
    const char *shared = getenv("GONGKAI_SHARED");
    struct calendar *c = load_project_calendar();
    char path[4096], *text, *line, *save = NULL;
    int rows = 0, bad = 0;

    (void)state;
    if (shared == NULL || *shared == '\0')
        shared = "../shared";
    snprintf(path, sizeof path, "%s/fixtures/deadlines/vectors.tsv", shared);
    text = buf_read_file(path, NULL);
    if (text == NULL)
        fail_msg("cannot read %s (set GONGKAI_SHARED)", path);

    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char r[16], on[16], off[16], got[CAL_DATE_LEN];
        int n;

        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (sscanf(line, "%15s\t%d\t%15s\t%15s", r, &n, on, off) != 4)
            fail_msg("%s: cannot parse \"%s\"", path, line);
        rows++;
        for (int setting = 1; setting >= 0; setting--) {
            bool prov = false;
            int32_t due;

            calendar_set_count_makeup_days(c, setting);
            due = calendar_add_workdays(c, D(r), n, NULL, &prov);
            cal_format_date(due, got);
            if (strcmp(got, setting ? on : off) != 0 || prov) {
                print_error("%s + %d working days, 调休 %s: got %s%s, want %s\n", r, n,
                            setting ? "on" : "off", got, prov ? " (provisional)" : "",
                            setting ? on : off);
                bad++;
            }
            /* Counting back over the same span gives the same n. */
            assert_int_equal(calendar_count_workdays(c, D(r), due, NULL, NULL), n);
        }
    }
    assert_true(rows >= 10);
    assert_int_equal(bad, 0);
    free(text);
    calendar_destroy(&c);
}

/* ---- the calendar data ------------------------------------------------ */

/* README: weekday days off minus weekend working days per notice year must
 * equal the statutory holidays (11; 13 from 2025; 2020 has 2 more). This
 * also proves December rows are filed under the next year's notice. */
static void test_net_per_notice_year(void **state)
{
    static const int want[] = {11, 13, 11, 11, 11, 11, 13, 13}; /* 2019-2026 */
    struct calendar *c = load_project_calendar();

    (void)state;
    for (int n = 2019; n <= 2026; n++) {
        int net = 0;

        for (int32_t d = cal_day_from_ymd(n - 1, 12, 1); d <= cal_day_from_ymd(n, 11, 30); d++) {
            bool weekday = cal_weekday(d) <= 5;

            assert_true(calendar_covers(c, d));
            if (weekday && !calendar_is_workday(c, d))
                net++;
            if (!weekday && calendar_is_workday(c, d))
                net--;
        }
        if (net != want[n - 2019])
            fail_msg("notice %d: net %d, want %d", n, net, want[n - 2019]);
    }
    assert_int_equal(calendar_last_year(c), 2026);
    calendar_destroy(&c);
}

static void test_makeup_setting(void **state)
{
    struct calendar *c = load_project_calendar();

    (void)state;
    assert_true(calendar_count_makeup_days(c)); /* on by default */
    assert_true(calendar_is_workday(c, D("2024-09-29")));  /* Sunday, 补班 */
    assert_false(calendar_is_workday(c, D("2024-10-01"))); /* 国庆节 */
    assert_false(calendar_is_workday(c, D("2024-10-05"))); /* Saturday off */
    assert_true(calendar_is_workday(c, D("2024-10-08")));
    assert_false(calendar_is_workday(c, D("2020-01-31"))); /* COVID extension */
    assert_false(calendar_is_workday(c, D("2020-02-01"))); /* 补班 cancelled */
    assert_true(calendar_is_workday(c, D("2018-12-29")));  /* 2019 notice */
    calendar_set_count_makeup_days(c, false);
    assert_false(calendar_count_makeup_days(c));
    assert_false(calendar_is_workday(c, D("2024-09-29")));
    assert_false(calendar_is_workday(c, D("2024-10-01")));
    assert_true(calendar_is_workday(c, D("2024-10-08")));
    calendar_destroy(&c);
}

/* ---- past (and before) the calendar ----------------------------------- */

static void test_fallback(void **state)
{
    struct calendar *c = load_project_calendar();
    bool prov = false;

    (void)state;
    /* Notices 2019-2026 cover 2018-12-01 ... 2026-11-30. */
    assert_true(calendar_covers(c, D("2018-12-01")));
    assert_false(calendar_covers(c, D("2018-11-30")));
    assert_true(calendar_covers(c, D("2026-11-30")));
    assert_false(calendar_covers(c, D("2026-12-01")));
    assert_false(calendar_covers(c, D("2027-06-01")));

    /* Monday to Friday minus 1-1, 5-1, 5-2, 10-1..3. */
    assert_false(calendar_is_workday(c, D("2027-01-01")));   /* Friday */
    assert_true(calendar_is_workday(c, D("2027-01-04")));
    assert_false(calendar_is_workday(c, D("2027-01-09")));   /* Saturday */
    assert_true(calendar_is_workday(c, D("2027-05-03")));    /* Monday */
    assert_false(calendar_is_workday(c, D("2028-05-01")));   /* Monday */
    assert_false(calendar_is_workday(c, D("2028-05-02")));
    assert_true(calendar_is_workday(c, D("2028-05-03")));
    assert_false(calendar_is_workday(c, D("2027-10-01")));
    assert_true(calendar_is_workday(c, D("2027-10-04")));    /* Monday */
    assert_false(calendar_is_workday(c, D("2018-10-02")));   /* before: same rule */
    assert_true(calendar_is_workday(c, D("2018-02-15")));    /* 2018 春节, unknown */

    /* A count that stays inside the calendar is not provisional; one that
     * crosses into December 2026 or later is. */
    assert_int_equal(calendar_add_workdays(c, D("2026-10-30"), 20, NULL, &prov),
                     D("2026-11-27"));
    assert_false(prov);
    assert_int_equal(calendar_add_workdays(c, D("2026-11-20"), 20, NULL, &prov),
                     D("2026-12-18"));
    assert_true(prov);
    /* Left alone when not provisional, so callers can OR results. */
    assert_int_equal(calendar_add_workdays(c, D("2025-01-20"), 7, NULL, &prov), D("2025-02-05"));
    assert_true(prov);

    calendar_destroy(&c);
}

/* ---- loading ---------------------------------------------------------- */

static void expect_load_error(const char *text, const char *want)
{
    struct calendar *c = load_project_calendar();
    char err[256] = "";

    assert_int_equal(calendar_load_csv(c, text, err, sizeof err), -1);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
    /* Unchanged: 2024-10-01 is still off, 2027 still unknown. */
    assert_false(calendar_is_workday(c, D("2024-10-01")));
    assert_int_equal(calendar_last_year(c), 2026);
    assert_false(calendar_covers(c, D("2027-01-04")));
    calendar_destroy(&c);
}

static void test_load_errors(void **state)
{
    (void)state;
    expect_load_error("date,kind\n2027-01-01,off\n2027-02-30,off\n",
                      "line 3: date \"2027-02-30\" is not a valid");
    expect_load_error("date,kind\n2027-01-01,off\n27-01-02,off\n",
                      "line 3: date \"27-01-02\" is not YYYY-MM-DD");
    expect_load_error("2027-01-01,off\n2027-01-02,holiday\n",
                      "line 2: kind \"holiday\" is neither off nor work");
    expect_load_error("date,kind\n2027-01-01 off\n", "line 2: expected date,kind");
    expect_load_error("date,kind\n2027-01-01,off\n\n2027-01-01,off\n",
                      "line 4: 2027-01-01 is listed twice");
    expect_load_error("date,kind\n2027-01-04,work\n",
                      "line 2: 2027-01-04 is a Monday; a work row must be a Saturday or Sunday");
    expect_load_error("date,kind\n2101-01-01,off\n", "line 2: date 2101-01-01 is outside");
    expect_load_error("date,kind\n2100-12-31,off\n", "line 2: date 2100-12-31 is outside");
    expect_load_error("date,kind\n1989-11-30,off\n", "line 2: date 1989-11-30 is outside");
    expect_load_error("date,type\n2027-01-01,off\n", "line 1: header \"date,type\"");
    expect_load_error("date,kind,holiday\n", "no data rows");
    expect_load_error("", "no data rows");
    /* A long value is quoted shortened, on a character boundary: 13 × 3-byte
     * 节 = 39 bytes, the 14th would pass the 40-byte cap. */
    expect_load_error("2027-01-01,节节节节节节节节节节节节节节节节\n",
                      "kind \"节节节节节节节节节节节节节\" is neither");
}

static void test_load_replaces_whole_years(void **state)
{
    struct calendar *c = load_project_calendar();
    char err[256];

    (void)state;
    /* A (fictional) 2025 with a single day off replaces all of 2025: its
     * 国庆节 days and 补班 are gone; 2024 is untouched. CRLF, a BOM, blanks
     * and a label are tolerated. */
    assert_int_equal(calendar_load_csv(c, "\xEF\xBB\xBF" "date,kind,holiday\r\n"
                                          " 2025-02-03 , off ,春节\r\n\r\n",
                                       err, sizeof err),
                     0);
    assert_false(calendar_is_workday(c, D("2025-02-03")));
    assert_true(calendar_is_workday(c, D("2025-10-01")));
    assert_false(calendar_is_workday(c, D("2025-09-28"))); /* was 补班 */
    assert_false(calendar_is_workday(c, D("2024-10-01")));
    assert_true(calendar_is_workday(c, D("2024-09-29")));
    assert_true(calendar_covers(c, D("2025-10-01")));
    assert_int_equal(calendar_last_year(c), 2026);

    /* December belongs to the next notice: loading a 2023 notice replaces
     * 2022-12-31 but not December 2023, which is the 2024 notice's. */
    assert_false(calendar_is_workday(c, D("2023-01-02")));
    assert_int_equal(calendar_load_csv(c, "2022-12-30,off\n", err, sizeof err), 0);
    assert_false(calendar_is_workday(c, D("2022-12-30")));  /* fictional Friday off */
    assert_true(calendar_is_workday(c, D("2023-01-02")));   /* 2023 元旦 replaced */
    assert_true(calendar_is_workday(c, D("2023-10-05")));   /* was 国庆节 */
    assert_false(calendar_is_workday(c, D("2024-01-01")));  /* 2024 notice kept */

    /* Reloading the project file restores everything. */
    calendar_destroy(&c);
    c = load_project_calendar();
    assert_true(calendar_is_workday(c, D("2025-09-28")));
    calendar_destroy(&c);
}

static void test_load_new_year_fixes_provisional(void **state)
{
    struct calendar *c = load_project_calendar();
    char err[256];
    bool prov = false;
    int32_t due;

    (void)state;
    /* From 2026-12-10: by the fallback only 2027-01-01 is off. */
    due = calendar_add_workdays(c, D("2026-12-10"), 20, NULL, &prov);
    assert_int_equal(due, D("2027-01-08"));
    assert_true(prov);

    /* A fictional 2027 notice: 12-31 to 1-3 off. 2026-12-31 files under it. */
    assert_int_equal(calendar_load_csv(c, "date,kind,holiday\n2026-12-31,off,元旦\n"
                                          "2027-01-01,off,元旦\n2027-01-02,off,元旦\n"
                                          "2027-01-03,off,元旦\n",
                                       err, sizeof err),
                     0);
    assert_int_equal(calendar_last_year(c), 2027);
    prov = false;
    due = calendar_add_workdays(c, D("2026-12-10"), 20, NULL, &prov);
    assert_int_equal(due, D("2027-01-11"));
    assert_false(prov);
    /* Past the new last year the fallback still applies. */
    assert_false(calendar_covers(c, D("2027-12-01")));
    calendar_destroy(&c);
}

/* ---- pauses and counts ------------------------------------------------ */

static void test_spans_merge(void **state)
{
    struct cal_span s[] = {
        {30, 40}, {10, 12}, {13, 15}, {11, 11}, {50, CAL_DAY_OPEN}, {60, 70}, {38, 45},
    };
    size_t n = sizeof s / sizeof s[0];

    (void)state;
    cal_spans_merge(s, &n);
    assert_int_equal(n, 3);
    assert_int_equal(s[0].first, 10);
    assert_int_equal(s[0].last, 15); /* touching 10-12 and 13-15 merge */
    assert_int_equal(s[1].first, 30);
    assert_int_equal(s[1].last, 45);
    assert_int_equal(s[2].first, 50);
    assert_int_equal(s[2].last, CAL_DAY_OPEN);

    n = 0;
    cal_spans_merge(s, &n);
    assert_int_equal(n, 0);
}

static void test_pauses_and_counts(void **state)
{
    struct calendar *c = load_project_calendar();
    struct cal_span s[] = {{D("2024-09-27"), D("2024-10-10")}};
    struct cal_pauses p = {s, 1};

    (void)state;
    /* n == 0 is the day itself. */
    assert_int_equal(calendar_add_workdays(c, D("2024-09-28"), 0, NULL, NULL), D("2024-09-28"));
    /* The pause holds 6 working days (9-27, 9-29 补班, 9-30, 10-8..10-10). */
    assert_int_equal(calendar_add_workdays(c, D("2024-09-20"), 20, NULL, NULL), D("2024-10-23"));
    assert_int_equal(calendar_add_workdays(c, D("2024-09-20"), 20, &p, NULL), D("2024-10-31"));
    assert_int_equal(calendar_count_workdays(c, D("2024-09-20"), D("2024-10-31"), &p, NULL), 20);
    assert_int_equal(calendar_count_workdays(c, D("2024-09-26"), D("2024-10-10"), NULL, NULL), 6);
    assert_int_equal(calendar_count_workdays(c, D("2024-09-26"), D("2024-10-10"), &p, NULL), 0);
    /* Backwards is negative; a day with itself is 0. */
    assert_int_equal(calendar_count_workdays(c, D("2024-10-31"), D("2024-09-20"), &p, NULL), -20);
    assert_int_equal(calendar_count_workdays(c, D("2024-10-31"), D("2024-10-31"), &p, NULL), 0);

    /* An open pause: the count cannot end unless it ends before it. */
    s[0].last = CAL_DAY_OPEN;
    assert_int_equal(calendar_add_workdays(c, D("2024-09-20"), 20, &p, NULL), CAL_DAY_NONE);
    assert_int_equal(calendar_add_workdays(c, D("2024-09-20"), 4, &p, NULL), D("2024-09-26"));
    assert_int_equal(calendar_count_workdays(c, D("2024-09-20"), D("2025-06-30"), &p, NULL), 4);
    calendar_destroy(&c);
}

/* The counts come from running sums (calendar.c); a day-by-day walk is the
 * reference: random spans from 1989 to 2101 (both directions), with random
 * pauses, open ones included, under both makeup settings, with and without
 * the project's calendar loaded — the count and the provisional flag. */
static int walk_count(const struct calendar *c, int32_t from, int32_t to,
                      const struct cal_pauses *p, bool *prov)
{
    if (to < from)
        return -walk_count(c, to, from, p, prov);
    int n = 0;
    for (int32_t d = from + 1; d <= to; d++) {
        bool paused = false, ends = false;
        for (size_t i = 0; i < p->count; i++)
            if (p->span[i].first <= d && d <= p->span[i].last) {
                paused = true;
                ends = p->span[i].last >= to;
            }
        if (ends)
            break;
        if (paused)
            continue;
        if (calendar_is_workday(c, d)) {
            n++;
        }
        if (!calendar_covers(c, d))
            *prov = true;
    }
    return n;
}

static void test_counts_match_a_walk(void **state)
{
    (void)state;
    struct calendar *cals[2] = {calendar_new(), load_project_calendar()};
    unsigned seed = 12345;
#define RND(n) (int32_t)(((seed = seed * 1103515245u + 12345u) >> 8) % (unsigned)(n))
    int32_t lo = cal_day_from_ymd(1989, 1, 1), hi = cal_day_from_ymd(2101, 12, 31);
    for (int k = 0; k < 2; k++) {
        for (int makeup = 0; makeup < 2; makeup++) {
            calendar_set_count_makeup_days(cals[k], makeup);
            for (int t = 0; t < 400; t++) {
                int32_t from = lo + (int32_t)RND(hi - lo);
                int32_t to = t % 4 == 0 ? from + (int32_t)RND(60)
                                        : lo + (int32_t)RND(hi - lo);
                struct cal_span sp[4];
                size_t np = (size_t)RND(4);
                for (size_t i = 0; i < np; i++) {
                    int32_t a = (from < to ? from : to) + (int32_t)RND(400) - 30;
                    sp[i].first = a;
                    sp[i].last = RND(10) == 0 ? CAL_DAY_OPEN : a + (int32_t)RND(90);
                }
                cal_spans_merge(sp, &np);
                struct cal_pauses p = {sp, np};
                bool pa = false, pb = false;
                int want = walk_count(cals[k], from, to, &p, &pa);
                int got = calendar_count_workdays(cals[k], from, to, &p, &pb);
                assert_int_equal(got, want);
                assert_int_equal(pb, pa);
            }
        }
        calendar_destroy(&cals[k]);
    }
#undef RND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_numbers),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_net_per_notice_year),
        cmocka_unit_test(test_makeup_setting),
        cmocka_unit_test(test_fallback),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_replaces_whole_years),
        cmocka_unit_test(test_load_new_year_fixes_provisional),
        cmocka_unit_test(test_spans_merge),
        cmocka_unit_test(test_pauses_and_counts),
        cmocka_unit_test(test_counts_match_a_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
