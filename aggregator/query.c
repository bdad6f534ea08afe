/* query — reports over ZeroMQ: ReportRequest in, ReportReply out (ROUTER);
 * DigestRequest in, DigestReply out, for `gongkai verify`.
 *
 * With CURVE on, the ZAP handler admitted only dashboard and aggregator keys;
 * each request is checked again against the allowlist in force, so a key
 * removed by SIGHUP gets `forbidden` on a connection it opened before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "agg.h"
#include "serve.h"
#include "alloc.h"
#include "auth.h"
#include "buf.h"
#include "day.h"
#include "ledger.h"
#include "tables.h"
#include "render.h"
#include "utf8.h"
#include "wire.h"

#define MAX_ROUTE 4
#define DIGEST_AGENCIES_MAX 10000 /* agencies per DigestRequest */

/* Digests of agencies [first, first + count) at one applied seq: under the
 * read lock, some tens of hashes per agency (a few milliseconds for the
 * most a request may ask). Fills reply; its strings and arrays are freed by
 * digests_free. */
static void digests(struct agg *st, uint32_t first, uint32_t count,
                    Gongkai__V1__DigestReply *reply)
{
    size_t n = 0, cap = 0;
    Gongkai__V1__AgencyYearDigest **v = NULL;
    pthread_rwlock_rdlock(&st->lock);
    uint32_t known = st->agencies;
    for (uint32_t id = first; id < known && id - first < count; id++) {
        int years[YEAR_MAX - YEAR_MIN + 1];
        uint64_t d[YEAR_MAX - YEAR_MIN + 1];
        size_t k = tables_digests(st->live, id, years, d, sizeof years / sizeof years[0]);
        const char *code = ledger_agency_code(st->ledger, id);
        for (size_t i = 0; i < k; i++) {
            if (n == cap)
                v = xrealloc(v, (cap = cap ? 2 * cap : 256) * sizeof *v);
            Gongkai__V1__AgencyYearDigest *e = xmalloc(sizeof *e);
            gongkai__v1__agency_year_digest__init(e);
            e->agency = (char *)code; /* interned: lives as long as the ledger */
            e->has_year = 1, e->year = years[i];
            e->has_digest = 1, e->digest = d[i];
            v[n++] = e;
        }
    }
    reply->has_applied_seq = 1;
    reply->applied_seq = __atomic_load_n(&st->applied, __ATOMIC_RELAXED);
    pthread_rwlock_unlock(&st->lock);
    reply->has_agencies = 1, reply->agencies = known;
    reply->n_digests = n;
    reply->digests = v;
}

static void digests_free(Gongkai__V1__DigestReply *reply)
{
    for (size_t i = 0; i < reply->n_digests; i++)
        free(reply->digests[i]);
    free(reply->digests);
}

/* One request from the ROUTER: its routing frames and its body. 0, or -1
 * when nothing is waiting. */
static int recv_request(void *router, zmq_msg_t *route, size_t *nroute, zmq_msg_t *body)
{
    *nroute = 0;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, router, *nroute ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            for (size_t i = 0; i < *nroute; i++)
                zmq_msg_close(&route[i]);
            return -1;
        }
        if (!zmq_msg_more(&part)) {
            *body = part;
            return 0;
        }
        if (*nroute < MAX_ROUTE)
            route[(*nroute)++] = part;
        else
            zmq_msg_close(&part);
    }
}

/* With CURVE, the key in force now must still be one that may query. */
static void check_key(struct agg *st, zmq_msg_t *body, char *code, size_t code_cap, char *message,
                      size_t message_cap)
{
    if (!st->auth)
        return;
    struct keyring *ring = auth_keys(st->auth);
    const struct key_entry *k = keyring_find(ring, zmq_msg_gets(body, "User-Id"));
    if (!k || !auth_admits(AUTH_DOMAIN_QUERY, k->role)) {
        snprintf(code, code_cap, "forbidden");
        snprintf(message, message_cap, "key \"%s\": %s", k ? k->name : "?",
                 k && k->role == ROLE_RETIRED ? "removed from the allowlist" : "may not query reports");
    }
    keyring_unref(&ring);
}

static void send_envelope(void *router, zmq_msg_t *route, size_t nroute, Envelope *renv)
{
    renv->has_version = 1, renv->version = WIRE_VERSION;
    wire_send(router, route, nroute, renv, ZMQ_DONTWAIT);
}

