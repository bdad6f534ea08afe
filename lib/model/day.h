/* day — timestamps and reporting days.
 *
 * Time is UTC inside (int64 microseconds since the epoch). The reporting day
 * of an event is its calendar date in China Standard Time (UTC+08:00, no
 * daylight saving), kept as a day number: days since 1970-01-01.
 */
#ifndef GK_DAY_H
#define GK_DAY_H

#include <stddef.h>
#include <stdint.h>

#define BEIJING_OFFSET_S (8 * 3600)

/* The years the contract counts (events.md): an event's reporting day (its
 * Beijing date), a deadline's due date, a report's year and a holiday
 * notice's year all lie in DAY_YEAR_MIN..DAY_YEAR_MAX. This is the one place
 * that says so; the rule is applied to the Beijing day, never to the year as
 * written in some other offset, so what is validated is what is counted and
 * the stored UTC form (day_format_utc) validates the same way on re-read. */
#define DAY_YEAR_MIN 1990
#define DAY_YEAR_MAX 2100

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
int32_t day_from_ymd(int y, int m, int d);
void day_to_ymd(int32_t day, int *y, int *m, int *d);
/* Year of a day number. */
int day_year(int32_t day);
/* 0 = Monday … 6 = Sunday. */
int day_weekday(int32_t day);

/* Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, one rule for each
 * edge (spec/events.md leaves them open; docs/choices.md):
 * 'T' or 't' and 'Z' or 'z' (RFC 3339 5.6), never a space; an offset is
 * required; 1 to 9 fractional digits, those past the sixth (finer than the
 * microsecond kept) must be 0; second 60 only as a leap second, 23:59:60 in
 * UTC, kept as 23:59:59.999999. On success stores UTC microseconds and the
 * year as written, returns 0; else -1. */
int day_parse_rfc3339(const char *s, int64_t *utc_us, int *year_written);
/* `YYYY-MM-DD` → day number; 0 ok, -1 bad. */
int day_parse_date(const char *s, int32_t *day);

/* Beijing reporting day of a UTC instant. */
int32_t day_beijing(int64_t utc_us);
/* 1 when day (a day number) lies in the years DAY_YEAR_MIN..DAY_YEAR_MAX. */
int day_in_range(int32_t day);
/* Canonical UTC RFC 3339 text of an instant: 2019-12-31T16:30:00Z (with
 * .ffffff only when there are microseconds). buf ≥ 32 bytes. */
void day_format_utc(int64_t utc_us, char *buf, size_t cap);
/* YYYY-MM-DD of a day number. buf ≥ 11 bytes. */
void day_format_date(int32_t day, char *buf, size_t cap);
/* Now, UTC microseconds. */
int64_t day_now_us(void);
/* A monotonic clock, microseconds: for timeouts and durations, never dates. */
int64_t day_mono_us(void);

#endif
