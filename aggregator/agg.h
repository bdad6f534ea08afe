/* agg — the aggregator's shared state and its modules.
 *
 * One writer thread (main: feed, catch-up, query ROUTER) and libmicrohttpd's
 * threads (readers) share `struct agg` under one rwlock, and the rule is:
 * every field below `lock` is written only by the main thread, only under the
 * write lock, and read by other threads only under the read lock — except
 * http_requests and query_requests, which any thread increments with
 * __atomic_add_fetch and reads with __atomic_load_n. The writer holds the
 * write lock only while it changes memory, never across database I/O;
 * readers hold the read lock while they copy out what they render, and
 * render after unlocking. The lock prefers writers (main.c), so a stream of
 * dashboard requests cannot hold the feed back.
 */
#ifndef GK_AGG_H
#define GK_AGG_H

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
struct calendar;
struct tl;

struct agg {
    struct auth *auth;         /* allowlist and ZAP handler; NULL when insecure (set before threads) */
    pthread_rwlock_t lock;     /* guards everything below */
    struct registry *registry; /* agency names and hierarchy (registry.c) */
    struct ledger *ledger;     /* entity state and agency names */
    struct tables *live;       /* committed metrics: what reports show */
    struct tl *tl;             /* timeliness state of applications (lib/rules/timeliness.h) */
    struct calendar *calendar; /* working days: table calendar_day as last read (due.c) */
    int64_t calendar_version;  /* calendar_version.version of that read, -1 before */
    bool count_makeup_days;    /* GONGKAI_COUNT_MAKEUP_DAYS (调休 weekend days count) */
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

extern struct agg agg;

/* Copies the report of (agency code, year) out under the read lock; with
 * subtree, the sum over the agency and its registered descendants. The
 * agency's display name (or "") goes to name, the applied seq to *applied
 * (both may be NULL). */
void agg_report(const char *agency, int year, enum case_rule rule, int subtree, struct report *r,
                char *name, size_t name_cap, uint64_t *applied);

/* http.c. tokens_path: bearer tokens required for /v1/... (NULL: open). */
struct MHD_Daemon;
struct MHD_Daemon *http_start(const char *hostport, const char *tokens_path);
void http_stop(struct MHD_Daemon *d);
/* Re-reads the tokens file; the old tokens stay when the new file is bad. */
void http_reload_tokens(void);

/* 400-type validation shared by HTTP and the query endpoint: 0 ok, else
 * fills code/message. */
int agg_check_request(const char *agency, const char *year_text, int *year, char *code,
                      size_t code_cap, char *message, size_t message_cap);

/* due.c: the timeliness outputs (spec/timeliness.md) and the calendar.
 *
 * Re-reads calendar_day when calendar_version has moved (and at start) and
 * swaps the new calendar in under the write lock: 0, or -1 on a database
 * error or rows the loader refuses (the old calendar stays). */
int due_calendar_refresh(PGconn *c);
/* GET /v1/agencies/{agency}/open and /v1/reports/{agency}/{year}/timeliness:
 * 200 with JSON in out, or 400 with code and message. as_of, scope and limit
 * are the query parameters (NULL when absent). The open list names at most
 * limit applications (OPEN_LIST_DEFAULT; 1..OPEN_LIST_MAX), soonest due
 * first; "open" counts them all and "listed" says how many are named. */
#define OPEN_LIST_DEFAULT 1000
#define OPEN_LIST_MAX 100000
int due_open(const char *agency, const char *scope, const char *as_of, const char *limit,
             struct buf *out, char *code, size_t code_cap, char *message, size_t message_cap);
int due_report(const char *agency, const char *year, const char *scope, const char *as_of,
               struct buf *out, char *code, size_t code_cap, char *message, size_t message_cap);
/* Appends the per-agency open and overdue gauges to a /metrics body. */
void due_metrics(struct buf *out);

/* query.c: answers one message waiting on the ROUTER. */
void query_serve(void *router);

#endif
