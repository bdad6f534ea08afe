/* releases — the newest release of each agency-year (sql/011), for the live
 * report's "released" and "changed_since_release" (issue 14).
 *
 * report_release is append-only, so its id only grows: on each tick the
 * counting thread reads the rows added since the last id it saw and puts
 * them in under the state's write lock (releases_refresh); readers look up
 * under the read lock (releases_find). One entry per released agency-year
 * (under 100 bytes): a country's releases fit in tens of MiB.
 */
#ifndef GK_RELEASES_H
#define GK_RELEASES_H

#include <libpq-fe.h>

#include "event.h"
#include "sha256.h"

struct agg;
struct releases;

struct release_mark {
    char agency[EV_AGENCY_MAX + 1];       /* whose */
    int year;
    int release;                          /* the newest release's number */
    int case_rule;                        /* enum case_rule it froze section 四 under */
    char tables_sha256[SHA256_HEX_LEN + 1]; /* render_tables_sha256 of its tables */
};

struct releases *releases_new(void);
void releases_destroy(struct releases **pr);
/* Counting thread only: reads the releases made since the last call. 0, or
 * -1 on a database error (logged by the caller; tried again next tick). */
int releases_refresh(struct agg *st, PGconn *c);
/* Under st->lock (read): 1 with *m filled when (agency, year) has a
 * release, else 0. */
int releases_find(const struct releases *r, const char *agency, int year, struct release_mark *m);

/* For /metrics: how many agency-years have a release, and how many of those
 * have tables that differ from what their newest release froze. Counting
 * renders each one's tables (tens of microseconds): the answer is kept for
 * RELEASES_COUNT_TTL_S, so a scrape costs that at most once a minute
 * whatever the country. Any thread; takes st->lock (read) itself, and a
 * mutex of its own for the cache. */
#define RELEASES_COUNT_TTL_S 60
void releases_count(struct agg *st, uint64_t *released, uint64_t *changed);

#endif
