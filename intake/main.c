/* gongkai-intake — validates events, commits them, then acknowledges them.
 *
 * One thread, one loop (proto/PROTOCOL.md):
 *
 *   read every Submit waiting on the ROUTER (up to a batch) → validate each
 *   entry against the contract and the ledger → one transaction for the
 *   batch → after the COMMIT result: acks to each sender, then the batch on
 *   the PUB feed with its sequence numbers; a heartbeat with the head every
 *   second.
 *
 * Group commit comes from the loop itself: while one COMMIT waits for the
 * disk, new Submits queue in ZeroMQ and form the next batch. When the
 * database is away nothing is read, so ZeroMQ's high-water marks push back
 * on publishers instead of intake buffering without bound. A failed batch is
 * rolled back in memory (ledger undo) and processed again from its raw
 * messages once the database is back: the same events, the same order.
 *
 * Intake has no HTTP port: its counters travel in the heartbeat and the
 * aggregator exports them (lib/transport/metrics.h). A socket monitor on the ROUTER
 * counts open publisher connections.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "alloc.h"
#include "auth.h"
#include "buf.h"
#include "codec.h"
#include "config.h"
#include "curve.h"
#include "day.h"
#include "db.h"
#include "event.h"
#include "feed.h"
#include "hash.h"
#include "jsonl.h"
#include "ledger.h"
#include "log.h"
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
#define MONITOR_ENDPOINT "inproc://gongkai-intake-monitor"

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

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        auth_request_reload();
    else
        stop_requested = 1;
}

static struct {
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
} in;

static void outcome_push(struct msgrec *m, const struct outcome *o)
{
    struct batch *b = &in.b;
    if (b->nouts == b->outs_cap) {
        b->outs_cap = b->outs_cap ? 2 * b->outs_cap : 1024;
        b->outs = xrealloc(b->outs, b->outs_cap * sizeof *b->outs);
    }
    b->outs[b->nouts++] = *o;
    m->nouts++;
}

/* The identity column: the sender's key name, NULL when insecure. */
static void copy_identity(struct buf *b, const struct msgrec *m)
{
    if (m->identity[0])
        db_copy_text(b, m->identity, strlen(m->identity));
    else
        buf_puts(b, "\\N");
}

static void reject(struct msgrec *m, struct outcome *o, const char *code, const char *message,
                   const void *raw, size_t rawlen)
{
    o->status = GONGKAI__V1__STATUS__REJECTED;
    snprintf(o->code, sizeof o->code, "%s", code);
    snprintf(o->message, sizeof o->message, "%s", message);
    /* A flood of garbage from one connection must not fill the disk: past
     * PEER_RAW_ROWS rejections in one batch its rows keep code and message
     * but not the raw bytes (the bulk of a row). */
    struct peer_load *load = map_put(in.b.peers, key128_of(0, 2, m->peer), NULL);
    if (++load->rejected > PEER_RAW_ROWS)
        rawlen = 0;
    struct buf *r = &in.b.rejects;
    db_copy_text(r, m->peer, strlen(m->peer));
    buf_putc(r, '\t');
    copy_identity(r, m);
    buf_putc(r, '\t');
    if (o->event_id[0])
        db_copy_text(r, o->event_id, strlen(o->event_id));
    else
        buf_puts(r, "\\N");
    buf_putc(r, '\t');
    db_copy_text(r, code, strlen(code));
    buf_putc(r, '\t');
    db_copy_text(r, message, strlen(message));
    buf_putc(r, '\t');
    db_copy_bytea(r, raw, rawlen < WIRE_RAW_KEEP ? rawlen : WIRE_RAW_KEEP);
    buf_putc(r, '\n');
    outcome_push(m, o);
}

