/* logread — reads the event log back in seq order, in chunks.
 *
 * Used by intake at start (to rebuild its ledger and event_id index), by the
 * aggregator (rebuild and catch-up) and by `gongkai verify` (a fresh fold).
 * Rows come back decoded; a hole in seq or an undecodable body ends the chunk
 * early, logged, so callers never apply past a problem.
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

/* Reads up to limit rows with seq > after into *rows (grown as needed; the
 * caller frees). Returns the number read (0 at the end), or -1 on a database
 * error (logged). */
long logread_chunk(PGconn *c, uint64_t after, long limit, struct logrow **rows, size_t *cap);

/* The log's head (max seq, 0 when empty), or -1. */
int64_t logread_head(PGconn *c);

#endif
