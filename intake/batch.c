/* batch — intake's batch: validate, stage, commit, acknowledge (see batch.h). */
#include "batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "codec.h"
#include "day.h"
#include "db.h"
#include "feed.h"
#include "hash.h"
#include "jsonl.h"
#include "log.h"
#include "logwrite.h"
#include "router.h"

static void outcome_push(struct intake *in, struct msgrec *m, const struct outcome *o)
{
    struct batch *b = &in->b;
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

static void reject(struct intake *in, struct msgrec *m, struct outcome *o, const char *code, const char *message,
                   const void *raw, size_t rawlen)
{
    o->status = GONGKAI__V1__STATUS__REJECTED;
    snprintf(o->code, sizeof o->code, "%s", code);
    snprintf(o->message, sizeof o->message, "%s", message);
    /* A flood of garbage from one connection must not fill the disk: past
     * PEER_RAW_ROWS rejections in one batch its rows keep code and message
     * but not the raw bytes (the bulk of a row). */
    struct peer_load *load = map_put(in->b.peers, key128_of(0, 2, m->peer), NULL);
    if (++load->rejected > PEER_RAW_ROWS)
        rawlen = 0;
    struct buf *r = &in->b.rejects;
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
    outcome_push(in, m, o);
}

/* Validates and stages one entry. */
static void process_entry(struct intake *in, struct msgrec *m, const Gongkai__V1__Entry *entry)
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
    if (in->auth && (!m->who || m->who->role != ROLE_PUBLISHER)) {
        /* Refused before validation: a key that may not write learns nothing more. */
        if (!m->who)
            snprintf(why, sizeof why, "key %s: not in the allowlist", m->identity);
        else if (m->who->role == ROLE_RETIRED)
            snprintf(why, sizeof why, "key \"%s\": removed from the allowlist", m->who->name);
        else
            snprintf(why, sizeof why, "key \"%s\": role %s may not submit events (publisher only)",
                     m->who->name, key_role_name(m->who->role));
        reject(in, m, &o, "forbidden", why, raw, rawlen);
        return;
    }
    if (rc) {
        reject(in, m, &o, err.code, err.message, raw, rawlen);
        return;
    }
    if (in->auth && !key_may_write(m->who, e.agency)) {
        char list[160];
        key_agencies_text(m->who, list, sizeof list);
        snprintf(why, sizeof why, "agency: \"%s\" is not among the agencies key \"%s\" may write (%s)",
                 e.agency, m->who->name, list);
        reject(in, m, &o, "forbidden", why, raw, rawlen);
        return;
    }
    uint8_t body[2048];
    size_t blen = codec_encode(&e, body, sizeof body);
    uint64_t digest = logwrite_digest(body, blen);
    struct key128 key = key128_of(0, 1, e.event_id);
    const struct seen *s = map_get(in->b.ids, key);
    if (!s)
        s = map_get(in->ids, key);
    if (s) {
        if (s->digest == digest) {
            o.status = GONGKAI__V1__STATUS__DUPLICATE;
            o.seq = s->seq;
            outcome_push(in, m, &o);
            return;
        }
        char msg[320];
        snprintf(msg, sizeof msg,
                 "event_id: \"%s\" was accepted as seq %llu with other content", e.event_id,
                 (unsigned long long)s->seq);
        reject(in, m, &o, "conflict", msg, raw, rawlen);
        return;
    }
    if (ledger_check(in->ledger, &e, &err)) {
        reject(in, m, &o, err.code, err.message, raw, rawlen);
        return;
    }
    struct ledger_change chg;
    ledger_apply(in->ledger, &e, &chg);
    struct batch *b = &in->b;
    uint64_t seq = in->head + b->nevents + 1;
    struct seen *ns = map_put(b->ids, key, NULL);
    ns->digest = digest;
    ns->seq = seq;
    if (!b->nevents)
        snprintf(b->first_event_id, sizeof b->first_event_id, "%s", e.event_id);
    logwrite_row(&b->events, seq, &e, digest, body, blen, m->peer, m->identity);
    if (b->nevents == b->body_cap) {
        b->body_cap = b->body_cap ? 2 * b->body_cap : 1024;
        b->body_len = xrealloc(b->body_len, b->body_cap * sizeof *b->body_len);
    }
    buf_append(&b->bodies, body, blen);
    b->body_len[b->nevents++] = blen;
    o.status = GONGKAI__V1__STATUS__ACCEPTED;
    o.seq = seq;
    outcome_push(in, m, &o);
}

