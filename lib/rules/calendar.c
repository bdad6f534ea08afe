/* calendar — civil day numbers and the PRC working-day calendar (see
 * calendar.h for the model: notice years, the fallback rule, provisional).
 */
#include "calendar.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "day.h"

/* ---- civil dates ------------------------------------------------------
 *
 * The day numbers are day.c's (days since 1970-01-01); these wrappers add
 * the range checks of a civil date and the calendar's own names.
 */

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

int32_t cal_day_from_ymd(int y, int m, int d)
{
    assert(m >= 1 && m <= 12);
    assert(d >= 1 && d <= days_in_month(y, m));
    return day_from_ymd(y, m, d);
}

void cal_ymd_from_day(int32_t day, int *y, int *m, int *d)
{
    day_to_ymd(day, y, m, d);
}

int cal_weekday(int32_t day)
{
    return day_weekday(day) + 1;
}

int cal_parse_date(const char *s, int32_t *day)
{
    return day_parse_date(s, day);
}

char *cal_format_date(int32_t day, char *buf)
{
    day_format_date(day, buf, CAL_DATE_LEN);
    return buf;
}

/* ---- pauses ----------------------------------------------------------- */

static int span_cmp(const void *a, const void *b)
{
    const struct cal_span *x = a, *y = b;

    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return 0;
}

void cal_spans_merge(struct cal_span *spans, size_t *count)
{
    size_t n = *count, out = 0;

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        assert(spans[i].first <= spans[i].last);
    qsort(spans, n, sizeof spans[0], span_cmp);
    for (size_t i = 1; i < n; i++) {
        struct cal_span *cur = &spans[out];

        /* Touching spans merge as well: the result skips the same days and
         * the counting loop has one span fewer to step over. */
        if (cur->last == CAL_DAY_OPEN || spans[i].first <= cur->last + 1) {
            if (spans[i].last > cur->last)
                cur->last = spans[i].last;
        } else {
            spans[++out] = spans[i];
        }
    }
    *count = out + 1;
}

/* ---- the calendar -----------------------------------------------------
 *
 * One slot per calendar year from CAL_MIN_YEAR - 1 (the December of the
 * first possible notice) to CAL_MAX_YEAR: about 11 KB, so no growth logic.
 * A slot's bitmaps hold that calendar year's rows, by day of year; its
 * `loaded` flag says whether that year's NOTICE is loaded, which covers
 * December of the slot before.
 */

#define YEAR_BITS 366
#define YEAR_WORDS ((YEAR_BITS + 63) / 64)
#define FIRST_SLOT (CAL_MIN_YEAR - 1)
#define NSLOTS (CAL_MAX_YEAR - FIRST_SLOT + 1)

struct cal_year {
    uint64_t off[YEAR_WORDS];  /* official day off */
    uint64_t work[YEAR_WORDS]; /* weekend day made a working day (调休) */
    bool loaded;               /* this year's notice is loaded */
};

/* Running sums over every day from SUM_FIRST_YEAR-01-01 to
 * SUM_LAST_YEAR-12-31, so that counting the working days of any span is two
 * lookups, not a walk: a count from 2019 to 2100 for each of a hundred
 * thousand open applications used to take seconds. Rebuilt (sums_build)
 * after every change of the calendar; read-only after, so readers may share
 * a calendar. */
#define SUM_FIRST_YEAR FIRST_SLOT
#define SUM_LAST_YEAR (CAL_MAX_YEAR + 1)

struct calendar {
    struct cal_year year[NSLOTS];
    int last_year; /* newest loaded notice year, 0 if none */
    bool count_makeup_days;
    int32_t sum_base;   /* day number of SUM_FIRST_YEAR-01-01 */
    int32_t sum_days;   /* days covered */
    int32_t *work_sum;  /* [i]: working days among the i days from sum_base */
    int32_t *prov_sum;  /* [i]: days among them decided by the fallback rule */
};

static bool bit_get(const uint64_t *b, int i)
{
    return (b[i / 64] >> (i % 64)) & 1u;
}