/* Validates and stages one entry. */
static void process_entry(struct msgrec *m, const Gongkai__V1__Entry *entry)
{
    struct outcome o = {0};
    o.ref = entry->ref;
    o.has_ref = entry->has_ref;
    struct ev e;
    struct ev_error err = {{0}, {0}};
    const void *raw;
    size_t rawlen;
    int rc;
    if (entry->has_json && !entry->has_event) {
        raw = entry->json.data, rawlen = entry->json.len;
        rc = jsonl_parse((const char *)raw, rawlen, &e, &err);
    } else if (entry->has_event && !entry->has_json) {
        raw = entry->event.data, rawlen = entry->event.len;
        rc = codec_decode(raw, rawlen, &e, &err);
    } else {
        raw = "", rawlen = 0;
        e.event_id[0] = '\0';
        rc = ev_fail(&err, "bad_protobuf", "entry: needs exactly one of event, json");
    }
    snprintf(o.event_id, sizeof o.event_id, "%s", e.event_id);
    char why[512];
    if (in.auth && (!m->who || m->who->role != ROLE_PUBLISHER)) {
        /* Refused before validation: a key that may not write learns nothing more. */
        if (!m->who)
            snprintf(why, sizeof why, "key %s: not in the allowlist", m->identity);
        else if (m->who->role == ROLE_RETIRED)
            snprintf(why, sizeof why, "key \"%s\": removed from the allowlist", m->who->name);
        else
            snprintf(why, sizeof why, "key \"%s\": role %s may not submit events (publisher only)",
                     m->who->name, key_role_name(m->who->role));
        reject(m, &o, "forbidden", why, raw, rawlen);
        return;
    }
    if (rc) {
        reject(m, &o, err.code, err.message, raw, rawlen);
        return;
    }
    if (in.auth && !key_may_write(m->who, e.agency)) {
        char list[160];
        key_agencies_text(m->who, list, sizeof list);
        snprintf(why, sizeof why, "agency: \"%s\" is not among the agencies key \"%s\" may write (%s)",
                 e.agency, m->who->name, list);
        reject(m, &o, "forbidden", why, raw, rawlen);
        return;
    }
    uint8_t body[2048];
    size_t blen = codec_encode(&e, body, sizeof body);
    uint64_t digest = hash64(body, blen, 0);
    struct key128 key = key128_of(0, 1, e.event_id);
    const struct seen *s = map_get(in.b.ids, key);
    if (!s)
        s = map_get(in.ids, key);
    if (s) {
        if (s->digest == digest) {
            o.status = GONGKAI__V1__STATUS__DUPLICATE;
            o.seq = s->seq;
            outcome_push(m, &o);
            return;
        }
        char msg[320];
        snprintf(msg, sizeof msg,
                 "event_id: \"%s\" was accepted as seq %llu with other content", e.event_id,
                 (unsigned long long)s->seq);
        reject(m, &o, "conflict", msg, raw, rawlen);
        return;
    }
    if (ledger_check(in.ledger, &e, &err)) {
        reject(m, &o, err.code, err.message, raw, rawlen);
        return;
    }
    struct ledger_change chg;
    ledger_apply(in.ledger, &e, &chg);
    struct batch *b = &in.b;
    uint64_t seq = in.head + b->nevents + 1;
    struct seen *ns = map_put(b->ids, key, NULL);
    ns->digest = digest;
    ns->seq = seq;
    if (!b->nevents)
        snprintf(b->first_event_id, sizeof b->first_event_id, "%s", e.event_id);
    store_event_row(&b->events, seq, &e, digest, body, blen, m->peer, m->identity);
    if (b->nevents == b->body_cap) {
        b->body_cap = b->body_cap ? 2 * b->body_cap : 1024;
        b->body_len = xrealloc(b->body_len, b->body_cap * sizeof *b->body_len);
    }
    buf_append(&b->bodies, body, blen);
    b->body_len[b->nevents++] = blen;
    o.status = GONGKAI__V1__STATUS__ACCEPTED;
    o.seq = seq;
    outcome_push(m, &o);
}

