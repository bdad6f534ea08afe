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
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "alloc.h"
#include "buf.h"
#include "codec.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "hash.h"
#include "jsonl.h"
#include "ledger.h"
#include "log.h"
#include "map.h"
#include "store.h"
#include "wire.h"

#define BATCH_MAX_ENTRIES 4000  /* stop reading Submits once a batch holds this many entries */
#define BATCH_MAX_MSGS 1000     /* ... or this many messages */
#define PEER_WINDOW 2000        /* unacknowledged entries one connection may have (PROTOCOL.md) */
#define HEARTBEAT_MS 1000
#define MAX_ROUTE 4

/* One received message, kept until its batch is durable and acknowledged. */
struct msgrec {
    zmq_msg_t route[MAX_ROUTE];  /* routing frames to answer on */
    size_t nroute;
    zmq_msg_t body;              /* the Envelope bytes */
    char peer[96];               /* address/routing-id, for the rejection log */
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
    struct map *peers;           /* routing id → entries of that connection in this batch */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static struct {
    struct ledger *ledger;
    struct map *ids;             /* event_id → struct seen, for everything committed */
    struct store *store;
    void *router, *pub;
    uint64_t head;               /* last committed seq */
    struct batch b;
    uint64_t accepted, duplicates, rejected;
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

static void reject(struct msgrec *m, struct outcome *o, const char *code, const char *message,
                   const void *raw, size_t rawlen)
{
    o->status = GONGKAI__V1__STATUS__REJECTED;
    snprintf(o->code, sizeof o->code, "%s", code);
    snprintf(o->message, sizeof o->message, "%s", message);
    struct buf *r = &in.b.rejects;
    db_copy_text(r, m->peer, strlen(m->peer));
    buf_puts(r, "\t\\N\t");
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
    if (rc) {
        reject(m, &o, err.code, err.message, raw, rawlen);
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
    /* One COPY binary row: seq, event_id, type, agency, occurred_at, digest,
     * body, event, peer, identity. */
    char json[4096];
    size_t jlen = ev_to_json(&e, json, sizeof json); /* strlen: a valid event fits */
    const char *type = ev_type_names[e.type];
    struct buf *r = &b->events;
    db_bin_row(r, 10);
    db_bin_int8(r, (int64_t)seq);
    db_bin_bytes(r, e.event_id, strlen(e.event_id));
    db_bin_bytes(r, type, strlen(type));
    db_bin_bytes(r, e.agency, strlen(e.agency));
    db_bin_timestamptz(r, e.occurred_us);
    db_bin_int8(r, (int64_t)digest);
    db_bin_bytes(r, body, blen);
    db_bin_jsonb(r, json, jlen);
    db_bin_bytes(r, m->peer, strlen(m->peer));
    db_bin_null(r);
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
    size_t *inflight = map_put(in.b.peers, key128_of(0, 2, m->peer), NULL);
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
    b->nmsgs++;
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
                in.rejected++;
            } else {
                a->has_seq = 1, a->seq = o->seq;
                if (o->status == GONGKAI__V1__STATUS__ACCEPTED)
                    in.accepted++;
                else
                    in.duplicates++;
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

static void publish_feed(uint64_t first_seq)
{
    struct batch *b = &in.b;
    if (!b->nevents)
        return;
    ProtobufCBinaryData *evs = xcalloc(b->nevents, sizeof *evs);
    size_t off = 0;
    for (size_t i = 0; i < b->nevents; i++) {
        evs[i].data = (uint8_t *)b->bodies.data + off;
        evs[i].len = b->body_len[i];
        off += b->body_len[i];
    }
    Gongkai__V1__FeedBatch fb = GONGKAI__V1__FEED_BATCH__INIT;
    fb.has_first_seq = 1, fb.first_seq = first_seq;
    fb.n_events = b->nevents;
    fb.events = evs;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1, env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_FEED;
    env.feed = &fb;
    /* PUB never blocks: a slow subscriber loses messages and repairs from the log. */
    wire_send(in.pub, NULL, 0, &env, ZMQ_DONTWAIT);
    free(evs);
}

static void heartbeat(void)
{
    Gongkai__V1__Heartbeat hb = GONGKAI__V1__HEARTBEAT__INIT;
    hb.has_head_seq = 1, hb.head_seq = in.head;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1, env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    wire_send(in.pub, NULL, 0, &env, ZMQ_DONTWAIT);
}

/* Commits the staged batch; on success acknowledges and publishes it. On
 * failure the ledger is rolled back and the batch is validated again from
 * its messages once the database is back, until it commits or we stop. */
static void flush(void)
{
    struct batch *b = &in.b;
    for (;;) {
        uint64_t first = in.head + 1;
        enum store_result r = store_commit(in.store, &b->events, first, b->first_event_id,
                                           b->nevents, &b->rejects);
        if (r == STORE_OK) {
            ledger_commit(in.ledger);
            size_t i = 0;
            struct key128 k;
            struct seen *s;
            while ((s = map_next(b->ids, &i, &k)))
                *(struct seen *)map_put(in.ids, k, NULL) = *s;
            in.head += b->nevents;
            send_acks();
            publish_feed(first);
            log_debug("batch committed", "first_seq=%llu events=%zu messages=%zu",
                      (unsigned long long)first, b->nevents, b->nmsgs);
            batch_release();
            return;
        }
        ledger_rollback(in.ledger);
        batch_reset_staging();
        log_warn("batch not committed; will retry", "messages=%zu", b->nmsgs);
        if (stop_requested) {
            /* Nothing of this batch was acknowledged: publishers resend it. */
            batch_release();
            return;
        }
        while (store_reconnect(in.store)) {
            heartbeat();
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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char USAGE[] =
    "usage: gongkai-intake [OPTIONS]\n\n"
    "Receives events from department systems over ZeroMQ (ROUTER, protobuf\n"
    "gongkai.v1, see proto/PROTOCOL.md), validates each against the contract,\n"
    "commits them to PostgreSQL in batches, acknowledges each after its COMMIT,\n"
    "then publishes the committed events with their sequence numbers on the feed.\n"
    "SIGTERM finishes the batch in hand and exits 0.";

int main(int argc, char **argv)
{
    const char *db, *ep_in, *ep_feed, *level, *insecure;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo of the event log's database", &db},
        {"intake", "GONGKAI_INTAKE", "tcp://127.0.0.1:7101", "ROUTER endpoint to bind for events", &ep_in},
        {"feed", "GONGKAI_FEED", "tcp://127.0.0.1:7102", "PUB endpoint to bind for the feed", &ep_feed},
        {"log-level", "GONGKAI_LOG_LEVEL", "info", "debug, info, warn or error", &level},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext ZeroMQ, no key checks (local runs and tests)", &insecure},
        {0}};
    int i = config_parse("gongkai-intake", USAGE, opts, argc, argv);
    if (i != argc) {
        fprintf(stderr, "gongkai-intake: unexpected argument \"%s\" (see --help)\n", argv[i]);
        return 2;
    }
    if (log_parse_level(level) < 0) {
        fprintf(stderr, "gongkai-intake: --log-level \"%s\": use debug, info, warn or error\n", level);
        return 2;
    }
    log_set_level((enum log_level)log_parse_level(level));
    if (insecure && strcmp(insecure, "1") == 0)
        log_warn("GONGKAI_INSECURE=1: plaintext ZeroMQ, no key checks; for local runs and tests only", "%s", "");

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    in.ledger = ledger_new();
    in.ids = map_new(sizeof(struct seen));
    in.b.ids = map_new(sizeof(struct seen));
    in.b.peers = map_new(sizeof(size_t));
    in.store = store_new(db);
    int64_t head = store_open(in.store, in.ledger, in.ids, (volatile int *)&stop_requested);
    if (head < 0) {
        log_error("intake not started", "%s", "reason=\"no database or writer lock\"");
        return 1;
    }
    in.head = (uint64_t)head;

    void *ctx = zmq_ctx_new();
    in.pub = zmq_socket(ctx, ZMQ_PUB);
    in.router = zmq_socket(ctx, ZMQ_ROUTER);
    wire_socket_defaults(in.pub);
    wire_socket_defaults(in.router);
    int hwm = 100000, one = 1;
    zmq_setsockopt(in.pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(in.router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    if (zmq_bind(in.pub, ep_feed) || zmq_bind(in.router, ep_in)) {
        log_error("cannot bind", "intake=%s feed=%s error=\"%s\"", ep_in, ep_feed,
                  zmq_strerror(errno));
        return 1;
    }
    log_info("intake ready", "intake=%s feed=%s head_seq=%llu events=%zu", ep_in, ep_feed,
             (unsigned long long)in.head, map_count(in.ids));

    int64_t next_hb = now_ms();
    while (!stop_requested) {
        int64_t t = now_ms();
        if (t >= next_hb) {
            heartbeat();
            next_hb = t + HEARTBEAT_MS;
        }
        if (!store_connected(in.store)) {
            /* Do not read while the database is away: back-pressure. */
            store_reconnect(in.store);
            continue;
        }
        zmq_pollitem_t items[] = {{in.router, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 1, (long)(next_hb - t));
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        ledger_begin(in.ledger);
        while (in.b.nouts < BATCH_MAX_ENTRIES && in.b.nmsgs < BATCH_MAX_MSGS && receive_one() == 0)
            ;
        if (in.b.nmsgs)
            flush();
        else
            ledger_commit(in.ledger);
    }
    log_info("intake stopping", "accepted=%llu duplicate=%llu rejected=%llu head_seq=%llu",
             (unsigned long long)in.accepted, (unsigned long long)in.duplicates,
             (unsigned long long)in.rejected, (unsigned long long)in.head);
    zmq_close(in.router);
    zmq_close(in.pub);
    zmq_ctx_term(ctx);
    store_destroy(&in.store);
    ledger_destroy(&in.ledger);
    map_destroy(&in.ids);
    map_destroy(&in.b.ids);
    map_destroy(&in.b.peers);
    buf_free(&in.b.events);
    buf_free(&in.b.rejects);
    buf_free(&in.b.bodies);
    free(in.b.body_len);
    free(in.b.msgs);
    free(in.b.outs);
    return 0;
}
