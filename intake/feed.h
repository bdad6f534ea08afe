/* feed — intake's PUB side: committed batches and heartbeats (PROTOCOL.md).
 *
 * The feed is best-effort by design: PUB drops at its high-water mark and a
 * late subscriber misses the start, so nothing here may block or retry;
 * subscribers repair any gap from the event log. Both functions borrow their
 * arguments and keep nothing.
 */
#ifndef GK_FEED_H
#define GK_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/* Publishes the n canonical encoded events of one committed batch, back to
 * back in bodies with lengths lens[], as seq first_seq, first_seq+1, …
 * received_us/committed_us: when intake read the batch and when it
 * committed (the aggregator's end-to-end lag). */
void feed_batch(void *pub, uint64_t first_seq, const char *bodies, const size_t *lens, size_t n,
                int64_t received_us, int64_t committed_us);

/* Publishes the head of the log, with intake's counters for /metrics. */
void feed_heartbeat(void *pub, uint64_t head_seq, const struct intake_stats *stats);

#endif
