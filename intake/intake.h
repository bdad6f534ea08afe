/* intake — gongkai-intake's state, and what its modules share.
 *
 * One thread. main.c owns the one struct intake and passes it in:
 * router.c is the ROUTER side (receiving whole messages, dropping what
 * arrives while the database is away, the connection monitor, the
 * heartbeat), batch.c the batch (validating each entry against the contract
 * and the ledger, staging the rows, committing through store.c, then
 * acknowledging and publishing). Files depend downward only:
 * main → batch → router → this header → lib. The signal handler touches
 * nothing here but *stop.
 */
#ifndef GK_INTAKE_H
#define GK_INTAKE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "auth.h"
#include "buf.h"
#include "event.h"
#include "keys.h"
#include "ledger.h"
#include "map.h"
#include "metrics.h"
#include "store.h"
#include "wire.h"

#define BATCH_MAX_ENTRIES 4000  /* stop reading Submits once a batch holds this many entries */
#define BATCH_MAX_MSGS 1000     /* ... or this many messages */
#define PEER_WINDOW 2000        /* unacknowledged entries one connection may have (PROTOCOL.md) */
#define PEER_RAW_ROWS 100       /* rejections per connection and batch stored with their raw bytes */

/* What one connection has in the batch being built. */
struct peer_load {
    size_t inflight;             /* entries read, not yet acknowledged */
    size_t rejected;             /* of them rejected */
};
#define HEARTBEAT_MS 1000
#define MAX_ROUTE 4

/* One received message, kept until its batch is durable and acknowledged. */
struct msgrec {
    zmq_msg_t route[MAX_ROUTE];  /* routing frames to answer on */
    size_t nroute;
    zmq_msg_t body;              /* the Envelope bytes */
    char peer[96];               /* address/routing-id, for the rejection log */
    struct keyring *ring;        /* allowlist it was authorised with (a reference), or NULL */
    const struct key_entry *who; /* its sender's key in ring; NULL when insecure or unknown */
    char identity[KEY_NAME_MAX + 8]; /* key name (or "key:" Z85) for the logs; "" when insecure */
    size_t first_out, nouts;     /* its outcomes in batch.outs */
};

/* The answer for one entry. */
struct outcome {
    uint64_t ref;
    int has_ref;
    Gongkai__V1__Status status;
    char code[32];
    char message[320];
    uint64_t seq;
    char event_id[EV_ID_MAX + 1];
};

struct batch {
    struct msgrec *msgs;
    size_t nmsgs, msgs_cap;
    struct outcome *outs;
    size_t nouts, outs_cap;
    struct buf events;           /* COPY (FORMAT binary) rows for event_log */
    struct buf rejects;          /* COPY rows for rejection */
    struct buf bodies;           /* canonical encoded events, back to back (for the feed) */
    size_t *body_len;            /* length of each, in order */
    size_t nevents, body_cap;
    char first_event_id[EV_ID_MAX + 1];
    struct map *ids;             /* event_ids in this batch → struct seen */
    struct map *peers;           /* peer → struct peer_load, for this batch */
    int64_t received_us;         /* when its first message was read (wall clock) */
};

struct intake {
    struct ledger *ledger;
    struct map *ids;             /* event_id → struct seen, for everything committed */
    struct store *store;
    struct auth *auth;           /* NULL when insecure: no keys, no checks */
    void *router, *pub;
    void *monitor;               /* PAIR receiving the ROUTER's connection events */
    uint64_t head;               /* last committed seq */
    struct batch b;
    struct intake_stats stats;   /* sent with every heartbeat */
    int broken;                  /* stopped on a permanent database error: exit 1 */
    /* While the database is away (drop_while_away). */
    struct map *dropped;         /* routing ids whose messages were dropped → unused */
    int64_t last_drop_us;        /* monotonic: the last message dropped */
    uint64_t drops;              /* messages dropped in the current outage */
    int away;                    /* in an outage: said so, counting drops */
    volatile sig_atomic_t *stop; /* set by the signal handler: finish and return */
};

#endif