/* Validates one received message: every entry gets exactly one outcome. */
static void process_msg(struct msgrec *m)
{
    m->first_out = in.b.nouts;
    m->nouts = 0;
    size_t len = zmq_msg_size(&m->body);
    const void *data = zmq_msg_data(&m->body);
    struct outcome o = {0};
    if (len > WIRE_MAX_MSG) {
        char msg[160];
        snprintf(msg, sizeof msg, "message: %zu bytes, at most %u allowed", len, WIRE_MAX_MSG);
        reject(m, &o, "too_large", msg, data, len);
        return;
    }
    Envelope *env = wire_unpack(data, len);
    if (!env || env->body_case != GONGKAI__V1__ENVELOPE__BODY_SUBMIT) {
        reject(m, &o, "bad_protobuf",
               env ? "message: expected a Submit envelope"
                   : "message: not a gongkai.v1.Envelope of version 1",
               data, len);
        wire_free(env);
        return;
    }
    Gongkai__V1__Submit *sub = env->submit;
    /* The window: a connection may have PEER_WINDOW entries unacknowledged.
     * Intake acknowledges every batch before it reads more, so what this
     * connection has in the batch is what it has in flight here. */
    size_t *inflight = &((struct peer_load *)map_put(in.b.peers, key128_of(0, 2, m->peer), NULL))->inflight;
    if (sub->n_entries <= WIRE_MAX_ENTRIES && *inflight + sub->n_entries > PEER_WINDOW) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "submit: %zu more entries would exceed this connection's window of %d "
                 "unacknowledged entries",
                 sub->n_entries, PEER_WINDOW);
        for (size_t i = 0; i < sub->n_entries; i++) {
            struct outcome eo = {0};
            eo.ref = sub->entries[i]->ref;
            eo.has_ref = sub->entries[i]->has_ref;
            const ProtobufCBinaryData *raw =
                sub->entries[i]->has_event ? &sub->entries[i]->event : &sub->entries[i]->json;
            reject(m, &eo, "too_many_in_flight", msg, raw->data, raw->len);
        }
        wire_free(env);
        return;
    }
    *inflight += sub->n_entries;
    if (sub->n_entries > WIRE_MAX_ENTRIES) {
        char msg[160];
        snprintf(msg, sizeof msg, "submit: %zu entries, at most %d allowed", sub->n_entries,
                 WIRE_MAX_ENTRIES);
        reject(m, &o, "too_large", msg, data, len);
    } else {
        for (size_t i = 0; i < sub->n_entries; i++)
            process_entry(m, sub->entries[i]);
    }
    wire_free(env);
}

/* The routing id of a message as text, the key of in.dropped. */
static struct key128 route_key(const zmq_msg_t *rid)
{
    char hex[2 * 256 + 1];
    const unsigned char *p = zmq_msg_data((zmq_msg_t *)rid);
    size_t n = zmq_msg_size((zmq_msg_t *)rid);
    for (size_t i = 0; i < n && i < 256; i++)
        snprintf(hex + 2 * i, 3, "%02x", p[i]);
    hex[2 * (n < 256 ? n : 256)] = '\0';
    return key128_of(0, 3, hex);
}

/* While the database is away intake cannot answer, and not reading is not
 * enough: a publisher that hears nothing reconnects and resends on a new
 * connection, and the messages it left queued on the old one would stay in
 * ZeroMQ's memory for as long as intake does not read them (they grew ~125
 * KB/s with four publishers). So intake reads what arrives and drops it,
 * unanswered: nothing is acknowledged, publishers resend. A connection that
 * lost a message this way is dropped from then on (in.dropped): a later
 * message on it must not be validated before the lost one, which its
 * publisher will resend — in order, on a new connection. Forgotten once
 * nothing was dropped for DROPPED_FORGET_US with the database back. */
#define DROPPED_FORGET_US (60 * 1000000LL)

static void drop_message(zmq_msg_t *first)
{
    zmq_msg_t part;
    int more = zmq_msg_more(first);
    zmq_msg_close(first);
    while (more) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, in.router, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    in.drops++;
    in.last_drop_us = day_mono_us();
}

