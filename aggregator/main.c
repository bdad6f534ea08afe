/* gongkai-aggregator — the official tables, live, for every agency and year.
 *
 * Follows intake's feed (and the event log behind it), applies each event
 * exactly once, and serves reports over HTTP (http.c) and a ZeroMQ ROUTER
 * (query.c). SIGTERM: the batch in hand commits with its cursor, then exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "hash.h"
#include "utf8.h"
#include "agg.h"
#include "serve.h"
#include "releases.h"
#include "sidedb.h"
#include "auth.h"
#include "calendar.h"
#include "config.h"
#include "curve.h"
#include "day.h"
#include "follow.h"
#include "log.h"
#include "registry.h"
#include "timeliness.h"
#include "wire.h"

/* The aggregator's state (agg.h): owned here, passed to every module that
 * reads or writes it; no other file names it. */
static struct agg agg;

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        auth_request_reload();
        reload_requested = 1;
    } else {
        stop_requested = 1;
    }
}

static const char USAGE[] =
    "usage: gongkai-aggregator [OPTIONS]\n\n"
    "Subscribes to gongkai-intake's feed, catches up from the event log, applies\n"
    "every event exactly once, and serves the three statistical tables of the\n"
    "annual report for any agency and year: HTTP (GET /v1/reports/AGENCY/YEAR,\n"
    "/v1/agencies, /healthz, /metrics, /) and a ZeroMQ ROUTER for protobuf queries.\n"
    "Also the timeliness outputs: GET /v1/agencies/AGENCY/open and\n"
    "/v1/reports/AGENCY/YEAR/timeliness, counted in the working days of the\n"
    "calendar_day table.\n\n"
    "ZeroMQ uses CURVE: --cert is the aggregator's key file (gongkai keygen aggregator),\n"
    "its public key listed with role aggregator in intake's allowlist; --intake-key is\n"
    "intake's public key; --keys lists the dashboards that may query. SIGHUP re-reads\n"
    "the allowlist and the HTTP tokens.";

static const char NO_KEYS[] =
    "gongkai-aggregator: not started: CURVE needs a key pair, intake's public key and an\n"
    "allowlist.\n"
    "  gongkai keygen aggregator             # writes aggregator.key (secret) and aggregator.pub\n"
    "  export GONGKAI_CERT=aggregator.key    # or --cert; list aggregator.pub in intake's\n"
    "                                        # allowlist with role aggregator\n"
    "  export GONGKAI_INTAKE_KEY=intake.pub  # or --intake-key\n"
    "  export GONGKAI_KEYS=allowlist         # or --keys: the dashboards that may query\n"
    "For local tests only: GONGKAI_INSECURE=1 (plaintext, no key checks).\n";

/* The feed's SUB (connected) and the query ROUTER (bound), with CURVE when
 * sec is not NULL (sec's secret is wiped: libzmq keeps its own copy), and a
 * watch on the SUB's handshakes. 0, or -1 (logged). */
