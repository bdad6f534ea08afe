/* query — ReportRequest/ReportReply over a DEALER (see query.h). */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

#include "alloc.h"
#include "waiting.h"
#include "wire.h"

struct query {
    void *ctx, *sock;
    void *watch;           /* handshake failures of sock */
    struct curve_client sec;
    const char *endpoint;
    const char *prog;
    int timeout_ms;
    uint64_t sent;  /* requests sent; replies are matched in order */
};

static void open_sock(struct query *q)
{
    if (q->watch)
        zmq_close(q->watch);
    if (q->sock)
        zmq_close(q->sock);
    q->sock = zmq_socket(q->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(q->sock, ZMQ_LINGER, &linger, sizeof linger);
    curve_client(q->sock, &q->sec);
    q->watch = q->sec.on ? curve_watch(q->ctx, q->sock) : NULL;
    zmq_connect(q->sock, q->endpoint);
}

struct query *query_new(const char *prog, const char *endpoint, int timeout_ms,
                        const struct curve_client *sec)
{
    struct query *q = xcalloc(1, sizeof *q);
    q->prog = prog;
    if (sec)
        q->sec = *sec;
    q->ctx = zmq_ctx_new();
    q->endpoint = endpoint;
    q->timeout_ms = timeout_ms;
    open_sock(q);
    return q;
}

struct query *query_open(const char *prog, const char *endpoint, int timeout_ms,
                         const char *insecure, const char *cert, const char *server_key)
{
    struct curve_client sec;
    char why[600];
    curve_local_defaults(&cert, "local-dashboard", &server_key, "aggregator");
    if (curve_client_setup(&sec, insecure, cert, "GONGKAI_CLIENT_CERT", server_key,
                           "GONGKAI_AGGREGATOR_KEY", why, sizeof why)) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return NULL;
    }
    struct query *q = query_new(prog, endpoint, timeout_ms, &sec);
    curve_wipe(&sec.me); /* q holds its own copy */
    return q;
}

void query_destroy(struct query **pq)
{
    struct query *q = *pq;
    if (!q)
        return;
    if (q->watch)
        zmq_close(q->watch);
    zmq_close(q->sock);
    zmq_ctx_term(q->ctx);
    curve_wipe(&q->sec.me);
    free(q);
    *pq = NULL;
}

/* Sends env and waits for the answer: the reply envelope (wire_free it), or
 * NULL with err filled (no answer in time, a refused handshake). */
static Envelope *ask(struct query *q, const Envelope *env, char *err, size_t errlen)
{
    if (wire_send(q->sock, NULL, 0, env, 0) < 0) {
        snprintf(err, errlen, "cannot send to %s", q->endpoint);
        return NULL;
    }
    zmq_pollitem_t it = {q->sock, 0, ZMQ_POLLIN, 0};
    int waited = 0, ready = 0;
    char why[300];
    struct waiting w;
    waiting_init(&w, q->prog, "the aggregator", "gongkai-aggregator", q->endpoint,
                 q->timeout_ms > 2 * WAITING_AFTER_MS ? WAITING_AFTER_MS : q->timeout_ms / 2);
    while (!ready && waited < q->timeout_ms) {
        ready = zmq_poll(&it, 1, 100) > 0;
        waited += 100;
        if (!ready)
            waiting_tick(&w, waited);
        if (!ready && curve_refused(q->watch, why, sizeof why)) {
            snprintf(err, errlen, "%s: %s", q->endpoint, why);
            open_sock(q);
            return NULL;
        }
    }
    if (!ready) {
        snprintf(err, errlen, "no answer from the aggregator at %s within %d ms (is "
                              "gongkai-aggregator running? make run starts it)",
                 q->endpoint, q->timeout_ms);
        open_sock(q); /* a late reply must not answer the next request */
        return NULL;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, q->sock, 0);
    Envelope *r = wire_unpack(zmq_msg_data(&m), zmq_msg_size(&m));
    zmq_msg_close(&m);
    if (!r)
        snprintf(err, errlen, "unexpected answer from %s", q->endpoint);
    return r;
}

int query_report(struct query *q, const char *agency, int year, const char *case_rule,
                 const char *format, const char *scope, char **body, uint64_t *applied, char *err, size_t errlen)
{
    Gongkai__V1__ReportRequest rq = GONGKAI__V1__REPORT_REQUEST__INIT;
    rq.agency = (char *)agency;
    rq.has_year = 1, rq.year = year;
    rq.case_rule = (char *)case_rule;
    rq.format = (char *)format;
    rq.scope = (char *)scope;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1, env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_REPORT_REQUEST;
    env.report_request = &rq;
    Envelope *r = ask(q, &env, err, errlen);
    if (!r)
        return -1;
    int rc;
    if (r->body_case != GONGKAI__V1__ENVELOPE__BODY_REPORT_REPLY) {
        snprintf(err, errlen, "unexpected answer from %s", q->endpoint);
        rc = -1;
    } else if (!r->report_reply->ok) {
        snprintf(err, errlen, "%s: %s", r->report_reply->error ? r->report_reply->error : "error",
                 r->report_reply->message ? r->report_reply->message : "");
        rc = 1;
    } else {
        *body = xstrdup(r->report_reply->body ? r->report_reply->body : "");
        if (applied)
            *applied = r->report_reply->applied_seq;
        rc = 0;
    }
    wire_free(r);
    return rc;
}

int query_digests(struct query *q, uint32_t first, uint32_t count, Envelope **reply, char *err,
                  size_t errlen)
{
    Gongkai__V1__DigestRequest rq = GONGKAI__V1__DIGEST_REQUEST__INIT;
    rq.has_first_agency = 1, rq.first_agency = first;
    rq.has_count = 1, rq.count = count;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1, env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_DIGEST_REQUEST;
    env.digest_request = &rq;
    Envelope *r = ask(q, &env, err, errlen);
    if (!r)
        return -1;
    if (r->body_case != GONGKAI__V1__ENVELOPE__BODY_DIGEST_REPLY) {
        snprintf(err, errlen, "unexpected answer from %s (an aggregator without digests?)",
                 q->endpoint);
        wire_free(r);
        return -1;
    }
    if (!r->digest_reply->ok) {
        snprintf(err, errlen, "%s: %s", r->digest_reply->error ? r->digest_reply->error : "error",
                 r->digest_reply->message ? r->digest_reply->message : "");
        wire_free(r);
        return 1;
    }
    *reply = r;
    return 0;
}