static void drop_while_away(void)
{
    if (!in.away) {
        log_warn("database away: dropping what publishers send, unanswered; they resend",
                 "head_seq=%llu", (unsigned long long)in.head);
        in.away = 1;
        in.drops = 0;
    }
    for (int k = 0; k < 100000; k++) {
        zmq_msg_t rid;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, in.router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            break;
        }
        map_put(in.dropped, route_key(&rid), NULL);
        drop_message(&rid);
    }
}

static void heartbeat(void);

/* store_set_waiter's wait while the database is away: rather than sleep,
 * keep dropping what arrives (a sleep of up to 2 s let a burst of resends
 * pile up in ZeroMQ first) and keep the heartbeat going. */
static void wait_away(long ms, void *arg)
{
    (void)arg;
    int64_t until = day_mono_us() / 1000 + ms;
    for (int64_t now = day_mono_us() / 1000; now < until; now = day_mono_us() / 1000) {
        zmq_pollitem_t it = {in.router, 0, ZMQ_POLLIN, 0};
        long slice = until - now < 100 ? (long)(until - now) : 100;
        if (zmq_poll(&it, 1, slice) > 0)
            drop_while_away();
        if (stop_requested)
            return;
        static int64_t last_hb;
        if (now - last_hb >= HEARTBEAT_MS) {
            heartbeat();
            last_hb = now;
        }
    }
}

/* Back to normal: say what was dropped, and forget the connections after a
 * quiet while. */
static void drops_settle(void)
{
    if (in.away && store_connected(in.store)) {
        log_info("database back: messages read while it was away were dropped unanswered",
                 "messages=%llu", (unsigned long long)in.drops);
        in.away = 0;
    }
    if (map_count(in.dropped) && day_mono_us() - in.last_drop_us > DROPPED_FORGET_US)
        map_clear(in.dropped);
}

/* Receives one whole message into a new msgrec; 0 when one was read. */
static int receive_one(void)
{
    struct batch *b = &in.b;
    if (b->nmsgs == b->msgs_cap) {
        b->msgs_cap = b->msgs_cap ? 2 * b->msgs_cap : 64;
        b->msgs = xrealloc(b->msgs, b->msgs_cap * sizeof *b->msgs);
    }
    struct msgrec *m = &b->msgs[b->nmsgs];
    m->nroute = 0;
    zmq_msg_t part;
    for (;;) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, in.router, m->nroute ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            for (size_t i = 0; i < m->nroute; i++)
                zmq_msg_close(&m->route[i]);
            return -1;
        }
        if (!m->nroute && map_count(in.dropped) && zmq_msg_more(&part) &&
            map_get(in.dropped, route_key(&part))) {
            drop_message(&part); /* its connection lost an earlier message */
            return 0;
        }
        if (!zmq_msg_more(&part))
            break;
        if (m->nroute < MAX_ROUTE) {
            m->route[m->nroute++] = part;
        } else {
            zmq_msg_close(&part); /* more routing frames than any client sends */
        }
    }
    m->body = part;
    const char *addr = zmq_msg_gets(&part, "Peer-Address");
    char rid[24] = "";
    if (m->nroute) {
        const unsigned char *p = zmq_msg_data(&m->route[0]);
        size_t n = zmq_msg_size(&m->route[0]);
        for (size_t i = 0; i < n && i < 8; i++)
            snprintf(rid + 2 * i, sizeof rid - 2 * i, "%02x", p[i]);
    }
    snprintf(m->peer, sizeof m->peer, "%s/%s", addr ? addr : "?", rid);
    if (!b->nmsgs)
        b->received_us = day_now_us();
    m->ring = NULL;
    m->who = NULL;
    m->identity[0] = '\0';
    if (in.auth) {
        /* Bound to the key the handshake proved (ZAP put it in User-Id),
         * judged by the allowlist in force now. */
        const char *key = zmq_msg_gets(&part, "User-Id");
        m->ring = auth_keys(in.auth);
        m->who = keyring_find(m->ring, key);
        snprintf(m->identity, sizeof m->identity, "%s%s", m->who ? "" : "key:",
                 m->who ? m->who->name : key ? key : "?");
    }
    b->nmsgs++;
    in.stats.messages++;
    process_msg(m);
    return 0;
}

