/* test_day — civil dates, RFC 3339 timestamps and the Beijing reporting day
 * (lib/model/day.c). The C library's timegm()/gmtime_r() serve as an independent
 * oracle for the calendar arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "day.h"

#define US 1000000LL

/* UTC microseconds of a civil date and time, by timegm(). */
static int64_t utc_us(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * US;
}

static void test_known_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(day_from_ymd(1969, 12, 31), -1);
    assert_int_equal(day_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(day_from_ymd(2019, 12, 31), 18261);
    assert_int_equal(day_from_ymd(2020, 1, 1), 18262);
    assert_int_equal(day_from_ymd(2020, 2, 29) + 1, day_from_ymd(2020, 3, 1));
    assert_int_equal(day_from_ymd(2100, 2, 28) + 1, day_from_ymd(2100, 3, 1)); /* 2100: no leap day */
    assert_int_equal(day_from_ymd(2000, 2, 28) + 2, day_from_ymd(2000, 3, 1)); /* 2000: leap day */
}

/* Every day 1900-01-01 .. 2200-12-31: ymd → day → ymd, consecutive, and equal
 * to timegm's count; weekdays equal gmtime's. */
static void test_calendar_against_libc(void **state)
{
    (void)state;
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int32_t prev = day_from_ymd(1899, 12, 31);
    for (int y = 1900; y <= 2200; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int n = dim[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= n; d++) {
                int32_t day = day_from_ymd(y, m, d);
                if (day != prev + 1)
                    fail_msg("%04d-%02d-%02d: day %d does not follow %d", y, m, d, day, prev);
                prev = day;
                int yy, mm, dd;
                day_to_ymd(day, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    fail_msg("%04d-%02d-%02d: round trip gave %04d-%02d-%02d", y, m, d, yy, mm, dd);
                assert_int_equal(day_year(day), y);
                int64_t t = utc_us(y, m, d, 0, 0, 0) / US;
                if (t / 86400 != day)
                    fail_msg("%04d-%02d-%02d: day %d, timegm says %lld", y, m, d, day,
                             (long long)(t / 86400));
                struct tm tm;
                time_t tt = (time_t)t;
                gmtime_r(&tt, &tm);
                int want = (tm.tm_wday + 6) % 7; /* Monday = 0 */
                if (day_weekday(day) != want)
                    fail_msg("%04d-%02d-%02d: weekday %d, gmtime says %d", y, m, d,
                             day_weekday(day), want);
            }
        }
    }
}

static void test_weekdays(void **state)
{
    (void)state;
    assert_int_equal(day_weekday(0), 3);                            /* 1970-01-01 Thursday */
    assert_int_equal(day_weekday(day_from_ymd(2019, 10, 1)), 1);    /* Tuesday */
    assert_int_equal(day_weekday(day_from_ymd(2024, 2, 29)), 3);    /* Thursday */
    assert_int_equal(day_weekday(day_from_ymd(2020, 1, 5)), 6);     /* Sunday */
    assert_int_equal(day_weekday(day_from_ymd(1969, 12, 29)), 0);   /* Monday, before the epoch */
}

struct ok_case {
    const char *text;
    int64_t us;
    int year;
};

