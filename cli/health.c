/* gongkai health — is a service alive? For container and systemd health
 * checks, which need a command, not a port: the images carry no curl.
 *
 *   --feed E   subscribe to intake's feed and wait for anything (a heartbeat
 *              comes every second, so this proves intake's loop turns); with
 *              CURVE it needs a key the feed admits (GONGKAI_CLIENT_CERT, an
 *              aggregator-role key) and intake's public key (GONGKAI_INTAKE_KEY)
 *   --http H   GET /healthz from the aggregator and expect 200
 *
 * Exit 0 when every check given passes, 1 when one fails, 2 on usage.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include "cmd.h"
#include "config.h"
#include "net.h"
#include "curve.h"

static int check_feed(const char *endpoint, const struct curve_client *sec, int timeout_ms)
{
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    curve_client(sub, sec);
    int ok = 0;
    if (zmq_connect(sub, endpoint) == 0) {
        struct waiting w;
        waiting_init(&w, "gongkai health", "intake", "gongkai-intake", endpoint,
                     timeout_ms > 2 * WAITING_AFTER_MS ? WAITING_AFTER_MS : timeout_ms / 2);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        for (int waited = 0; !ok && waited < timeout_ms; waited += 100) {
            ok = zmq_poll(&item, 1, timeout_ms - waited < 100 ? timeout_ms - waited : 100) == 1;
            if (!ok)
                waiting_tick(&w, waited + 100);
        }
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    if (!ok)
        fprintf(stderr, "gongkai health: nothing on the feed %s within %d ms (is gongkai-intake "
                        "running? make run starts it)\n",
                endpoint, timeout_ms);
    return ok;
}

static int check_http(const char *hostport, int timeout_ms)
{
    struct buf body = {0};
    char err[300];
    struct waiting w;
    waiting_init(&w, "gongkai health", "the aggregator", "gongkai-aggregator", hostport,
                 timeout_ms > 2 * WAITING_AFTER_MS ? WAITING_AFTER_MS : timeout_ms / 2);
    int status = net_http_get(hostport, "/healthz", NULL, timeout_ms, &w, &body, err, sizeof err);
    buf_free(&body);
    if (status < 0)
        fprintf(stderr, "gongkai health: %s\n", err);
    else if (status != 200)
        fprintf(stderr, "gongkai health: %s/healthz answered %d\n", hostport, status);
    return status == 200;
}

int cmd_health(int argc, char **argv)
{
    const char *feed, *http, *timeout, *insecure, *cert, *intake_key;
    const struct config_opt opts[] = {
        {"feed", NULL, NULL, "intake's PUB endpoint: wait for a heartbeat", &feed},
        {"http", NULL, NULL, "the aggregator's HOST:PORT: GET /healthz", &http},
        {"timeout", NULL, "3", "seconds to wait for each", &timeout},
        {"client-cert", "GONGKAI_CLIENT_CERT", NULL, "for --feed with CURVE: a secret key file the feed admits", &cert},
        {"intake-key", "GONGKAI_INTAKE_KEY", NULL, "for --feed with CURVE: intake's public key", &intake_key},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext ZeroMQ (local runs and tests)", &insecure},
        {0}};
    int i = config_parse("gongkai health",
                         "usage: gongkai health [--feed ENDPOINT] [--http HOST:PORT] [--timeout S]\n\n"
                         "Health check for containers and systemd: exit 0 when intake's feed\n"
                         "sends a heartbeat (--feed) and the aggregator's /healthz answers 200\n"
                         "(--http), 1 otherwise.",
                         opts, argc, argv);
    char *end;
    double secs = strtod(timeout, &end);
    if (i != argc || *end || secs <= 0 || (!feed && !http)) {
        fprintf(stderr, "gongkai health: give --feed and/or --http (see --help)\n");
        return 2;
    }
    int ms = (int)(secs * 1000);
    struct curve_client sec = {0};
    char why[600];
    if (feed && curve_client_setup(&sec, insecure, cert, "GONGKAI_CLIENT_CERT", intake_key,
                                   "GONGKAI_INTAKE_KEY", why, sizeof why)) {
        fprintf(stderr, "gongkai health: %s\n", why);
        return 2;
    }
    int ok = 1;
    if (feed)
        ok &= check_feed(feed, &sec, ms);
    curve_wipe(&sec.me);
    if (http)
        ok &= check_http(http, ms);
    return ok ? 0 : 1;
}
