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
 * disk, new Submits queue in ZeroMQ and form the next batch. While the
 * database is away what arrives is read and dropped unanswered (router.c):
 * publishers resend, and nothing piles up in intake or in ZeroMQ. A failed batch is
 * rolled back in memory (ledger undo) and processed again from its raw
 * messages once the database is back: the same events, the same order.
 *
 * The loop is here (serve); the ROUTER side is router.c, the batch batch.c,
 * the database store.c, the feed feed.c; the one state is struct intake
 * (intake.h), owned by main and passed in.
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
#include <zmq.h>

#include "auth.h"
#include "batch.h"
#include "config.h"
#include "curve.h"
#include "day.h"
#include "hash.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "map.h"
#include "router.h"
#include "store.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        auth_request_reload();
    else
        stop_requested = 1;
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

/* Until SIGTERM or a permanent database error: heartbeats every
 * HEARTBEAT_MS, reads what publishers send into one batch, commits it and
 * answers (flush); while the database is away, drops what arrives. */
static void serve(struct intake *in)
{
    int64_t next_hb = day_mono_us() / 1000;
    while (!*in->stop) {
        int64_t t = day_mono_us() / 1000;
        if (t >= next_hb) {
            router_heartbeat(in);
            next_hb = t + HEARTBEAT_MS;
        }
        if (!store_connected(in->store)) {
            router_drop_while_away(in);
            store_reconnect(in->store);
            continue;
        }
        router_drops_settle(in);
        zmq_pollitem_t items[] = {{in->router, 0, ZMQ_POLLIN, 0}, {in->monitor, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, (long)(next_hb - t));
        if (rc < 0 && errno != EINTR) {
            log_error("zmq_poll failed; stopping", "error=\"%s\"", zmq_strerror(errno));
            break;
        }
        if (rc > 0 && (items[1].revents & ZMQ_POLLIN))
            router_drain_monitor(in);
        if (rc <= 0 || !(items[0].revents & ZMQ_POLLIN))
            continue;
        ledger_begin(in->ledger);
        struct msgrec *m;
        while (in->b.nouts < BATCH_MAX_ENTRIES && in->b.nmsgs < BATCH_MAX_MSGS &&
               router_receive(in, &m) == 0)
            if (m)
                batch_validate(in, m);
        if (in->b.nmsgs)
            batch_flush(in);
        else
            ledger_commit(in->ledger);
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

    config_signals(on_signal);

    struct intake state = {.stop = &stop_requested}, *in = &state;
    intake_stats_init(&in->stats, day_now_us());
    /* Ids are hashed under a random key (hash.h): a publisher cannot choose
     * colliding ones. */
    if (hash_key_random())
        log_warn("no randomness for the hash key; ids are hashed under a fixed key", "%s", "");
    in->ledger = ledger_new();
    in->ids = map_new(sizeof(struct seen));
    in->dropped = map_new(1);
    in->b.ids = map_new(sizeof(struct seen));
    in->b.peers = map_new(sizeof(struct peer_load));
    in->store = store_new(db, &stop_requested);
    int rc = 1;
    void *ctx = NULL;
    int64_t head = store_open(in->store, in->ledger, in->ids);
    if (head < 0) {
        log_error("intake not started", "%s", "reason=\"no database or writer lock\"");
        goto out;
    }
    in->head = (uint64_t)head;

    ctx = zmq_ctx_new();
    /* The ZAP handler first: a CURVE socket bound without one admits any key. */
    if (secure && !(in->auth = auth_start(ctx, keys)))
        goto out;
    if (router_open(in, ctx, secure ? &pair : NULL, ep_in, ep_feed))
        goto out;
    store_set_waiter(in->store, router_wait_away, in);
    log_info("intake ready", "intake=%s feed=%s head_seq=%llu events=%zu curve=%s", ep_in, ep_feed,
             (unsigned long long)in->head, map_count(in->ids), secure ? "on" : "off");

    serve(in);
    log_info("intake stopping", "accepted=%llu duplicate=%llu rejected=%llu head_seq=%llu",
             (unsigned long long)in->stats.accepted, (unsigned long long)in->stats.duplicate,
             (unsigned long long)in->stats.rejected, (unsigned long long)in->head);
    rc = in->broken ? 1 : 0;
out:
    /* Every way out frees what it holds (the state lives on this stack:
     * left behind, a sanitizer counts it as leaked). */
    if (secure)
        curve_wipe(&pair);
    if (in->router)
        zmq_socket_monitor(in->router, NULL, 0);
    void *socks[] = {in->monitor, in->router, in->pub};
    for (size_t k = 0; k < sizeof socks / sizeof socks[0]; k++)
        if (socks[k])
            zmq_close(socks[k]);
    auth_stop(&in->auth);
    if (ctx)
        zmq_ctx_term(ctx);
    store_destroy(&in->store);
    ledger_destroy(&in->ledger);
    map_destroy(&in->ids);
    map_destroy(&in->dropped);
    batch_free(in);
    return rc;
}