static void batch_reset_staging(void)
{
    struct batch *b = &in.b;
    b->nouts = 0;
    b->nevents = 0;
    b->first_event_id[0] = '\0';
    buf_reset(&b->events);
    buf_reset(&b->rejects);
    buf_reset(&b->bodies);
    map_clear(b->ids);
    map_clear(b->peers);
}

static void batch_release(void)
{
    struct batch *b = &in.b;
    for (size_t i = 0; i < b->nmsgs; i++) {
        for (size_t k = 0; k < b->msgs[i].nroute; k++)
            zmq_msg_close(&b->msgs[i].route[k]);
        zmq_msg_close(&b->msgs[i].body);
        keyring_unref(&b->msgs[i].ring);
    }
    b->nmsgs = 0;
    batch_reset_staging();
}

static void send_acks(void)
{
    struct batch *b = &in.b;
    for (size_t i = 0; i < b->nmsgs; i++) {
        struct msgrec *m = &b->msgs[i];
        Gongkai__V1__Ack *acks = xcalloc(m->nouts ? m->nouts : 1, sizeof *acks);
        Gongkai__V1__Ack **ptrs = xcalloc(m->nouts ? m->nouts : 1, sizeof *ptrs);
        for (size_t k = 0; k < m->nouts; k++) {
            struct outcome *o = &b->outs[m->first_out + k];
            Gongkai__V1__Ack *a = &acks[k];
            gongkai__v1__ack__init(a);
            a->has_ref = o->has_ref, a->ref = o->ref;
            a->has_status = 1, a->status = o->status;
            if (o->status == GONGKAI__V1__STATUS__REJECTED) {
                a->code = o->code;
                a->message = o->message;
                intake_stats_reject(&in.stats, o->code);
            } else {
                a->has_seq = 1, a->seq = o->seq;
                if (o->status == GONGKAI__V1__STATUS__ACCEPTED)
                    in.stats.accepted++;
                else
                    in.stats.duplicate++;
            }
            if (o->event_id[0])
                a->event_id = o->event_id;
            ptrs[k] = a;
        }
        Gongkai__V1__Acks body = GONGKAI__V1__ACKS__INIT;
        body.n_acks = m->nouts;
        body.acks = ptrs;
        Envelope env = GONGKAI__V1__ENVELOPE__INIT;
        env.has_version = 1, env.version = WIRE_VERSION;
        env.body_case = GONGKAI__V1__ENVELOPE__BODY_ACKS;
        env.acks = &body;
        if (wire_send(in.router, m->route, m->nroute, &env, ZMQ_DONTWAIT) < 0)
            log_debug("ack not delivered", "peer=%s error=\"%s\"", m->peer, zmq_strerror(errno));
        free(acks);
        free(ptrs);
    }
}

static void heartbeat(void)
{
    feed_heartbeat(in.pub, in.head, &in.stats);
}

/* Commits the staged batch; on success acknowledges and publishes it. On
 * failure the ledger is rolled back and the batch is validated again from
 * its messages once the database is back, until it commits or we stop. */