/* A DigestRequest answered (code set: refused with it). */
static void answer_digests(struct agg *st, void *router, zmq_msg_t *route, size_t nroute,
                           const Gongkai__V1__DigestRequest *dq, char *code, size_t code_cap, char *message,
                           size_t message_cap)
{
    Gongkai__V1__DigestReply dr = GONGKAI__V1__DIGEST_REPLY__INIT;
    uint32_t count = dq->has_count ? dq->count : DIGEST_AGENCIES_MAX;
    if (*code) {
        /* refused by check_key */
    } else if (count > DIGEST_AGENCIES_MAX) {
        snprintf(code, code_cap, "bad_count");
        snprintf(message, message_cap, "count: %u agencies, at most %d", count, DIGEST_AGENCIES_MAX);
    } else {
        digests(st, dq->has_first_agency ? dq->first_agency : 0, count, &dr);
    }
    dr.has_ok = 1, dr.ok = !*code;
    if (*code)
        dr.error = code, dr.message = message;
    Envelope renv = GONGKAI__V1__ENVELOPE__INIT;
    renv.body_case = GONGKAI__V1__ENVELOPE__BODY_DIGEST_REPLY;
    renv.digest_reply = &dr;
    send_envelope(router, route, nroute, &renv);
    digests_free(&dr);
}

/* A ReportRequest's report into out (code set when refused: as HTTP answers,
 * the two interfaces agree on every code). */
static void report_body(struct agg *st, const Gongkai__V1__ReportRequest *q, struct buf *out, uint64_t *applied,
                        char *code, size_t code_cap, char *message, size_t message_cap)
{
    char year_text[16], shown[64];
    snprintf(year_text, sizeof year_text, "%d", q->has_year ? q->year : 0);
    int year = 0, fmt = FORMAT_JSON, rule = CASE_RULE_FILED;
    if (agg_check_request(q->agency ? q->agency : "", year_text, &year, code, code_cap, message, message_cap))
        return;
    if (q->format && *q->format && (fmt = render_parse_format(q->format)) < 0) {
        snprintf(code, code_cap, "bad_format");
        snprintf(message, message_cap, "format: \"%s\": use json, csv, md, text or html",
                 utf8_shown(q->format, shown, sizeof shown));
    } else if (q->case_rule && *q->case_rule && (rule = render_parse_case_rule(q->case_rule)) < 0) {
        snprintf(code, code_cap, "bad_case_rule");
        snprintf(message, message_cap, "case_rule: \"%s\": use filed or handled",
                 utf8_shown(q->case_rule, shown, sizeof shown));
    } else if (q->scope && *q->scope && strcmp(q->scope, "self") != 0 && strcmp(q->scope, "subtree") != 0) {
        snprintf(code, code_cap, "bad_scope");
        snprintf(message, message_cap, "scope: \"%s\": use self or subtree",
                 utf8_shown(q->scope, shown, sizeof shown));
    } else {
        int subtree = q->scope && strcmp(q->scope, "subtree") == 0;
        agg_render(st, q->agency, year, (enum case_rule)rule, subtree, fmt, day_now_us(), out, applied);
    }
}

void query_serve(struct agg *st, void *router)
{
    zmq_msg_t route[MAX_ROUTE], body;
    size_t nroute;
    if (recv_request(router, route, &nroute, &body))
        return;
    __atomic_add_fetch(&st->query_requests, 1, __ATOMIC_RELAXED);
    char code[32] = "", message[200] = "";
    Envelope *env = wire_unpack(zmq_msg_data(&body), zmq_msg_size(&body));
    check_key(st, &body, code, sizeof code, message, sizeof message);
    if (env && env->body_case == GONGKAI__V1__ENVELOPE__BODY_DIGEST_REQUEST) {
        answer_digests(st, router, route, nroute, env->digest_request, code, sizeof code, message,
                       sizeof message);
    } else {
        Gongkai__V1__ReportReply reply = GONGKAI__V1__REPORT_REPLY__INIT;
        struct buf out = {0};
        uint64_t applied = 0;
        if (*code) {
            /* refused by check_key */
        } else if (!env || env->body_case != GONGKAI__V1__ENVELOPE__BODY_REPORT_REQUEST) {
            snprintf(code, sizeof code, "bad_protobuf");
            snprintf(message, sizeof message, "expected a ReportRequest envelope of version 1");
        } else {
            report_body(st, env->report_request, &out, &applied, code, sizeof code, message, sizeof message);
            if (!*code)
                reply.has_applied_seq = 1, reply.applied_seq = applied;
        }
        reply.has_ok = 1;
        reply.ok = !*code;
        if (*code)
            reply.error = code, reply.message = message;
        else
            reply.body = out.data ? out.data : (char *)"";
        Envelope renv = GONGKAI__V1__ENVELOPE__INIT;
        renv.body_case = GONGKAI__V1__ENVELOPE__BODY_REPORT_REPLY;
        renv.report_reply = &reply;
        send_envelope(router, route, nroute, &renv);
        buf_free(&out);
    }
    wire_free(env);
    for (size_t i = 0; i < nroute; i++)
        zmq_msg_close(&route[i]);
    zmq_msg_close(&body);
}
