/* calendar — civil day numbers and the PRC working-day calendar.
 *
 * Days are int32_t day numbers: days since 1970-01-01 in the proleptic
 * Gregorian calendar, a civil date with no time zone (the caller has already
 * turned a timestamp into a Beijing date). Day arithmetic is then plain
 * integer arithmetic and comparison.
 *
 * A struct calendar holds the State Council's holiday notices (data/
 * cn-workdays.csv): which weekdays are off and which weekend days are
 * make-up working days (调休). Each notice year is loaded whole, as one unit:
 *
 *   - A CSV row dated in December belongs to the NEXT year's notice. The 元旦
 *     arrangement of notice N can reach back into December of N-1 (the 2019
 *     notice made 2018-12-29 a working day and 2018-12-30/31 days off), and no
 *     festival of notice N falls in December of N. So notice N covers
 *     1 December N-1 … 30 November N.
 *   - Loading a CSV replaces every notice year it contains, rows and all, and
 *     leaves the other years alone (`gongkai calendar load FILE`).
 *   - A day whose notice is not loaded is decided by the fallback rule of
 *     timeliness.md: Monday to Friday minus 1-1, 5-1, 5-2, 10-1, 10-2, 10-3,
 *     and whatever is computed from it is provisional. That applies to days
 *     past the last loaded year and equally to days before the first (we
 *     know no more about 2018's 春节 than about 2027's). With 2019–2026 loaded,
 *     December 2026 is provisional too: the 2027 notice may still move it.
 *
 * Look-ups are O(1): two 366-bit bitmaps per calendar year.
 *
 * A calendar is not thread-safe for writing; any number of readers may share
 * one that is not being loaded. Loading is all-or-nothing: on error the
 * calendar is unchanged.
 */
#ifndef GK_CALENDAR_H
#define GK_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "day.h"

/* "No such day" (an unset date, a due date not yet computable). */
#define CAL_DAY_NONE INT32_MIN
/* The last day of a pause that has not ended yet. */
#define CAL_DAY_OPEN INT32_MAX
/* "YYYY-MM-DD" plus the NUL. */
#define CAL_DATE_LEN 11

/* Years a calendar CSV may name: the years an event's occurred_at may carry
 * (events.md). Anything else is a typo, not a notice. */
#define CAL_MIN_YEAR DAY_YEAR_MIN
#define CAL_MAX_YEAR DAY_YEAR_MAX

/* ---- civil dates ------------------------------------------------------ */

/* Day number of y-m-d. The date must be valid (assert). */
int32_t cal_day_from_ymd(int y, int m, int d);
void cal_ymd_from_day(int32_t day, int *y, int *m, int *d);
/* ISO weekday: 1 = Monday … 7 = Sunday. */
int cal_weekday(int32_t day);
/* Parses exactly "YYYY-MM-DD" (years 0001–9999, a real date, nothing after).
 * Returns 0 and sets *day, or -1 and leaves *day alone. */
int cal_parse_date(const char *s, int32_t *day);
/* Writes "YYYY-MM-DD" into buf (at least CAL_DATE_LEN bytes); returns buf. */
char *cal_format_date(int32_t day, char *buf);

/* ---- pauses ----------------------------------------------------------- */

/* A closed span of days [first, last]; last may be CAL_DAY_OPEN. */
struct cal_span {
    int32_t first;
    int32_t last;
};

/* Days not counted (consultations). Spans must be sorted by first and must
 * not overlap: build them with cal_spans_merge. Borrowed, not owned. */
struct cal_pauses {
    const struct cal_span *span;
    size_t count;
};

/* Sorts spans and merges overlapping or touching ones, in place; *count
 * shrinks accordingly. Each span must have first <= last (assert). */
void cal_spans_merge(struct cal_span *spans, size_t *count);

/* ---- the calendar ----------------------------------------------------- */

struct calendar;

/* An empty calendar (every day decided by the fallback rule), with
 * count_makeup_days on. Free with calendar_destroy. */
struct calendar *calendar_new(void);
/* Frees *c and sets *c to NULL; NULL or *c == NULL is fine. */
void calendar_destroy(struct calendar **c);

/* Loads CSV text of the form of data/cn-workdays.csv: an optional header
 * line starting "date,kind", then "YYYY-MM-DD,off|work[,label]" lines
 * (blank lines, CRLF and a UTF-8 BOM are tolerated; the label is ignored).
 * Every notice year present replaces that year's previous rows. Returns 0,
 * or -1 with a message naming the line in err and the calendar unchanged. */
int calendar_load_csv(struct calendar *c, const char *text, char *err, size_t errlen);

/* Whether 调休 weekend working days count as working days. On by default:
 * common practice, though no statute says so (timeliness.md). */
void calendar_set_count_makeup_days(struct calendar *c, bool on);
bool calendar_count_makeup_days(const struct calendar *c);

/* The newest notice year loaded, or 0 when none is. */
int calendar_last_year(const struct calendar *c);
/* Whether day's notice year is loaded, i.e. its status is not provisional. */
bool calendar_covers(const struct calendar *c, int32_t day);

/* Whether day is a working day under the current setting. */
bool calendar_is_workday(const struct calendar *c, int32_t day);

/* The n-th (n >= 0) counted working day strictly after day: the day itself
 * is not counted, nor is any day inside a pause (pauses may be NULL).
 * n == 0 returns day. Returns CAL_DAY_NONE if the count runs into an open
 * pause (it cannot end before the pause does). *provisional (may be NULL)
 * is set true if any day that decided the result had its status from the
 * fallback rule, and left alone otherwise: callers OR several results. */
int32_t calendar_add_workdays(const struct calendar *c, int32_t day, int n,
                              const struct cal_pauses *pauses,
                              bool *provisional);

/* Counted working days in (from, to], outside pauses; when to < from, minus
 * the count in (to, from]. So "left" = count(today, due) is negative once a
 * due date has passed. *provisional as for calendar_add_workdays. */
int calendar_count_workdays(const struct calendar *c, int32_t from, int32_t to,
                            const struct cal_pauses *pauses,
                            bool *provisional);

#endif
