/* logwrite — the stored form of one accepted event: its row of event_log.
 *
 * intake is the log's only writer in production; the benchmark fills a log
 * the same way (bench/loadgen fill) so that what intake reads back at start
 * is exactly what it would have written. Rows are COPY (FORMAT binary) rows
 * for LOGWRITE_COPY; db_copy_in_binary() sends them. No state, any thread.
 */
#ifndef GK_LOGWRITE_H
#define GK_LOGWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"

#define LOGWRITE_COPY                                                                              \
    "COPY event_log (seq, event_id, type, agency, occurred_at, digest, body, event, peer, "      \
    "identity) FROM STDIN (FORMAT binary)"

/* The digest that decides duplicate versus conflict: a fixed-key hash of the
 * canonical encoding (codec_encode), so it is the same after a restart. */
uint64_t logwrite_digest(const void *body, size_t blen);

/* Appends event e's row: seq, event_id, type, agency, occurred_at, digest,
 * body (the canonical encoding, blen bytes), event (its JSON), peer,
 * identity ("" = none: NULL). e must be valid (ev_finish passed). */
void logwrite_row(struct buf *rows, uint64_t seq, const struct ev *e, uint64_t digest,
                  const void *body, size_t blen, const char *peer, const char *identity);

#endif
