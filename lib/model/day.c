/* day — civil dates, RFC 3339 and the Beijing reporting day (see day.h). */
#include "day.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's days_from_civil and civil_from_days: exact for the
 * proleptic Gregorian calendar, no tables; int arithmetic is ample for the
 * years a day number can hold. */
int32_t day_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void day_to_ymd(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = z - era * 146097;
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int day_year(int32_t day)
{
    int y, m, d;
    day_to_ymd(day, &y, &m, &d);
    return y;
}

int day_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int w = (int)((day % 7 + 7 + 3) % 7);
    return w;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

static int parse_ymd(const char *s, int *y, int *m, int *d)
{
    if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, m) || s[7] != '-' ||
        digits(s + 8, 2, d))
        return -1;
    if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int day_parse_date(const char *s, int32_t *day)
{
    int y, m, d;
    if (strlen(s) != 10 || parse_ymd(s, &y, &m, &d))
        return -1;
    *day = day_from_ymd(y, m, d);
    return 0;
}

int day_parse_rfc3339(const char *s, int64_t *utc_us, int *year_written)
{
    int y, mo, d, h, mi, sec;
    if (parse_ymd(s, &y, &mo, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    if (h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = s + 19;
    int64_t frac_us = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        int64_t scale = 100000;
        while (*p >= '0' && *p <= '9') {
            if (n < 6) {
                frac_us += (*p - '0') * scale;
                scale /= 10;
            } else if (*p != '0') {
                return -1; /* finer than a microsecond: it would be cut, so it is refused */
            }
            p++;
            n++;
        }
        if (n == 0 || n > 9)
            return -1;
    }
    int off_s;
    if (*p == 'Z' || *p == 'z') {
        off_s = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t secs = (int64_t)day_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off_s;
    if (sec == 60) {
        /* A leap second exists only as 23:59:60 UTC; it is kept as the last
         * microsecond of 23:59:59, so it is neither refused nor the same
         * instant as :59. Any other :60 is no time at all. */
        if (frac_us || (secs - 60) % 86400 != 86400 - 60)
            return -1;
        *utc_us = (secs - 1) * 1000000 + 999999;
    } else {
        *utc_us = secs * 1000000 + frac_us;
    }
    *year_written = y;
    return 0;
}

int32_t day_beijing(int64_t utc_us)
{
    int64_t s = utc_us / 1000000 - (utc_us % 1000000 < 0) + BEIJING_OFFSET_S;
    int64_t day = s / 86400 - (s % 86400 < 0);
    return (int32_t)day;
}

int day_in_range(int32_t day)
{
    int y = day_year(day);
    return y >= DAY_YEAR_MIN && y <= DAY_YEAR_MAX;
}

/* Writes v as exactly n decimal digits at p (v ≥ 0). These run for every
 * event on intake's hot path, where snprintf was a tenth of the profile. */
static char *digits_out(char *p, long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* n bytes of text into buf of cap bytes, NUL-terminated, cut if need be. */
static void copy_out(char *buf, size_t cap, const char *text, size_t n)
{
    if (!cap)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* YYYY-MM-DD at p (years 0-9999); returns the end. */
static char *date_out(char *p, int32_t day)
{
    int y, m, d;
    day_to_ymd(day, &y, &m, &d);
    p = digits_out(p, y, 4);
    *p++ = '-';
    p = digits_out(p, m, 2);
    *p++ = '-';
    return digits_out(p, d, 2);
}

void day_format_utc(int64_t utc_us, char *buf, size_t cap)
{
    int64_t s = utc_us / 1000000 - (utc_us % 1000000 < 0);
    int64_t us = utc_us - s * 1000000;
    int64_t day = s / 86400 - (s % 86400 < 0);
    int64_t sod = s - day * 86400;
    char out[40], *p = date_out(out, (int32_t)day);
    *p++ = 'T';
    p = digits_out(p, (long)(sod / 3600), 2);
    *p++ = ':';
    p = digits_out(p, (long)(sod / 60 % 60), 2);
    *p++ = ':';
    p = digits_out(p, (long)(sod % 60), 2);
    if (us) {
        *p++ = '.';
        p = digits_out(p, (long)us, 6);
    }
    *p++ = 'Z';
    copy_out(buf, cap, out, (size_t)(p - out));
}

void day_format_date(int32_t day, char *buf, size_t cap)
{
    char out[16], *p = date_out(out, day);
    copy_out(buf, cap, out, (size_t)(p - out));
}

int64_t day_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t day_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
