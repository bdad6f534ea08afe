/* serve — what the aggregator serves: HTTP (http.c), the timeliness outputs
 * (due.c) and the ZeroMQ report queries (query.c). Each reads the state
 * (agg.h) under its read lock; main.c starts and stops them. */
#ifndef GK_SERVE_H
#define GK_SERVE_H

#include <libpq-fe.h>

#include "buf.h"

struct agg;

/* http.c. tokens_path: bearer tokens required for /v1/... (NULL: open). */
struct MHD_Daemon;
struct MHD_Daemon *http_start(struct agg *st, const char *hostport, const char *tokens_path);
void http_stop(struct MHD_Daemon *d);
/* Re-reads the tokens file; the old tokens stay when the new file is bad. */
void http_reload_tokens(void);

/* due.c: the timeliness outputs (spec/timeliness.md) and the calendar.
 *
 * Re-reads calendar_day when calendar_version has moved (and at start) and
 * swaps the new calendar in under the write lock: 0, or -1 on a database
 * error or rows the loader refuses (the old calendar stays). */
int due_calendar_refresh(struct agg *st, PGconn *c);
/* GET /v1/agencies/{agency}/open and /v1/reports/{agency}/{year}/timeliness:
 * 200 with JSON in out, or 400 with code and message. as_of, scope and limit
 * are the query parameters (NULL when absent). The open list names at most
 * limit applications (OPEN_LIST_DEFAULT; 1..OPEN_LIST_MAX), soonest due
 * first; "open" counts them all and "listed" says how many are named.
 * Pages: "next" is a cursor when more follow (else null); ?after=CURSOR lists
 * those after it, in the same order, even if it has been answered since. */
#define OPEN_LIST_DEFAULT 1000
#define OPEN_LIST_MAX 100000
int due_open(struct agg *st, const char *agency, const char *scope, const char *as_of, const char *limit,
             const char *after,
             struct buf *out, char *code, size_t code_cap, char *message, size_t message_cap);
int due_report(struct agg *st, const char *agency, const char *year, const char *scope, const char *as_of,
               struct buf *out, char *code, size_t code_cap, char *message, size_t message_cap);
/* Appends the open and overdue gauges to a /metrics body: the totals, and
 * per agency for the top agencies by overdue (then open), so that a scrape
 * stays small with a country's agencies. METRICS_AGENCIES_DEFAULT of them
 * unless ?agencies=N or ?agencies=all; due_metrics_agencies parses that
 * (NULL: the default): 0, or -1 when it is neither. */
#define METRICS_AGENCIES_DEFAULT 100
int due_metrics_agencies(const char *text, uint32_t *top);
void due_metrics(struct agg *st, uint32_t top, struct buf *out);

/* query.c: answers one message waiting on the ROUTER. */
void query_serve(struct agg *st, void *router);

#endif
