/* batch — intake's batch (one thread: the caller's; see intake.h).
 *
 * Each message read is validated at once, entry by entry, against the
 * contract, the allowlist, the event_id index and the ledger (changed under
 * ledger_begin, so a failed commit can be undone); accepted events become
 * COPY rows, refused ones rejection rows, and every entry gets exactly one
 * outcome. batch_flush commits the rows in one transaction (store.c), then
 * acknowledges each message and publishes the events on the feed. Nothing
 * is acknowledged before its COMMIT result came back.
 */
#ifndef GK_BATCH_H
#define GK_BATCH_H

#include "intake.h"

/* Validates one received message: every entry gets exactly one outcome. */
void batch_validate(struct intake *in, struct msgrec *m);
/* Commits the staged batch; on success acknowledges and publishes it. On
 * failure the ledger is rolled back and the batch validated again from its
 * messages once the database is back, until it commits or *stop; on a
 * permanent refusal sets in->broken and *stop. The batch is empty after. */
void batch_flush(struct intake *in);
/* Releases the batch's messages and memory (at exit). */
void batch_free(struct intake *in);

#endif
