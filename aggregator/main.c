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

#include "agg.h"
#include "config.h"
#include "day.h"
#include "follow.h"
#include "log.h"
#include "registry.h"
#include "wire.h"

struct agg agg = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void agg_report(const char *agency, int year, enum case_rule rule, int subtree, struct report *r,
                char *name, size_t name_cap, uint64_t *applied)
{
    pthread_rwlock_rdlock(&agg.lock);
    const char **codes = NULL;
    size_t n = 1;
    if (subtree)
        n = registry_subtree(agg.registry, agency, &codes);
    for (size_t i = 0; i < n; i++) {
        const char *code = codes ? codes[i] : agency;
        uint32_t id;
        if (ledger_agency_find(agg.ledger, code, &id))
            id = UINT32_MAX;
        struct report part;
        tables_report(agg.live, id, agency, year, rule, i ? &part : r);
        if (i)
            report_add(r, &part);
    }
    free(codes);
    if (name) {
        const char *nm = registry_name(agg.registry, agency);
        snprintf(name, name_cap, "%s", nm ? nm : "");
    }
    if (applied)
        *applied = agg.applied;
    pthread_rwlock_unlock(&agg.lock);
}

int agg_check_request(const char *agency, const char *year_text, int *year, char *code,
                      size_t code_cap, char *message, size_t message_cap)
{
    struct ev e = {0};
    struct ev_error err;
    snprintf(e.agency, sizeof e.agency, "%s", agency);
    size_t n = strlen(agency);
    int ok = n >= 1 && n <= EV_AGENCY_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = agency[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             (i > 0 && (c == '.' || c == '_' || c == '-'));
    }
    if (!ok) {
        snprintf(code, code_cap, "bad_agency");
        snprintf(message, message_cap, "agency: \"%.80s\" does not match ^[a-z0-9][a-z0-9._-]{0,63}$",
                 agency);
        return -1;
    }
    (void)err;
    char *end;
    long y = strtol(year_text, &end, 10);
    if (!*year_text || *end || y < YEAR_MIN || y > YEAR_MAX) {
        snprintf(code, code_cap, "bad_year");
        snprintf(message, message_cap, "year: \"%.20s\" is not a year in %d-%d", year_text,
                 YEAR_MIN, YEAR_MAX);
        return -1;
    }
    *year = (int)y;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char USAGE[] =
    "usage: gongkai-aggregator [OPTIONS]\n\n"
    "Subscribes to gongkai-intake's feed, catches up from the event log, applies\n"
    "every event exactly once, and serves the three statistical tables of the\n"
    "annual report for any agency and year: HTTP (GET /v1/reports/AGENCY/YEAR,\n"
    "/v1/agencies, /healthz, /metrics, /) and a ZeroMQ ROUTER for protobuf queries.";

int main(int argc, char **argv)
{
    const char *db, *feed, *query, *http, *level, *insecure;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {"feed", "GONGKAI_FEED", "tcp://127.0.0.1:7102", "intake's PUB endpoint to connect to", &feed},
        {"query", "GONGKAI_QUERY", "tcp://127.0.0.1:7103", "ROUTER endpoint to bind for report queries", &query},
        {"http", "GONGKAI_HTTP", "127.0.0.1:7180", "host:port for HTTP", &http},
        {"log-level", "GONGKAI_LOG_LEVEL", "info", "debug, info, warn or error", &level},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext ZeroMQ, no key checks (local runs and tests)", &insecure},
        {0}};
    int i = config_parse("gongkai-aggregator", USAGE, opts, argc, argv);
    if (i != argc) {
        fprintf(stderr, "gongkai-aggregator: unexpected argument \"%s\" (see --help)\n", argv[i]);
        return 2;
    }
    if (log_parse_level(level) < 0) {
        fprintf(stderr, "gongkai-aggregator: --log-level \"%s\": use debug, info, warn or error\n", level);
        return 2;
    }
    log_set_level((enum log_level)log_parse_level(level));
    if (insecure && strcmp(insecure, "1") == 0)
        log_warn("GONGKAI_INSECURE=1: plaintext ZeroMQ, no key checks; for local runs and tests only", "%s", "");
    (void)tables_metric_name(0); /* build the name table before threads start */

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    agg.ledger = ledger_new();
    agg.live = tables_new();

    /* Subscribe before reading the log, so nothing falls between the two. */
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    wire_socket_defaults(sub);
    wire_socket_defaults(router);
    int hwm = 100000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(sub, feed) || zmq_bind(router, query)) {
        log_error("cannot connect or bind", "feed=%s query=%s error=\"%s\"", feed, query,
                  zmq_strerror(errno));
        return 1;
    }
    struct follow *f = follow_new(db);
    if (follow_start(f, (volatile int *)&stop_requested))
        return 1;
    follow_catch_up(f, 0);
    struct MHD_Daemon *d = http_start(http);
    if (!d)
        return 1;
    log_info("aggregator ready", "feed=%s query=%s http=%s applied_seq=%llu", feed, query, http,
             (unsigned long long)agg.applied);

    int64_t next_tick = now_ms() + 1000;
    while (!stop_requested) {
        zmq_pollitem_t items[] = {{sub, 0, ZMQ_POLLIN, 0}, {router, 0, ZMQ_POLLIN, 0}};
        int64_t wait = next_tick - now_ms();
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
                query_serve(router);
        if (now_ms() >= next_tick) {
            follow_tick(f);
            next_tick = now_ms() + 1000;
        }
    }
    follow_flush(f);
    follow_checkpoint(f); /* the next start replays nothing */
    log_info("aggregator stopping", "applied_seq=%llu", (unsigned long long)agg.applied);
    http_stop(d);
    zmq_close(sub);
    zmq_close(router);
    zmq_ctx_term(ctx);
    follow_destroy(&f);
    ledger_destroy(&agg.ledger);
    tables_destroy(&agg.live);
    registry_destroy(&agg.registry);
    return 0;
}
