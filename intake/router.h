/* router — intake's sockets (one thread: the caller's; see intake.h).
 *
 * Reads whole messages from the ROUTER into the batch's message records,
 * drops what arrives while the database is away (and later messages of a
 * connection that lost one: PROTOCOL.md's order), counts publisher
 * connections from the socket monitor, and sends the heartbeat on the feed.
 */
#ifndef GK_ROUTER_H
#define GK_ROUTER_H

#include "curve.h"
#include "intake.h"

/* Binds the feed's PUB and the ROUTER, with CURVE when pair is not NULL
 * (its secret wiped after: libzmq keeps its own copy), and connects the
 * ROUTER's monitor. 0, or -1 (logged). */
int router_open(struct intake *in, void *ctx, struct curve_pair *pair, const char *ep_in,
                const char *ep_feed);
/* Reads one whole message into the batch's next record: 0 when a message
 * was read (*out is its record, or NULL when it was dropped because its
 * connection lost an earlier one), -1 when none is waiting. */
int router_receive(struct intake *in, struct msgrec **out);
/* While the database is away: reads and drops what arrives, unanswered. */
void router_drop_while_away(struct intake *in);
/* store_set_waiter's wait (arg: the struct intake): drops what arrives and
 * keeps the heartbeat going for ms milliseconds, or until *stop. */
void router_wait_away(long ms, void *arg);
/* Back to normal after an outage: logs what was dropped; forgets the
 * connections that lost messages after a quiet minute. */
void router_drops_settle(struct intake *in);
/* Counts publisher connections from the monitor's waiting events. */
void router_drain_monitor(struct intake *in);
/* The head of the log and intake's counters on the feed. */
void router_heartbeat(struct intake *in);

#endif