void batch_validate(struct intake *in, struct msgrec *m)
{
    m->first_out = in->b.nouts;
    m->nouts = 0;
    size_t len = zmq_msg_size(&m->body);
    const void *data = zmq_msg_data(&m->body);
    struct outcome o = {0};
    if (len > WIRE_MAX_MSG) {
        char msg[160];
        snprintf(msg, sizeof msg, "message: %zu bytes, at most %u allowed", len, WIRE_MAX_MSG);
        reject(in, m, &o, "too_large", msg, data, len);
        return;
    }
    Envelope *env = wire_unpack(data, len);
    if (!env || env->body_case != GONGKAI__V1__ENVELOPE__BODY_SUBMIT) {
        reject(in, m, &o, "bad_protobuf",
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
    size_t *inflight = &((struct peer_load *)map_put(in->b.peers, key128_of(0, 2, m->peer), NULL))->inflight;
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
            reject(in, m, &eo, "too_many_in_flight", msg, raw->data, raw->len);
        }
        wire_free(env);
        return;
    }
    *inflight += sub->n_entries;
    if (sub->n_entries > WIRE_MAX_ENTRIES) {
        char msg[160];
        snprintf(msg, sizeof msg, "submit: %zu entries, at most %d allowed", sub->n_entries,
                 WIRE_MAX_ENTRIES);
        reject(in, m, &o, "too_large", msg, data, len);
    } else {
        for (size_t i = 0; i < sub->n_entries; i++)
            process_entry(in, m, sub->entries[i]);
    }
    wire_free(env);
}

static void batch_reset_staging(struct intake *in)
{
    struct batch *b = &in->b;
    b->nouts = 0;
    b->nevents = 0;
    b->first_event_id[0] = '\0';
    buf_reset(&b->events);
    buf_reset(&b->rejects);
    buf_reset(&b->bodies);
    map_clear(b->ids);
    map_clear(b->peers);
}

static void batch_release(struct intake *in)
{
    struct batch *b = &in->b;
    for (size_t i = 0; i < b->nmsgs; i++) {
        for (size_t k = 0; k < b->msgs[i].nroute; k++)
            zmq_msg_close(&b->msgs[i].route[k]);
        zmq_msg_close(&b->msgs[i].body);
        keyring_unref(&b->msgs[i].ring);
    }
    b->nmsgs = 0;
    batch_reset_staging(in);
}

static void send_acks(struct intake *in)
{
    struct batch *b = &in->b;
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
                intake_stats_reject(&in->stats, o->code);
            } else {
                a->has_seq = 1, a->seq = o->seq;
                if (o->status == GONGKAI__V1__STATUS__ACCEPTED)
                    in->stats.accepted++;
                else
                    in->stats.duplicate++;
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
        if (wire_send(in->router, m->route, m->nroute, &env, ZMQ_DONTWAIT) < 0)
            log_debug("ack not delivered", "peer=%s error=\"%s\"", m->peer, zmq_strerror(errno));
        free(acks);
        free(ptrs);
    }
}

/* Commits the staged batch; on success acknowledges and publishes it. On
 * failure the ledger is rolled back and the batch is validated again from
 * its messages once the database is back, until it commits or we stop. */
void batch_flush(struct intake *in)
{
    struct batch *b = &in->b;
    int tries = 0;
    for (;;) {
        uint64_t first = in->head + 1;
        int64_t t0 = day_mono_us();
        enum store_result r = store_commit(in->store, &b->events, first, b->first_event_id,
                                           b->nevents, &b->rejects);
        int64_t took_us = day_mono_us() - t0;
        if (r == STORE_OK) {
            histo_observe(&in->stats.commit_seconds, (double)took_us / 1e6, 1);
            histo_observe(&in->stats.batch_events, (double)b->nevents, 1);
            ledger_commit(in->ledger);
            size_t i = 0;
            struct key128 k;
            struct seen *s;
            while ((s = map_next(b->ids, &i, &k)))
                *(struct seen *)map_put(in->ids, k, NULL) = *s;
            in->head += b->nevents;
            send_acks(in);
            feed_batch(in->pub, first, b->bodies.data, b->body_len, b->nevents, b->received_us,
                       day_now_us());
            log_debug("batch committed", "first_seq=%llu events=%zu messages=%zu",
                      (unsigned long long)first, b->nevents, b->nmsgs);
            batch_release(in);
            return;
        }
        ledger_rollback(in->ledger);
        in->stats.commit_failures++;
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
            in->broken = 1;
            *in->stop = 1;
            batch_release(in);
            return;
        }
        batch_reset_staging(in);
        log_warn("batch not committed; will retry", "messages=%zu", b->nmsgs);
        if (*in->stop) {
            /* Nothing of this batch was acknowledged: publishers resend it. */
            batch_release(in);
            return;
        }
        if (store_connected(in->store)) {
            /* A transient refusal on a live connection (a deadlock, a full
             * disk): retried after a backoff, never in a tight loop, and
             * what arrives meanwhile is dropped as in an outage. */
            router_drop_while_away(in);
            router_wait_away(db_backoff_ms(tries < 10 ? tries : 10), in);
            tries++;
        }
        while (store_reconnect(in->store)) {
            router_heartbeat(in);
            router_drop_while_away(in);
            if (*in->stop) {
                /* Nothing of this batch was acknowledged: publishers resend it. */
                batch_release(in);
                return;
            }
        }
        ledger_begin(in->ledger);
        for (size_t m = 0; m < b->nmsgs; m++)
            batch_validate(in, &b->msgs[m]);
    }
}


void batch_free(struct intake *in)
{
    batch_release(in);
    map_destroy(&in->b.ids);
    map_destroy(&in->b.peers);
    buf_free(&in->b.events);
    buf_free(&in->b.rejects);
    buf_free(&in->b.bodies);
    free(in->b.body_len);
    free(in->b.msgs);
    free(in->b.outs);
}