static int open_sockets(void *ctx, struct curve_client *sec, const char *feed, const char *query,
                        void **subp, void **routerp, void **watchp)
{
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    wire_socket_defaults(sub);
    wire_socket_defaults(router);
    int hwm = 100000, ivl_max = 5000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    /* A refused or absent intake is retried with backoff, not every 100 ms. */
    zmq_setsockopt(sub, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    void *watch = NULL;
    if (sec) {
        int rc = curve_client(sub, sec) | curve_server(router, &sec->me, AUTH_DOMAIN_QUERY);
        curve_wipe(&sec->me); /* libzmq keeps its own copy */
        watch = curve_watch(ctx, sub);
        if (rc) {
            log_error("cannot set up CURVE", "error=\"%s\"", zmq_strerror(errno));
            return -1;
        }
    }
    if (zmq_connect(sub, feed) || zmq_bind(router, query)) {
        log_error("cannot connect or bind", "feed=%s query=%s error=\"%s\"", feed, query,
                  zmq_strerror(errno));
        return -1;
    }
    *subp = sub, *routerp = router, *watchp = watch;
    return 0;
}

/* Until SIGTERM or a failure follow_broken reports: applies the feed in
 * batches, answers report queries, ticks follow once a second, re-reads the
 * HTTP tokens on SIGHUP, and says once a minute why the feed is refused. */
static void serve(struct follow *f, void *sub, void *router, void *watch, const char *feed)
{
    int64_t next_tick = day_mono_us() / 1000 + 1000;
    while (!stop_requested && !follow_broken(f)) {
        zmq_pollitem_t items[] = {{sub, 0, ZMQ_POLLIN, 0}, {router, 0, ZMQ_POLLIN, 0}};
        int64_t wait = next_tick - day_mono_us() / 1000;
        int rc = zmq_poll(items, 2, wait > 0 ? (long)wait : 0);
        if (rc < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            /* Drain what is waiting, then commit it as one batch. */
            for (int k = 0; k < 1000; k++) {
                zmq_msg_t m;
                zmq_msg_init(&m);
                if (zmq_msg_recv(&m, sub, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close(&m);
                    break;
                }
                follow_feed(f, zmq_msg_data(&m), zmq_msg_size(&m));
                zmq_msg_close(&m);
            }
            follow_flush(f);
        }
        if (items[1].revents & ZMQ_POLLIN)
            for (int k = 0; k < 100; k++)
                query_serve(&agg, router);
        if (day_mono_us() / 1000 >= next_tick) {
            follow_tick(f);
            next_tick = day_mono_us() / 1000 + 1000;
            char why[300];
            if (curve_refused(watch, why, sizeof why)) {
                /* libzmq keeps retrying with backoff; say why nothing arrives. */
                static int64_t last_said;
                if (day_mono_us() / 1000 - last_said > 60000) {
                    log_error("intake's feed refused the handshake", "feed=%s reason=\"%s\"", feed, why);
                    last_said = day_mono_us() / 1000;
                }
            }
        }
        if (reload_requested) {
            reload_requested = 0;
            http_reload_tokens();
        }
    }
}

/* The options that set the state's fields (agg.h): 0, or 2 after a message
 * naming the bad value. */
static int state_options(struct agg *st, const char *makeup, const char *read_delay, const char *ck_part)
{
    if (strcmp(makeup, "0") != 0 && strcmp(makeup, "1") != 0) {
        fprintf(stderr, "gongkai-aggregator: --count-makeup-days \"%s\": use 1 or 0\n", makeup);
        return 2;
    }
    char *end;
    long delay = strtol(read_delay, &end, 10);
    if (*end || end == read_delay || delay < 0 || delay > 600000) {
        fprintf(stderr, "gongkai-aggregator: --debug-read-delay-ms \"%s\": milliseconds, 0-600000\n",
                read_delay);
        return 2;
    }
    long part = strtol(ck_part, &end, 10);
    if (*end || end == ck_part || part < 0 || part > (64L << 20)) {
        fprintf(stderr, "gongkai-aggregator: --debug-checkpoint-part-bytes \"%s\": bytes, 0-%ld\n",
                ck_part, 64L << 20);
        return 2;
    }
    agg_init(st);
    st->count_makeup_days = strcmp(makeup, "1") == 0;
    st->debug_checkpoint_part = part;
    st->debug_read_delay_ms = (int)delay;
    return 0;
}

/* The state's parts, empty: filled from the checkpoint and the log
 * (follow.c), the registry, releases and calendar from their tables. */
static void state_new(struct agg *st)
{
    st->ledger = ledger_new();
    st->releases = releases_new();
    st->live = tables_new();
    st->tl = tl_new();
    /* Empty (every day provisional) until calendar_day has been read. */
    st->calendar = calendar_new();
    calendar_set_count_makeup_days(st->calendar, st->count_makeup_days);
    st->calendar_version = -1;
}

static void state_free(struct agg *st)
{
    ledger_destroy(&st->ledger);
    tables_destroy(&st->live);
    registry_destroy(&st->registry);
    releases_destroy(&st->releases);
    tl_destroy(&st->tl);
    calendar_destroy(&st->calendar);
    for (size_t k = 0; k < st->nretired; k++)
        calendar_destroy(&st->retired[k]);
    free(st->retired);
    free(st->due_cache->open);
    free(st->due_cache->overdue);
    free(st->due_cache);
}

int main(int argc, char **argv)
{
    const char *db, *feed, *query, *http, *level, *insecure, *cert, *intake_key, *keys, *tokens;
    const char *makeup, *read_delay, *ck_part;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {"feed", "GONGKAI_FEED", "tcp://127.0.0.1:7102", "intake's PUB endpoint to connect to", &feed},
        {"query", "GONGKAI_QUERY", "tcp://127.0.0.1:7103", "ROUTER endpoint to bind for report queries", &query},
        {"http", "GONGKAI_HTTP", "127.0.0.1:7180", "host:port for HTTP", &http},
        {"log-level", "GONGKAI_LOG_LEVEL", "info", "debug, info, warn or error", &level},
        {"count-makeup-days", "GONGKAI_COUNT_MAKEUP_DAYS", "1",
         "1: weekend days the holiday notice makes working days (调休) count as working days; 0: they do not",
         &makeup},
        {"http-tokens", "GONGKAI_HTTP_TOKENS", NULL, "file of bearer tokens required for /v1/* (NAME TOKEN per line)", &tokens},
        {"cert", "GONGKAI_CERT", NULL, "the aggregator's secret key file (from gongkai keygen)", &cert},
        {"intake-key", "GONGKAI_INTAKE_KEY", NULL, "intake's public key: its .pub file or Z85 text", &intake_key},
        {"keys", "GONGKAI_KEYS", NULL, "allowlist file: PUBLIC-KEY NAME ROLE [AGENCY...] per line", &keys},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext ZeroMQ, no key checks (local runs and tests)", &insecure},
        {"debug-read-delay-ms", "GONGKAI_DEBUG_READ_DELAY_MS", "0",
         "tests only: heavy reads (open lists, timeliness, /metrics) wait this long after leaving the lock, "
         "standing for a country's worth of counting", &read_delay},
        {"debug-checkpoint-part-bytes", "GONGKAI_DEBUG_CHECKPOINT_PART_BYTES", "0",
         "tests only: store the checkpoint in parts of this many bytes (0: 64 MiB)", &ck_part},
        {0}};
    int i = config_parse("gongkai-aggregator", USAGE, opts, argc, argv);
    if (config_service("gongkai-aggregator", i, argc, argv, level))
        return 2;
    if (state_options(&agg, makeup, read_delay, ck_part))
        return 2;
    int secure = !(insecure && strcmp(insecure, "1") == 0);
    struct curve_client feed_sec = {0}; /* our pair as intake's client; also our server pair */
    if (!secure) {
        log_warn("GONGKAI_INSECURE=1: plaintext ZeroMQ, no key checks; for local runs and tests only", "%s", "");
    } else {
        char err[600];
        if (!cert || !intake_key || !keys) {
            fputs(NO_KEYS, stderr);
            return 2;
        }
        if (curve_client_setup(&feed_sec, NULL, cert, "GONGKAI_CERT", intake_key,
                               "GONGKAI_INTAKE_KEY", err, sizeof err)) {
            log_error("aggregator not started: bad key", "error=\"%s\"", err);
            return 2;
        }
    }
    (void)tables_metric_name(0); /* build the name table before threads start */

    config_signals(on_signal);

    /* Ids are hashed under a random key (hash.h): a publisher cannot choose
     * colliding ones. A checkpoint brings the key it was saved under. */
    if (hash_key_random())
        log_warn("no randomness for the hash key; ids are hashed under a fixed key", "%s", "");
    state_new(&agg);

    /* Subscribe before reading the log, so nothing falls between the two. */
    void *ctx = zmq_ctx_new();
    /* The ZAP handler first: a CURVE socket bound without one admits any key. */
    if (secure && !(agg.auth = auth_start(ctx, keys)))
        return 1;
    void *sub, *router, *watch;
    if (open_sockets(ctx, secure ? &feed_sec : NULL, feed, query, &sub, &router, &watch))
        return 1;
    struct follow *f = follow_new(&agg, db);
    if (follow_start(f, (volatile int *)&stop_requested))
        return 1;
    follow_catch_up(f, 0);
    if (follow_broken(f))
        return 1;
    agg.side = sidedb_new(db); /* the prose and document routes' own connection */
    struct MHD_Daemon *d = http_start(&agg, http, tokens);
    if (!d)
        return 1;
    log_info("aggregator ready", "feed=%s query=%s http=%s applied_seq=%llu curve=%s http_tokens=%s",
             feed, query, http, (unsigned long long)agg.applied, secure ? "on" : "off",
             tokens ? "on" : "off");

    serve(f, sub, router, watch, feed);
    int broken = follow_broken(f);
    if (!broken) {
        follow_flush(f);
        follow_checkpoint(f); /* the next start replays nothing */
    }
    log_info("aggregator stopping", "applied_seq=%llu", (unsigned long long)agg.applied);
    http_stop(d);
    sidedb_destroy(&agg.side);
    if (watch)
        zmq_close(watch);
    zmq_close(sub);
    zmq_close(router);
    auth_stop(&agg.auth);
    zmq_ctx_term(ctx);
    follow_destroy(&f);
    state_free(&agg);
    return broken ? 1 : 0;
}