static void bit_put(uint64_t *b, int i, bool v)
{
    if (v)
        b[i / 64] |= UINT64_C(1) << (i % 64);
    else
        b[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static int day_of_year(int y, int m, int d)
{
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

    return before[m - 1] + (m > 2 && is_leap(y)) + d - 1;
}

static struct cal_year *slot(struct calendar *c, int y)
{
    assert(y >= FIRST_SLOT && y <= CAL_MAX_YEAR);
    return &c->year[y - FIRST_SLOT];
}

static const struct cal_year *slot_get(const struct calendar *c, int y)
{
    if (y < FIRST_SLOT || y > CAL_MAX_YEAR)
        return NULL;
    return &c->year[y - FIRST_SLOT];
}

static bool workday(const struct calendar *c, int32_t day, bool *prov);

static void sums_build(struct calendar *c)
{
    int32_t w = 0, p = 0;
    c->work_sum[0] = c->prov_sum[0] = 0;
    for (int32_t i = 0; i < c->sum_days; i++) {
        bool prov = false;
        w += workday(c, c->sum_base + i, &prov);
        p += prov;
        c->work_sum[i + 1] = w;
        c->prov_sum[i + 1] = p;
    }
}

struct calendar *calendar_new(void)
{
    struct calendar *c = xcalloc(1, sizeof *c);

    c->count_makeup_days = true;
    c->sum_base = cal_day_from_ymd(SUM_FIRST_YEAR, 1, 1);
    c->sum_days = cal_day_from_ymd(SUM_LAST_YEAR, 12, 31) - c->sum_base + 1;
    c->work_sum = xmalloc(((size_t)c->sum_days + 1) * sizeof *c->work_sum);
    c->prov_sum = xmalloc(((size_t)c->sum_days + 1) * sizeof *c->prov_sum);
    sums_build(c);
    return c;
}

void calendar_destroy(struct calendar **c)
{
    if (c == NULL || *c == NULL)
        return;
    free((*c)->work_sum);
    free((*c)->prov_sum);
    free(*c);
    *c = NULL;
}

void calendar_set_count_makeup_days(struct calendar *c, bool on)
{
    c->count_makeup_days = on;
    sums_build(c);
}

bool calendar_count_makeup_days(const struct calendar *c)
{
    return c->count_makeup_days;
}

int calendar_last_year(const struct calendar *c)
{
    return c->last_year;
}

/* The notice year that decides a date: see calendar.h. */
static int notice_year(int y, int m)
{
    return m == 12 ? y + 1 : y;
}

bool calendar_covers(const struct calendar *c, int32_t day)
{
    int y, m, d;

    cal_ymd_from_day(day, &y, &m, &d);
    const struct cal_year *n = slot_get(c, notice_year(y, m));
    return n != NULL && n->loaded;
}

/* Fallback for a day whose notice is not loaded (timeliness.md, "Past the
 * calendar"): the fixed-date days of 《全国年节及纪念日放假办法》 (2024). */
static bool fallback_workday(int32_t day, int m, int d)
{
    if (cal_weekday(day) > 5)
        return false;
    if ((m == 1 && d == 1) || (m == 5 && d <= 2) || (m == 10 && d <= 3))
        return false;
    return true;
}

/* The one place that decides a day; sets *prov when the fallback did. */
static bool workday(const struct calendar *c, int32_t day, bool *prov)
{
    int y, m, d;

    cal_ymd_from_day(day, &y, &m, &d);
    const struct cal_year *n = slot_get(c, notice_year(y, m));
    if (n == NULL || !n->loaded) {
        *prov = true;
        return fallback_workday(day, m, d);
    }

    /* The notice is loaded, so y itself has a slot (it is at least
     * FIRST_SLOT because the notice year is at least CAL_MIN_YEAR). */
    const struct cal_year *cy = slot_get(c, y);
    int i = day_of_year(y, m, d);

    assert(cy != NULL);
    if (bit_get(cy->off, i))
        return false;
    if (bit_get(cy->work, i))
        return c->count_makeup_days;
    return cal_weekday(day) <= 5;
}

bool calendar_is_workday(const struct calendar *c, int32_t day)
{
    bool prov = false;

    return workday(c, day, &prov);
}

int32_t calendar_add_workdays(const struct calendar *c, int32_t day, int n,
                              const struct cal_pauses *pauses,
                              bool *provisional)
{
    size_t np = pauses ? pauses->count : 0, i = 0;
    bool prov = false;
    int32_t d = day;

    assert(n >= 0);
    assert(day != CAL_DAY_NONE && day != CAL_DAY_OPEN);

    while (n > 0) {
        assert(d < CAL_DAY_OPEN - 1);
        d++;
        while (i < np && pauses->span[i].last < d)
            i++;
        if (i < np && pauses->span[i].first <= d) {
            /* Inside a pause: jump to its last day; the loop steps past it.
             * An open pause never ends, so neither does the count. */
            if (pauses->span[i].last == CAL_DAY_OPEN)
                return CAL_DAY_NONE;
            d = pauses->span[i].last;
            continue;
        }
        if (workday(c, d, &prov))
            n--;
    }
    if (prov && provisional)
        *provisional = true;
    return d;
}

/* Working days in (a, b], a < b, without pauses; *prov as workday's. */
static int count_span(const struct calendar *c, int32_t a, int32_t b, bool *prov)
{
    int64_t lo = (int64_t)a + 1 - c->sum_base, hi = (int64_t)b + 1 - c->sum_base;
    if (lo >= 0 && hi <= c->sum_days) {
        if (c->prov_sum[hi] - c->prov_sum[lo] > 0)
            *prov = true;
        return c->work_sum[hi] - c->work_sum[lo];
    }
    int n = 0; /* outside the sums (never for the contract's dates): day by day */
    for (int32_t d = a + 1; d <= b; d++)
        n += workday(c, d, prov);
    return n;
}

int calendar_count_workdays(const struct calendar *c, int32_t from, int32_t to,
                            const struct cal_pauses *pauses,
                            bool *provisional)
{
    size_t np = pauses ? pauses->count : 0;
    bool prov = false;
    int n = 0;

    assert(from != CAL_DAY_NONE && to != CAL_DAY_NONE);
    if (to < from)
        return -calendar_count_workdays(c, to, from, pauses, provisional);

    /* The spans between pauses, from (from, to]; a pause that reaches to
     * ends the count. */
    int32_t d = from;
    for (size_t i = 0; i < np && d < to; i++) {
        const struct cal_span *sp = &pauses->span[i];
        if (sp->last <= d)
            continue;
        if (sp->first > to)
            break;
        if (sp->first - 1 > d)
            n += count_span(c, d, sp->first - 1, &prov);
        if (sp->last >= to) {
            d = to;
            break;
        }
        d = sp->last;
    }
    if (d < to)
        n += count_span(c, d, to, &prov);
    if (prov && provisional)
        *provisional = true;
    return n;
}

/* ---- loading ---------------------------------------------------------- */

/* Longest piece of an offending value quoted back in a message. */
#define QUOTE_MAX 40

static const char *skip_blank(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *trim_end(const char *start, const char *end)
{
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return end;
}

/* The next comma-separated field of [*p, end), blanks trimmed; advances *p
 * past the comma (or to end). */
static void next_field(const char **p, const char *end, const char **fs, const char **fe)
{
    const char *s = skip_blank(*p, end);
    const char *e = s;

    while (e < end && *e != ',')
        e++;
    *p = e < end ? e + 1 : end;
    *fs = s;
    *fe = trim_end(s, e);
}

static bool field_is(const char *s, const char *e, const char *word)
{
    size_t n = strlen(word);

    return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

/* How much of [s, e) to quote: at most QUOTE_MAX bytes, cut on a UTF-8
 * character boundary so the message stays valid text for JSON and logs. */
static int quote_len(const char *s, const char *e)
{
    int n = e - s > QUOTE_MAX ? QUOTE_MAX : (int)(e - s);

    if (n < e - s)
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    return n;
}

/* Parses one data line into the staging calendar. */
static int load_line(struct calendar *stage, int lineno, const char *s, const char *end,
                     char *err, size_t errlen)
{
    static const char *const wday_name[8] = {"", "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday", "Sunday"};
    const char *ds, *de, *ks, *ke, *p = s, *comma = s;
    char date[CAL_DATE_LEN], shown[CAL_DATE_LEN];
    int32_t day;
    int y, m, d;

    while (comma < end && *comma != ',')
        comma++;
    if (comma == end) {
        snprintf(err, errlen, "line %d: expected date,kind[,holiday], got \"%.*s\"",
                 lineno, quote_len(s, end), s);
        return -1;
    }
    next_field(&p, end, &ds, &de);
    next_field(&p, end, &ks, &ke);

    if (de - ds != 10) {
        snprintf(err, errlen, "line %d: date \"%.*s\" is not YYYY-MM-DD", lineno,
                 quote_len(ds, de), ds);
        return -1;
    }
    memcpy(date, ds, 10);
    date[10] = '\0';
    if (cal_parse_date(date, &day) != 0) {
        snprintf(err, errlen, "line %d: date \"%s\" is not a valid YYYY-MM-DD date", lineno,
                 date);
        return -1;
    }
    cal_ymd_from_day(day, &y, &m, &d);
    /* December belongs to the next notice, so the last accepted day is
     * 30 November of CAL_MAX_YEAR. */
    if (notice_year(y, m) < CAL_MIN_YEAR || notice_year(y, m) > CAL_MAX_YEAR) {
        snprintf(err, errlen,
                 "line %d: date %s is outside the notice years %d-%d (a December date "
                 "belongs to the next year's notice)",
                 lineno, date, CAL_MIN_YEAR, CAL_MAX_YEAR);
        return -1;
    }

    bool off;
    if (field_is(ks, ke, "off")) {
        off = true;
    } else if (field_is(ks, ke, "work")) {
        off = false;
    } else {
        snprintf(err, errlen, "line %d: kind \"%.*s\" is neither off nor work", lineno,
                 quote_len(ks, ke), ks);
        return -1;
    }

    /* A work row on a weekday changes nothing, so it is almost surely a
     * mistyped date whose intended Saturday or Sunday would be missed. */
    int wd = cal_weekday(day);
    if (!off && wd <= 5) {
        snprintf(err, errlen,
                 "line %d: %s is a %s; a work row must be a Saturday or Sunday",
                 lineno, cal_format_date(day, shown), wday_name[wd]);
        return -1;
    }

    struct cal_year *cy = slot(stage, y);
    int i = day_of_year(y, m, d);
    if (bit_get(cy->off, i) || bit_get(cy->work, i)) {
        snprintf(err, errlen, "line %d: %s is listed twice", lineno, date);
        return -1;
    }
    bit_put(off ? cy->off : cy->work, i, true);
    slot(stage, notice_year(y, m))->loaded = true;
    return 0;
}

/* Copies bits [from, to] of one slot's bitmaps to another's. */
static void copy_days(struct cal_year *dst, const struct cal_year *src, int from, int to)
{
    for (int i = from; i <= to; i++) {
        bit_put(dst->off, i, bit_get(src->off, i));
        bit_put(dst->work, i, bit_get(src->work, i));
    }
}

int calendar_load_csv(struct calendar *c, const char *text, char *err, size_t errlen)
{
    /* Parse into a scratch calendar so that a bad line leaves c as it was. */
    struct calendar *stage = calendar_new();
    const char *p = text;
    int lineno = 0, rows = 0, rc = -1;
    bool first = true;

    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        const char *s = skip_blank(p, end);
        const char *e = trim_end(s, end);

        lineno++;
        p = nl ? nl + 1 : end;
        if (s == e)
            continue;
        /* The header is optional, but if the first line looks like one
         * (its first field is "date") it must be one. */
        if (first) {
            const char *q = s, *fs, *fe;

            first = false;
            next_field(&q, e, &fs, &fe);
            if (field_is(fs, fe, "date")) {
                next_field(&q, e, &fs, &fe);
                if (!field_is(fs, fe, "kind")) {
                    snprintf(err, errlen,
                             "line %d: header \"%.*s\" does not start date,kind", lineno,
                             quote_len(s, e), s);
                    goto out;
                }
                continue;
            }
        }
        if (load_line(stage, lineno, s, e, err, errlen) != 0)
            goto out;
        rows++;
    }
    if (rows == 0) {
        snprintf(err, errlen, "no data rows (want lines YYYY-MM-DD,off|work)");
        goto out;
    }

    /* Commit: each notice year in the text replaces its days in c, that is
     * 1 January-30 November of N and December of N-1. */
    for (int n = CAL_MIN_YEAR; n <= CAL_MAX_YEAR; n++) {
        if (!slot(stage, n)->loaded)
            continue;
        copy_days(slot(c, n), slot(stage, n), 0, day_of_year(n, 11, 30));
        copy_days(slot(c, n - 1), slot(stage, n - 1), day_of_year(n - 1, 12, 1),
                  day_of_year(n - 1, 12, 31));
        slot(c, n)->loaded = true;
        if (n > c->last_year)
            c->last_year = n;
    }
    sums_build(c);
    rc = 0;
out:
    calendar_destroy(&stage);
    return rc;
}
