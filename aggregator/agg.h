/* agg — the aggregator's shared state and its modules.
 *
 * One writer thread (main: feed, catch-up, query ROUTER) and libmicrohttpd's
 * threads (readers) share `struct agg` under one rwlock, and the rule is:
 * every field below `lock` is written only by the main thread, only under the
 * write lock, and read by other threads only under the read lock — except
 * http_requests and query_requests, which any thread increments with
 * __atomic_add_fetch and reads with __atomic_load_n, and applied, head and
 * last_event_us, which main stores with __atomic_store_n (under the write
 * lock) and /healthz loads without the lock. The writer holds the
 * write lock only while it changes memory, never across database I/O;
 * readers hold the read lock while they copy out what they need (for the
 * timeliness figures, the applications themselves: tl_copy), and compute
 * and render after unlocking. The lock prefers writers (main.c), so a stream of
 * dashboard requests cannot hold the feed back.
 */
#ifndef GK_AGG_H
#define GK_AGG_H
/* main.c owns the one struct agg and passes it to every module that reads
 * or writes it (follow_new, http_start, query_serve, the due_* and registry
 * calls): no file reaches it by name. state.c holds what reads it whole. The
 * files depend downward only: main → follow, http, query, due → state → lib. */

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ledger.h"
#include "metrics.h"
#include "tables.h"

struct registry;
struct releases;
struct sidedb;
struct calendar;
struct tl;

/* due.c's last count of the /metrics timeliness gauges (its own mutex,
 * taken before agg.lock; see open_counts). */
struct due_cache {
    pthread_mutex_t mu;
    int64_t until_us;          /* reuse until then (monotonic) */
    int32_t day;               /* the Beijing day counted for */
    int64_t calendar_version;  /* with that calendar */
    uint32_t n;                /* agencies counted */
    uint64_t *open, *overdue;
};

struct agg {
    struct due_cache *due_cache; /* set by agg_init; its own mutex, not agg.lock */
    struct sidedb *side;       /* the cold routes' connection (sidedb.h): set by main before
                                  threads, its own mutex, not agg.lock */
    struct auth *auth;         /* allowlist and ZAP handler; NULL when insecure (set before threads) */
    pthread_rwlock_t lock;     /* guards everything below */
    struct registry *registry; /* agency names and hierarchy (registry.c) */
    struct releases *releases; /* the newest release of each agency-year (releases.c) */
    struct ledger *ledger;     /* entity state and agency names */
    struct tables *live;       /* committed metrics: what reports show */
    struct tl *tl;             /* timeliness state of applications (lib/rules/timeliness.h) */
    struct calendar *calendar; /* working days: table calendar_day as last read (due.c) */
    int64_t calendar_version;  /* calendar_version.version of that read, -1 before */
    struct calendar **retired; /* calendars replaced since start: requests may still
                                  count in them off the lock (due.c); freed at exit */
    size_t nretired;
    bool count_makeup_days;    /* GONGKAI_COUNT_MAKEUP_DAYS (调休 weekend days count) */
    int debug_read_delay_ms;   /* GONGKAI_DEBUG_READ_DELAY_MS (tests; set before threads) */
    long debug_checkpoint_part; /* GONGKAI_DEBUG_CHECKPOINT_PART_BYTES (tests); 0: 64 MiB */
    uint64_t applied;          /* last seq applied and committed */
    uint32_t agencies;         /* ledger agency ids 0..agencies-1 have committed events: a
                                  batch not committed yet may have interned more */
    uint64_t head;             /* highest seq intake announced */
    int64_t last_event_us;     /* commit time of the last applied batch (wall clock) */
    /* counters for /metrics */
    uint64_t events_applied, batches_applied, catchups, feed_gaps, db_failures;
    uint64_t http_requests, query_requests; /* atomics: see the rule above */
    struct histo batch_events;   /* events per applied transaction */
    struct histo commit_seconds; /* BEGIN to COMMIT of each applied transaction */
    struct histo e2e_seconds;    /* intake read the event → its counters committed here */
    /* intake's counters from its last heartbeat (metrics.h) */
    struct intake_stats intake;
    int64_t intake_seen_us;      /* when that heartbeat arrived; 0: none yet */
    uint64_t intake_restarts;    /* heartbeats whose started_at_us changed */
};


/* Copies the report of (agency code, year) out under the read lock; with
 * subtree, the sum over the agency and its registered descendants. The
 * agency's display name (or "") goes to name, the applied seq to *applied
 * (both may be NULL). */
void agg_report(struct agg *st, const char *agency, int year, enum case_rule rule, int subtree, struct report *r,
                char *name, size_t name_cap, uint64_t *applied);

/* (agency, year) rendered in format fmt (enum render_format) into out, as
 * HTTP and the query endpoint serve it: agg_report, then render_report; the
 * JSON of an agency's own report (not a subtree's) ends with "released" and
 * "changed_since_release" when the year has a release (releases.h). */
void agg_render(struct agg *st, const char *agency, int year, enum case_rule rule, int subtree, int fmt,
                int64_t now_us, struct buf *out, uint64_t *applied);
/* 400-type validation shared by HTTP and the query endpoint: 0 ok, else
 * fills code/message. */
int agg_check_request(const char *agency, const char *year_text, int *year, char *code,
                      size_t code_cap, char *message, size_t message_cap);

/* ?as_of=YYYY-MM-DD (a Beijing date in the contract's years) → day number:
 * 0, or -1 with code bad_as_of and a message naming the value. */
int agg_check_as_of(const char *as_of, int32_t *day, char *code, size_t code_cap, char *message,
                    size_t message_cap);
/* Makes agg.lock prefer writers; call once in main before any thread starts. */
void agg_init(struct agg *st);

#endif