static void flush(void)
{
    struct batch *b = &in.b;
    int tries = 0;
    for (;;) {
        uint64_t first = in.head + 1;
        int64_t t0 = day_mono_us();
        enum store_result r = store_commit(in.store, &b->events, first, b->first_event_id,
                                           b->nevents, &b->rejects);
        int64_t took_us = day_mono_us() - t0;
        if (r == STORE_OK) {
            histo_observe(&in.stats.commit_seconds, (double)took_us / 1e6, 1);
            histo_observe(&in.stats.batch_events, (double)b->nevents, 1);
            ledger_commit(in.ledger);
            size_t i = 0;
            struct key128 k;
            struct seen *s;
            while ((s = map_next(b->ids, &i, &k)))
                *(struct seen *)map_put(in.ids, k, NULL) = *s;
            in.head += b->nevents;
            send_acks();
            feed_batch(in.pub, first, b->bodies.data, b->body_len, b->nevents, b->received_us,
                       day_now_us());
            log_debug("batch committed", "first_seq=%llu events=%zu messages=%zu",
                      (unsigned long long)first, b->nevents, b->nmsgs);
            batch_release();
            return;
        }
        ledger_rollback(in.ledger);
        in.stats.commit_failures++;
        if (r == STORE_BROKEN) {
            char qid[300];
            /* Retrying would fail the same way, as fast as we can loop:
             * say what and stop. Nothing of the batch was acknowledged, so
             * publishers resend it to the next intake. */
            log_error("intake stops: the database refused a batch for good (see the error above)",
                      "first_seq=%llu first_event_id=\"%s\" events=%zu messages=%zu "
                      "action=\"nothing was acknowledged or lost; fix what PostgreSQL reports, "
                      "then start gongkai-intake again (proto/PROTOCOL.md, Failures)\"",
                      (unsigned long long)first, log_q(b->first_event_id, qid, sizeof qid),
                      b->nevents, b->nmsgs);
            in.broken = 1;
            stop_requested = 1;
            batch_release();
            return;
        }
        batch_reset_staging();
        log_warn("batch not committed; will retry", "messages=%zu", b->nmsgs);
        if (stop_requested) {
            /* Nothing of this batch was acknowledged: publishers resend it. */
            batch_release();
            return;
        }
        if (store_connected(in.store)) {
            /* A transient refusal on a live connection (a deadlock, a full
             * disk): retried after a backoff, never in a tight loop, and
             * what arrives meanwhile is dropped as in an outage. */
            drop_while_away();
            wait_away(db_backoff_ms(tries < 10 ? tries : 10), NULL);
            tries++;
        }
        while (store_reconnect(in.store)) {
            heartbeat();
            drop_while_away();
            if (stop_requested) {
                /* Nothing of this batch was acknowledged: publishers resend it. */
                batch_release();
                return;
            }
        }
        ledger_begin(in.ledger);
        for (size_t m = 0; m < b->nmsgs; m++)
            process_msg(&b->msgs[m]);
    }
}

/* Counts publisher connections from the ROUTER's monitor events: each
 * event is two frames, (uint16 event, uint32 value) then the endpoint. */
static void drain_monitor(void)
{
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, in.monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return;
        }
        uint16_t id = 0;
        if (zmq_msg_size(&ev) >= sizeof id)
            memcpy(&id, zmq_msg_data(&ev), sizeof id);
        int more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        if (more) {
            zmq_msg_init(&addr);
            zmq_msg_recv(&addr, in.monitor, 0);
            zmq_msg_close(&addr);
        }
        if (id == ZMQ_EVENT_ACCEPTED)
            in.stats.publishers++;
        else if (id == ZMQ_EVENT_DISCONNECTED && in.stats.publishers > 0)
            in.stats.publishers--;
        log_debug("publisher connection", "event=%s publishers=%u",
                  id == ZMQ_EVENT_ACCEPTED ? "accepted" : "disconnected", in.stats.publishers);
    }
}

static const char USAGE[] =
    "usage: gongkai-intake [OPTIONS]\n\n"
    "Receives events from department systems over ZeroMQ (ROUTER, protobuf\n"
    "gongkai.v1, see proto/PROTOCOL.md), validates each against the contract,\n"
    "commits them to PostgreSQL in batches, acknowledges each after its COMMIT,\n"
    "then publishes the committed events with their sequence numbers on the feed.\n"
    "SIGTERM finishes the batch in hand and exits 0; SIGHUP re-reads the allowlist.\n\n"
    "Both endpoints use CURVE: --cert is intake's own key file (gongkai keygen intake),\n"
    "--keys the allowlist of the keys that may connect (docs/security.md). Each event\n"
    "is checked against the agencies its key may write.";

