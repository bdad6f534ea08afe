/* store — intake's side of PostgreSQL: the event log's only writer.
 *
 * store_open() connects, takes the writer's advisory lock (a second intake on
 * the same database refuses to start) and reads the log back into the ledger
 * and the event_id index, so validation needs no round trip per event.
 * store_commit() writes one batch (events + rejections) in one transaction
 * and reports whether it is durable: STORE_OK only after the COMMIT result
 * came back; STORE_FAILED means it certainly did not commit and retrying may
 * help (the connection, a transient SQLSTATE); STORE_BROKEN means it did not
 * commit and the database refused it for a reason retrying cannot change
 * (logged with PostgreSQL's message and SQLSTATE): the caller stops. A lost
 * connection during COMMIT is resolved here by asking the database after
 * reconnecting whether the batch's first seq is there.
 */
#ifndef GK_STORE_H
#define GK_STORE_H

#include <signal.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "ledger.h"
#include "map.h"

/* Value of the event_id index: what decides duplicate versus conflict. */
struct seen {
    uint64_t digest;  /* hash64 of the canonical body */
    uint64_t seq;     /* where it is in the log */
};

struct store;

enum store_result { STORE_OK, STORE_FAILED, STORE_BROKEN };

/* stop: set by a signal handler; long waits for the database give up when it is. */
struct store *store_new(const char *conninfo, volatile sig_atomic_t *stop);
void store_destroy(struct store **ps);
/* Connects (retrying with backoff until stopped) and loads the log into ledger
 * and ids (key128(event_id) → struct seen). Returns the head seq, or -1 when
 * stopped or the log cannot be read to its end. */
int64_t store_open(struct store *s, struct ledger *ledger, struct map *ids);
/* 1 while connected. */
int store_connected(const struct store *s);
/* Reconnects with backoff (one attempt per call); 0 when connected. */
int store_reconnect(struct store *s);
/* How the backoff waits: wait(ms, arg) instead of sleeping, so the caller
 * can go on serving its sockets meanwhile (intake drops what arrives while
 * the database is away). NULL: sleep. */
void store_set_waiter(struct store *s, void (*wait)(long ms, void *arg), void *arg);
/* One transaction: COPY binary rows of event_log (first_seq … first_seq+nevents-1,
 * first_event_id naming the first) and of rejection. */
enum store_result store_commit(struct store *s, const struct buf *events, uint64_t first_seq,
                               const char *first_event_id, size_t nevents,
                               const struct buf *rejects);

#endif
