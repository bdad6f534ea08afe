/* timeliness — what the deadline rules need to know about every application,
 * and the figures derived from it: the open list and the year's timeliness
 * statistics (spec/timeliness.md, "Outputs").
 *
 * The ledger's 48-byte slot holds what the statutory tables need (receipt,
 * answer, applicant, and the extension total intake checks); it keeps ids as
 * 128-bit hashes only and cannot be walked by agency, while the open list
 * has to name applications. So this store keeps, per application:
 *   - a compact 24-byte record (agency, receipt and answer days, applicant,
 *     and the offset of its id in one append-only arena: ids never change,
 *     they are the key), about 60 bytes an application with the map slot
 *     and the id's bytes;
 *   - only for applications that had timeliness events, an extra record:
 *     补正 dates, extension grants, consultations, the article 35 date.
 * Every field keeps the day it happened, so the state at any past day (a
 * year's cut-off, ?as_of=) is a filter over it, not a replay.
 *
 * Events are corrections of earlier ones of their type ("the later one
 * wins"), except extension_granted, whose grants add up: intake limits the
 * total (see docs/timeliness.md for why).
 *
 * Nothing here is undone: the aggregator applies a batch's events here only
 * once the database transaction that records the batch has committed, and
 * tl_apply never fails. Not thread-safe for writing; readers may share it
 * under the caller's read lock. Figures are computed at query time, so a
 * calendar loaded later (`gongkai calendar load`) changes them at once.
 */
#ifndef GK_TIMELINESS_H
#define GK_TIMELINESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "calendar.h"
#include "deadline.h"
#include "event.h"

struct tl;

struct tl *tl_new(void);
void tl_destroy(struct tl **pt);

/* Applies one accepted event of the log; agency is the ledger's id for
 * e->agency. Events of other types are ignored. */
void tl_apply(struct tl *t, uint32_t agency, const struct ev *e);

/* Applications held, and bytes of memory they take. */
size_t tl_applications(const struct tl *t);
size_t tl_bytes(const struct tl *t);

/* Checkpoints (the aggregator's restart): the whole state appended to out
 * as bytes in this build's layout (TL_FORMAT names it: bump it when the
 * layout changes), and read back into an empty store (tl_new). Agencies are
 * the ledger's ids, so the store goes into the same checkpoint as the
 * ledger, taken at the same seq. tl_load: 0, or -1 when the bytes are short
 * or bad (the store is then unusable: destroy it). The loaded store takes
 * no more memory than the one saved: ids, extras and their grants and
 * consultations are allocated to size. */
#define TL_FORMAT 1
void tl_save(const struct tl *t, struct buf *out);
int tl_load(struct tl *t, struct rd *in);

/* Which agencies a query covers: want[id] for id < n (ids the caller does
 * not know are simply not wanted); want NULL: every agency. */
struct tl_scope {
    const bool *want;
    uint32_t n;
};

/* One open application as of a day. */
struct tl_open {
    char id[EV_ID_MAX + 1];
    uint32_t agency;
    uint8_t applicant;      /* enum applicant */
    int32_t received;       /* calendar day numbers; CAL_DAY_NONE = none */
    enum dl_state state;    /* running, awaiting_supplement, in_consultation */
    int32_t due;            /* CAL_DAY_NONE while the clock is stopped */
    int left;               /* counted working days to due, negative when overdue */
    int elapsed;            /* counted working days used */
    int limit;              /* working days allowed, extensions included */
    bool provisional, overdue;
};

/* The applications open at the end of day asof (received by then, not
 * answered by then; later events left out), soonest due first; those with
 * no due date (clock stopped) after them, oldest first. *out is allocated
 * (free it); returns the count. Timelines the rules cannot read (events
 * that contradict one another) are left out and counted in *inconsistent
 * (may be NULL). */
size_t tl_open_list(const struct tl *t, const struct calendar *c, struct tl_scope scope,
                    int32_t asof, struct tl_open **out, size_t *inconsistent);

/* The order of tl_open_list (a total order): < 0, 0 or > 0. */
int tl_open_cmp(const struct tl_open *a, const struct tl_open *b);

/* Open and overdue as of asof, per agency: open[id], overdue[id] for
 * id < n (arrays of n, zeroed here). */
void tl_open_counts(const struct tl *t, const struct calendar *c, int32_t asof, uint32_t n,
                    uint64_t *open, uint64_t *overdue);

/* A copy of the applications in scope that were open at the end of asof
 * or answered from day from to asof: what tl_open_list, tl_open_counts and
 * tl_year_stats need for that day (from = asof + 1: the open ones only; for
 * a year's statistics, from = 1 January and asof = its cut-off). Taking it
 * is a walk and a copy, no deadline computation, so a reader can take it
 * under its lock and compute after unlocking (the aggregator's rule: no
 * request holds the counting back). Destroy it with tl_destroy; not a store
 * to apply events to or checkpoint. */
struct tl *tl_copy(const struct tl *t, struct tl_scope scope, int32_t from, int32_t asof);

#define TL_OLDEST 10

struct tl_year {
    int year;
    int32_t cutoff;              /* 31 December, or asof for the current year */
    /* Applications answered in the year (up to the cut-off). */
    uint64_t answered, on_the_spot, on_time, late;
    double median_days, mean_days; /* counted working days to answer */
    int max_days;
    uint64_t extended, extension_days;   /* applications extended; days granted */
    uint64_t supplement_requested, supplement_late; /* 补正 notices; sent late */
    uint64_t consulted, consultations;   /* applications; consultations held */
    /* At the cut-off. */
    uint64_t open, overdue;
    size_t noldest;
    struct tl_open oldest[TL_OLDEST];    /* oldest receipt first */
    uint64_t inconsistent;               /* left out: unreadable timelines */
};

/* The timeliness statistics of year for the agencies in scope, as known at
 * the end of day asof: the cut-off is the earlier of 31 December and asof. */
void tl_year_stats(const struct tl *t, const struct calendar *c, struct tl_scope scope, int year,
                   int32_t asof, struct tl_year *out);

#endif
