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
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cmd.h"
#include "config.h"
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
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        ok = zmq_poll(&item, 1, timeout_ms) == 1;
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    if (!ok)
        fprintf(stderr, "gongkai health: nothing on the feed %s within %d ms\n", endpoint, timeout_ms);
    return ok;
}

/* Reads into buf until the peer closes, buf is full or the time is up. */
static size_t read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1)
            break;
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

static int check_http(const char *hostport, int timeout_ms)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        fprintf(stderr, "gongkai health: --http wants HOST:PORT, not \"%s\"\n", hostport);
        return 0;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host, colon + 1, &hints, &ai)) {
        fprintf(stderr, "gongkai health: cannot resolve %s\n", hostport);
        return 0;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    int ok = 0;
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        char req[400], resp[1024];
        int n = snprintf(req, sizeof req, "GET /healthz HTTP/1.0\r\nHost: %s\r\n\r\n", hostport);
        if (n > 0 && write(fd, req, (size_t)n) == n) {
            read_all(fd, resp, sizeof resp, timeout_ms);
            ok = strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 8, " 200", 4) == 0;
            if (!ok)
                fprintf(stderr, "gongkai health: %s/healthz answered \"%.40s\"\n", hostport, resp);
        }
    } else {
        fprintf(stderr, "gongkai health: cannot connect to %s\n", hostport);
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return ok;
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