static const char NO_KEYS[] =
    "gongkai-intake: not started: CURVE needs a key pair and an allowlist.\n"
    "  gongkai keygen intake             # writes intake.key (secret, 0600) and intake.pub\n"
    "  export GONGKAI_CERT=intake.key    # or --cert\n"
    "  export GONGKAI_KEYS=allowlist     # or --keys: lines \"PUBLIC-KEY NAME ROLE [AGENCY...]\"\n"
    "Publishers need intake.pub (GONGKAI_INTAKE_KEY). For local tests only:\n"
    "GONGKAI_INSECURE=1 (plaintext, no key checks).\n";

/* The feed's PUB and the ROUTER, bound, with CURVE when pair is not NULL
 * (its secret wiped after: libzmq keeps its own copy), and a monitor of the
 * ROUTER's connections. 0, or -1 (logged). */
static int open_sockets(void *ctx, struct curve_pair *pair, const char *ep_in, const char *ep_feed)
{
    in.pub = zmq_socket(ctx, ZMQ_PUB);
    in.router = zmq_socket(ctx, ZMQ_ROUTER);
    wire_socket_defaults(in.pub);
    wire_socket_defaults(in.router);
    int hwm = 100000, one = 1;
    zmq_setsockopt(in.pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(in.router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    in.monitor = zmq_socket(ctx, ZMQ_PAIR);
    if (zmq_socket_monitor(in.router, MONITOR_ENDPOINT, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) ||
        zmq_connect(in.monitor, MONITOR_ENDPOINT)) {
        log_error("cannot monitor the intake socket", "error=\"%s\"", zmq_strerror(errno));
        return -1;
    }
    if (pair) {
        int rc = curve_server(in.pub, pair, AUTH_DOMAIN_FEED) |
                 curve_server(in.router, pair, AUTH_DOMAIN_INTAKE);
        curve_wipe(pair); /* libzmq keeps its own copy */
        if (rc) {
            log_error("cannot set up CURVE", "error=\"%s\"", zmq_strerror(errno));
            return -1;
        }
    }
    if (zmq_bind(in.pub, ep_feed) || zmq_bind(in.router, ep_in)) {
        log_error("cannot bind", "intake=%s feed=%s error=\"%s\"", ep_in, ep_feed,
                  zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Until SIGTERM or a permanent database error: heartbeats every
 * HEARTBEAT_MS, reads what publishers send into one batch, commits it and
 * answers (flush); while the database is away, drops what arrives. */
static void serve(void)
{
    int64_t next_hb = day_mono_us() / 1000;
    while (!stop_requested) {
        int64_t t = day_mono_us() / 1000;
        if (t >= next_hb) {
            heartbeat();
            next_hb = t + HEARTBEAT_MS;
        }
        if (!store_connected(in.store)) {
            drop_while_away();
            store_reconnect(in.store);
            continue;
        }
        drops_settle();
        zmq_pollitem_t items[] = {{in.router, 0, ZMQ_POLLIN, 0}, {in.monitor, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, (long)(next_hb - t));
        if (rc < 0 && errno != EINTR) {
            log_error("zmq_poll failed; stopping", "error=\"%s\"", zmq_strerror(errno));
            break;
        }
        if (rc > 0 && (items[1].revents & ZMQ_POLLIN))
            drain_monitor();
        if (rc <= 0 || !(items[0].revents & ZMQ_POLLIN))
            continue;
        ledger_begin(in.ledger);
        while (in.b.nouts < BATCH_MAX_ENTRIES && in.b.nmsgs < BATCH_MAX_MSGS && receive_one() == 0)
            ;
        if (in.b.nmsgs)
            flush();
        else
            ledger_commit(in.ledger);
    }
}

int main(int argc, char **argv)
{
    const char *db, *ep_in, *ep_feed, *level, *insecure, *cert, *keys;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo of the event log's database", &db},
        {"intake", "GONGKAI_INTAKE", "tcp://127.0.0.1:7101", "ROUTER endpoint to bind for events", &ep_in},
        {"feed", "GONGKAI_FEED", "tcp://127.0.0.1:7102", "PUB endpoint to bind for the feed", &ep_feed},
        {"log-level", "GONGKAI_LOG_LEVEL", "info", "debug, info, warn or error", &level},
        {"cert", "GONGKAI_CERT", NULL, "intake's secret key file (from gongkai keygen)", &cert},
        {"keys", "GONGKAI_KEYS", NULL, "allowlist file: PUBLIC-KEY NAME ROLE [AGENCY...] per line", &keys},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext ZeroMQ, no key checks (local runs and tests)", &insecure},
        {0}};
    int i = config_parse("gongkai-intake", USAGE, opts, argc, argv);
    if (config_service("gongkai-intake", i, argc, argv, level))
        return 2;
    int secure = !(insecure && strcmp(insecure, "1") == 0);
    struct curve_pair pair;
    if (!secure) {
        log_warn("GONGKAI_INSECURE=1: plaintext ZeroMQ, no key checks; for local runs and tests only", "%s", "");
    } else {
        char err[400];
        if (!cert || !keys) {
            fputs(NO_KEYS, stderr);
            return 2;
        }
        if (curve_load_pair(cert, &pair, err, sizeof err)) {
            log_error("intake not started: bad key file", "error=\"GONGKAI_CERT: %s\"", err);
            return 2;
        }
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    intake_stats_init(&in.stats, day_now_us());
    /* Ids are hashed under a random key (hash.h): a publisher cannot choose
     * colliding ones. */
    if (hash_key_random())
        log_warn("no randomness for the hash key; ids are hashed under a fixed key", "%s", "");
    in.ledger = ledger_new();
    in.ids = map_new(sizeof(struct seen));
    in.dropped = map_new(1);
    in.b.ids = map_new(sizeof(struct seen));
    in.b.peers = map_new(sizeof(struct peer_load));
    in.store = store_new(db, &stop_requested);
    int64_t head = store_open(in.store, in.ledger, in.ids);
    if (head < 0) {
        log_error("intake not started", "%s", "reason=\"no database or writer lock\"");
        return 1;
    }
    in.head = (uint64_t)head;

    void *ctx = zmq_ctx_new();
    /* The ZAP handler first: a CURVE socket bound without one admits any key. */
    if (secure && !(in.auth = auth_start(ctx, keys)))
        return 1;
    if (open_sockets(ctx, secure ? &pair : NULL, ep_in, ep_feed))
        return 1;
    store_set_waiter(in.store, wait_away, NULL);
    log_info("intake ready", "intake=%s feed=%s head_seq=%llu events=%zu curve=%s", ep_in, ep_feed,
             (unsigned long long)in.head, map_count(in.ids), secure ? "on" : "off");

    serve();
    log_info("intake stopping", "accepted=%llu duplicate=%llu rejected=%llu head_seq=%llu",
             (unsigned long long)in.stats.accepted, (unsigned long long)in.stats.duplicate,
             (unsigned long long)in.stats.rejected, (unsigned long long)in.head);
    zmq_socket_monitor(in.router, NULL, 0);
    zmq_close(in.monitor);
    zmq_close(in.router);
    zmq_close(in.pub);
    auth_stop(&in.auth);
    zmq_ctx_term(ctx);
    store_destroy(&in.store);
    ledger_destroy(&in.ledger);
    map_destroy(&in.ids);
    map_destroy(&in.dropped);
    map_destroy(&in.b.ids);
    map_destroy(&in.b.peers);
    buf_free(&in.b.events);
    buf_free(&in.b.rejects);
    buf_free(&in.b.bodies);
    free(in.b.body_len);
    free(in.b.msgs);
    free(in.b.outs);
    return in.broken ? 1 : 0;
}