static void test_rfc3339_accepted(void **state)
{
    (void)state;
    const struct ok_case cases[] = {
        {"2019-03-02T10:00:00+08:00", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        {"2019-03-02T02:00:00Z", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        {"2019-03-02T02:00:00z", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        {"2019-03-01T21:00:00-05:00", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        {"2019-03-02T07:30:00+05:30", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        {"2019-03-02T02:00:00+00:00", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        {"2019-03-02T02:00:00-00:00", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        {"2019-03-02T02:00:00.5Z", utc_us(2019, 3, 2, 2, 0, 0) + 500000, 2019},
        {"2019-03-02T02:00:00.000001Z", utc_us(2019, 3, 2, 2, 0, 0) + 1, 2019},
        /* Issue 23: one rule per edge. Nine digits when those past the sixth are 0. */
        {"2019-03-02T02:00:00.123456000Z", utc_us(2019, 3, 2, 2, 0, 0) + 123456, 2019},
        /* 't' as 'T', as 'z' as 'Z' (RFC 3339 5.6). */
        {"2019-03-02t10:00:00+08:00", utc_us(2019, 3, 2, 2, 0, 0), 2019},
        /* A leap second, 23:59:60 UTC in any offset: the last microsecond of :59. */
        {"2016-12-31T23:59:60Z", utc_us(2016, 12, 31, 23, 59, 59) + 999999, 2016},
        {"2017-01-01T07:59:60+08:00", utc_us(2016, 12, 31, 23, 59, 59) + 999999, 2017},
        {"2020-02-29T12:00:00+08:00", utc_us(2020, 2, 29, 4, 0, 0), 2020},
        /* The year as written, not the UTC year: 2020 in Beijing is 2019 in UTC. */
        {"2020-01-01T00:30:00+08:00", utc_us(2019, 12, 31, 16, 30, 0), 2020},
        {"1990-01-01T00:00:00+08:00", utc_us(1989, 12, 31, 16, 0, 0), 1990},
        {"2100-12-31T23:59:59-08:00", utc_us(2101, 1, 1, 7, 59, 59), 2100},
        {"2019-03-02T23:59:59+23:59", utc_us(2019, 3, 2, 0, 0, 59), 2019},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t us = -1;
        int year = -1;
        if (day_parse_rfc3339(cases[i].text, &us, &year) != 0)
            fail_msg("\"%s\" was refused", cases[i].text);
        if (us != cases[i].us || year != cases[i].year)
            fail_msg("\"%s\": %lld us, year %d; expected %lld, %d", cases[i].text, (long long)us,
                     year, (long long)cases[i].us, cases[i].year);
    }
}

static void test_rfc3339_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "2019-03-02T10:00:00",          /* no offset */
        "2019-03-02 10:00:00+08:00",    /* space for T */
        "2019-03-02T10:00:60+08:00",    /* :60 that is not 23:59:60 UTC */
        "2019-03-02T10:17:60Z",
        "2016-12-31T23:59:60.5Z",       /* a leap second has no fraction here */
        "2019-03-02T10:00:00.1234567Z", /* finer than a microsecond */
        "2019-03-02T10:00:00.000000001Z",
        "2019-03-02",                   /* a date */
        "2019-03-02T10:00+08:00",       /* no seconds */
        "2019-3-02T10:00:00+08:00",
        "2019-03-2T10:00:00+08:00",
        "19-03-02T10:00:00+08:00",
        "2019-13-02T10:00:00+08:00",
        "2019-00-02T10:00:00+08:00",
        "2019-03-32T10:00:00+08:00",
        "2019-03-00T10:00:00+08:00",
        "2019-02-29T10:00:00+08:00",    /* 2019 is not a leap year */
        "2100-02-29T10:00:00+08:00",    /* nor is 2100 */
        "2019-04-31T10:00:00+08:00",
        "2019-03-02T24:00:00+08:00",
        "2019-03-02T10:60:00+08:00",
        "2019-03-02T10:00:61+08:00",
        "2019-03-02T10:00:00+24:00",
        "2019-03-02T10:00:00+08:60",
        "2019-03-02T10:00:00+0800",
        "2019-03-02T10:00:00+08",
        "2019-03-02T10:00:00.Z",        /* a point without digits */
        "2019-03-02T10:00:00.1234567890Z", /* ten digits */
        "2019-03-02T10:00:00Zx",
        "2019-03-02T10:00:00+08:00 ",
        "2019-03-02T10:00:00UTC",
        "0000-01-01T00:00:00Z",
        "２019-03-02T10:00:00Z",         /* a full-width digit */
        "2019-03-02T1a:00:00Z",
        "+2019-03-02T10:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us;
        int year;
        if (day_parse_rfc3339(bad[i], &us, &year) == 0)
            fail_msg("\"%s\" was accepted", bad[i]);
    }
}

static void test_parse_date(void **state)
{
    (void)state;
    int32_t d = 0;
    assert_int_equal(day_parse_date("2019-02-28", &d), 0);
    assert_int_equal(d, day_from_ymd(2019, 2, 28));
    assert_int_equal(day_parse_date("2020-02-29", &d), 0);
    assert_int_equal(d, day_from_ymd(2020, 2, 29));
    assert_int_equal(day_parse_date("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    const char *bad[] = {"2019-02-29", "2019-1-01", "2019-01-1", "2019-01-01x", "2019/01/01",
                         "", "20190101", "2019-01-01T00:00:00Z", "2019-13-01", "0000-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (day_parse_date(bad[i], &d) == 0)
            fail_msg("\"%s\" was accepted as a date", bad[i]);
}

/* The reporting day is the date in UTC+08:00. */
static void test_beijing_day(void **state)
{
    (void)state;
    int64_t us;
    int year;
    assert_int_equal(day_parse_rfc3339("2019-12-31T16:30:00Z", &us, &year), 0);
    assert_int_equal(day_beijing(us), day_from_ymd(2020, 1, 1));
    assert_int_equal(year, 2019);
    assert_int_equal(day_year(day_beijing(us)), 2020);

    assert_int_equal(day_beijing(utc_us(2019, 12, 31, 16, 0, 0)), day_from_ymd(2020, 1, 1));
    assert_int_equal(day_beijing(utc_us(2019, 12, 31, 16, 0, 0) - 1), day_from_ymd(2019, 12, 31));
    assert_int_equal(day_beijing(utc_us(2019, 12, 31, 15, 59, 59)), day_from_ymd(2019, 12, 31));
    assert_int_equal(day_beijing(utc_us(2019, 3, 2, 0, 0, 0)), day_from_ymd(2019, 3, 2));
    assert_int_equal(day_beijing(utc_us(2019, 3, 1, 23, 0, 0)), day_from_ymd(2019, 3, 2));

    /* Offsets naming one instant name one day. */
    const char *same[] = {"2020-01-01T00:30:00+08:00", "2019-12-31T16:30:00Z",
                          "2019-12-31T11:30:00-05:00", "2019-12-31T22:00:00+05:30"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        int64_t u;
        assert_int_equal(day_parse_rfc3339(same[i], &u, &year), 0);
        assert_true(u == us);
        assert_int_equal(day_beijing(u), day_from_ymd(2020, 1, 1));
    }
    /* Local midnight in New York on 1 January is already the afternoon in Beijing. */
    assert_int_equal(day_parse_rfc3339("2020-01-01T00:00:00-05:00", &us, &year), 0);
    assert_int_equal(day_beijing(us), day_from_ymd(2020, 1, 1));
    assert_int_equal(day_parse_rfc3339("2019-12-31T10:59:59-05:00", &us, &year), 0);
    assert_int_equal(day_beijing(us), day_from_ymd(2019, 12, 31));
    assert_int_equal(day_parse_rfc3339("2019-12-31T11:00:00-05:00", &us, &year), 0);
    assert_int_equal(day_beijing(us), day_from_ymd(2020, 1, 1));

    /* Before the epoch, rounding goes down, not towards zero. */
    assert_int_equal(day_beijing(utc_us(1969, 12, 31, 16, 0, 0)), 0);
    assert_int_equal(day_beijing(utc_us(1969, 12, 31, 16, 0, 0) - 1), -1);
    assert_int_equal(day_beijing(utc_us(1969, 12, 31, 15, 59, 59) + 500000), -1);
}

static void test_format(void **state)
{
    (void)state;
    char buf[40];
    day_format_utc(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    day_format_utc(utc_us(2019, 12, 31, 16, 30, 0), buf, sizeof buf);
    assert_string_equal(buf, "2019-12-31T16:30:00Z");
    day_format_utc(utc_us(2019, 3, 2, 2, 0, 0) + 1, buf, sizeof buf);
    assert_string_equal(buf, "2019-03-02T02:00:00.000001Z");
    day_format_utc(utc_us(2019, 3, 2, 2, 0, 0) + 500000, buf, sizeof buf);
    assert_string_equal(buf, "2019-03-02T02:00:00.500000Z");
    day_format_utc(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
    day_format_utc(utc_us(2101, 1, 1, 7, 59, 59), buf, sizeof buf);
    assert_string_equal(buf, "2101-01-01T07:59:59Z");

    day_format_date(18262, buf, sizeof buf);
    assert_string_equal(buf, "2020-01-01");
    day_format_date(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31");
    day_format_date(day_from_ymd(2100, 12, 31), buf, sizeof buf);
    assert_string_equal(buf, "2100-12-31");

    /* Canonical text parses back to the same instant. */
    const char *in[] = {"2019-03-02T10:00:00+08:00", "2019-03-02T02:00:00.25-00:30",
                        "1990-01-01T00:00:00+08:00", "2100-12-31T23:59:59.999999-12:00"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        int64_t a, b;
        int y;
        assert_int_equal(day_parse_rfc3339(in[i], &a, &y), 0);
        day_format_utc(a, buf, sizeof buf);
        assert_int_equal(day_parse_rfc3339(buf, &b, &y), 0);
        if (a != b)
            fail_msg("%s → %s → %lld, not %lld", in[i], buf, (long long)b, (long long)a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_calendar_against_libc),
        cmocka_unit_test(test_weekdays),
        cmocka_unit_test(test_rfc3339_accepted),
        cmocka_unit_test(test_rfc3339_refused),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_beijing_day),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("day", tests, NULL, NULL);
}
