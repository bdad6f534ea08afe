/* logread — reads the event log back in seq order, in chunks.
 *
 * Used by intake at start (to rebuild its ledger and event_id index), by the
 * aggregator (rebuild and catch-up) and by `gongkai verify` (a fresh fold).
 * Rows come back decoded; a hole in seq or an undecodable body ends the chunk
 * early, logged, so callers never apply past a problem; a chunk that would
 * start at one returns LOGREAD_BAD. That cannot come from events intake
 * accepted (their stored form reads back the same: fuzz_decode proves it),
 * only from a log written by another program or an older build: callers say
 * which seq and stop (proto/PROTOCOL.md, Failures, gives the procedure).
 */
#ifndef GK_LOGREAD_H
#define GK_LOGREAD_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct logrow {
    uint64_t seq;
    uint64_t digest;   /* event_log.digest */
    struct ev ev;
};

#define LOGREAD_BAD (-2)

/* Reads up to limit rows with seq > after into *rows (grown as needed; the
 * caller frees). Returns the number read (0 at the end), -1 on a database
 * error (logged: retry), or LOGREAD_BAD when row after+1 is missing or cannot
 * be decoded (logged with its seq and why: do not retry). */
long logread_chunk(PGconn *c, uint64_t after, long limit, struct logrow **rows, size_t *cap);

/* One agency's events that occurred before before_us (UTC microseconds),
 * seq > after, in seq order, at most limit: the number read (0 at the end),
 * -1 on a database error, LOGREAD_BAD when a row cannot be decoded (all
 * logged). For the tables as of a day (?as_of=). */
long logread_agency_chunk(PGconn *c, const char *agency, int64_t before_us, uint64_t after, long limit,
                          struct logrow **rows, size_t *cap);

/* A stream of chunks read ahead: while the caller applies one chunk, a
 * thread of the stream's own reads and decodes the next (PostgreSQL sends
 * rows, libpq and the decoder run, the caller folds: on two cores, at once).
 * From logread_stream_new to logread_stream_destroy the connection belongs
 * to the stream's thread: the caller must not use it in between. One
 * consumer: the thread that made the stream. At most two chunks of rows are
 * held (2 x chunk x sizeof(struct logrow)). */
struct logread_stream;

/* Rows with seq > after, up to and including seq `to` (0: to the end of the
 * log as the reads find it), chunk rows at a time. */
struct logread_stream *logread_stream_new(PGconn *c, uint64_t after, uint64_t to, long chunk);
/* The next chunk, in *rows (valid until the next call or destroy). Returns
 * as logread_chunk: n > 0 rows, 0 at the end (or at `to`), -1 on a database
 * error, LOGREAD_BAD; from the first value ≤ 0 on, every call returns it. */
long logread_stream_next(struct logread_stream *s, const struct logrow **rows);
/* Stops the reader (waiting for a read under way) and frees the stream; the
 * connection is the caller's again. NULL-safe; sets *ps to NULL. */
void logread_stream_destroy(struct logread_stream **ps);

/* The log's head (max seq, 0 when empty), or -1. */
int64_t logread_head(PGconn *c);

#endif
