/* follow — keeps agg in step with the event log (zguide's Clone pattern).
 *
 * Subscribe first, then catch up from PostgreSQL by seq, then apply the feed,
 * discarding seq ≤ applied and going back to the database whenever the feed
 * shows a gap or a heartbeat announces a head beyond what was applied. Each
 * batch is applied in one transaction together with the cursor; memory is
 * changed only after that transaction commits.
 */
#ifndef GK_FOLLOW_H
#define GK_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

struct follow;

struct agg;
/* st is the aggregator's state (agg.h), which this module writes under its
 * lock rule; it must outlive f. */
struct follow *follow_new(struct agg *st, const char *conninfo);
void follow_destroy(struct follow **pf);
/* Connects, takes the aggregator's lock, rebuilds memory up to the stored
 * cursor. 0, or -1 when stopped before the database answered. From then on
 * *stop (SIGTERM) also ends every database retry loop: a batch that has not
 * committed is dropped whole, memory and cursor untouched. */
int follow_start(struct follow *f, volatile int *stop);
/* Applies log rows seq > applied until the end (or `limit` rows); returns
 * rows applied, -1 on database trouble. */
long follow_catch_up(struct follow *f, long limit);
/* Handles one feed message (Envelope bytes). */
void follow_feed(struct follow *f, const void *data, size_t len);
/* Commits what the feed delivered so far (call when the SUB is drained). */
void follow_flush(struct follow *f);
/* Called about once a second: catch up when behind the heartbeat's head;
 * take a checkpoint (in the background) when enough was applied. */
void follow_tick(struct follow *f);
/* Stores a checkpoint of the current state now (at shutdown). */
void follow_checkpoint(struct follow *f);
/* 1 after a failure that retrying cannot mend (logged): a batch the database
 * refuses for good, or a log row this build cannot read. The caller stops
 * and exits non-zero instead of looping. */
int follow_broken(const struct follow *f);

#endif
