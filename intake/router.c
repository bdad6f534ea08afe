/* router — intake's sockets: the ROUTER publishers send to, the feed's PUB,
 * the ROUTER's connection monitor (see router.h). */
#include "router.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "curve.h"
#include "day.h"
#include "feed.h"
#include "hash.h"
#include "log.h"

#define MONITOR_ENDPOINT "inproc://gongkai-intake-monitor"

/* The routing id of a message as text, the key of in->dropped. */
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
 * lost a message this way is dropped from then on (in->dropped): a later
 * message on it must not be validated before the lost one, which its
 * publisher will resend — in order, on a new connection. Forgotten once
 * nothing was dropped for DROPPED_FORGET_US with the database back. */
#define DROPPED_FORGET_US (60 * 1000000LL)

static void drop_message(struct intake *in, zmq_msg_t *first)
{
    zmq_msg_t part;
    int more = zmq_msg_more(first);
    zmq_msg_close(first);
    while (more) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, in->router, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    in->drops++;
    in->last_drop_us = day_mono_us();
}

void router_drop_while_away(struct intake *in)
{
    if (!in->away) {
        log_warn("database away: dropping what publishers send, unanswered; they resend",
                 "head_seq=%llu", (unsigned long long)in->head);
        in->away = 1;
        in->drops = 0;
    }
    for (int k = 0; k < 100000; k++) {
        zmq_msg_t rid;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, in->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            break;
        }
        map_put(in->dropped, route_key(&rid), NULL);
        drop_message(in, &rid);
    }
}

/* store_set_waiter's wait while the database is away: rather than sleep,
 * keep dropping what arrives (a sleep of up to 2 s let a burst of resends
 * pile up in ZeroMQ first) and keep the heartbeat going. */
void router_wait_away(long ms, void *arg)
{
    struct intake *in = arg;
    int64_t until = day_mono_us() / 1000 + ms;
    for (int64_t now = day_mono_us() / 1000; now < until; now = day_mono_us() / 1000) {
        zmq_pollitem_t it = {in->router, 0, ZMQ_POLLIN, 0};
        long slice = until - now < 100 ? (long)(until - now) : 100;
        if (zmq_poll(&it, 1, slice) > 0)
            router_drop_while_away(in);
        if (*in->stop)
            return;
        static int64_t last_hb;
        if (now - last_hb >= HEARTBEAT_MS) {
            router_heartbeat(in);
            last_hb = now;
        }
    }
}

/* Back to normal: say what was dropped, and forget the connections after a
 * quiet while. */
void router_drops_settle(struct intake *in)
{
    if (in->away && store_connected(in->store)) {
        log_info("database back: messages read while it was away were dropped unanswered",
                 "messages=%llu", (unsigned long long)in->drops);
        in->away = 0;
    }
    if (map_count(in->dropped) && day_mono_us() - in->last_drop_us > DROPPED_FORGET_US)
        map_clear(in->dropped);
}

int router_receive(struct intake *in, struct msgrec **out)
{
    struct batch *b = &in->b;
    if (b->nmsgs == b->msgs_cap) {
        b->msgs_cap = b->msgs_cap ? 2 * b->msgs_cap : 64;
        b->msgs = xrealloc(b->msgs, b->msgs_cap * sizeof *b->msgs);
    }
    struct msgrec *m = &b->msgs[b->nmsgs];
    *out = NULL;
    m->nroute = 0;
    zmq_msg_t part;
    for (;;) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, in->router, m->nroute ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            for (size_t i = 0; i < m->nroute; i++)
                zmq_msg_close(&m->route[i]);
            return -1;
        }
        if (!m->nroute && map_count(in->dropped) && zmq_msg_more(&part) &&
            map_get(in->dropped, route_key(&part))) {
            drop_message(in, &part); /* its connection lost an earlier message */
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
    if (in->auth) {
        /* Bound to the key the handshake proved (ZAP put it in User-Id),
         * judged by the allowlist in force now. */
        const char *key = zmq_msg_gets(&part, "User-Id");
        m->ring = auth_keys(in->auth);
        m->who = keyring_find(m->ring, key);
        snprintf(m->identity, sizeof m->identity, "%s%s", m->who ? "" : "key:",
                 m->who ? m->who->name : key ? key : "?");
    }
    b->nmsgs++;
    in->stats.messages++;
    *out = m;
    return 0;
}

void router_heartbeat(struct intake *in)
{
    feed_heartbeat(in->pub, in->head, &in->stats);
}

/* Counts publisher connections from the ROUTER's monitor events: each
 * event is two frames, (uint16 event, uint32 value) then the endpoint. */
void router_drain_monitor(struct intake *in)
{
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, in->monitor, ZMQ_DONTWAIT) < 0) {
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
            zmq_msg_recv(&addr, in->monitor, 0);
            zmq_msg_close(&addr);
        }
        if (id == ZMQ_EVENT_ACCEPTED)
            in->stats.publishers++;
        else if (id == ZMQ_EVENT_DISCONNECTED && in->stats.publishers > 0)
            in->stats.publishers--;
        log_debug("publisher connection", "event=%s publishers=%u",
                  id == ZMQ_EVENT_ACCEPTED ? "accepted" : "disconnected", in->stats.publishers);
    }
}

int router_open(struct intake *in, void *ctx, struct curve_pair *pair, const char *ep_in,
                const char *ep_feed)
{
    in->pub = zmq_socket(ctx, ZMQ_PUB);
    in->router = zmq_socket(ctx, ZMQ_ROUTER);
    wire_socket_defaults(in->pub);
    wire_socket_defaults(in->router);
    int hwm = 100000, one = 1;
    zmq_setsockopt(in->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* Answers to one peer: a client within its window may have PEER_WINDOW
     * Submits of one entry each unanswered, and a ROUTER drops what passes
     * the HWM; room for those, and for refusals of whole messages. */
    int ack_hwm = 2 * PEER_WINDOW;
    zmq_setsockopt(in->router, ZMQ_SNDHWM, &ack_hwm, sizeof ack_hwm);
    zmq_setsockopt(in->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    in->monitor = zmq_socket(ctx, ZMQ_PAIR);
    if (zmq_socket_monitor(in->router, MONITOR_ENDPOINT, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) ||
        zmq_connect(in->monitor, MONITOR_ENDPOINT)) {
        log_error("cannot monitor the intake socket", "error=\"%s\"", zmq_strerror(errno));
        return -1;
    }
    if (pair) {
        int rc = curve_server(in->pub, pair, AUTH_DOMAIN_FEED) |
                 curve_server(in->router, pair, AUTH_DOMAIN_INTAKE);
        curve_wipe(pair); /* libzmq keeps its own copy */
        if (rc) {
            log_error("cannot set up CURVE", "error=\"%s\"", zmq_strerror(errno));
            return -1;
        }
    }
    if (zmq_bind(in->pub, ep_feed) || zmq_bind(in->router, ep_in)) {
        log_error("cannot bind", "intake=%s feed=%s error=\"%s\"", ep_in, ep_feed,
                  zmq_strerror(errno));
        return -1;
    }
    return 0;
}

