/* loadgen — the benchmark's client side: it speaks gongkai's wire protocol
 * and HTTP so that what we measure is intake and the aggregator, not the
 * CLI's JSON parsing.
 *
 *   loadgen ingest  publishers send the whole synthetic year mix as fast as
 *                   the window allows; events/s and ack latency p50/p99
 *   loadgen fresh   one publisher at a fixed offered load; ack latency, and
 *                   the time from an ack to its seq being applied (polled on
 *                   /healthz: applied_seq moves under the same lock, in the
 *                   same step, as the tables /v1/reports renders)
 *   loadgen http    report requests over keep-alive connections; req/s, p50/p99
 *   loadgen fill    the mix straight into event_log by COPY, in the stored
 *                   form intake writes (logwrite.h): a log of ten million
 *                   events in minutes, for intake's start-up figures
 *
 * The mix (gen_step): for every agency, application j is received, answered
 * LAG applications later (95%), sometimes corrected (received 1%, answer 2%);
 * beside them decisions, fees, documents issued/published/repealed, catalogue
 * items added/removed, procurement, reviews and lawsuits filed and decided,
 * spread over five years. Every event is valid: each publisher owns a
 * disjoint set of agencies, so references always follow what they refer to.
 * Results go to stdout as `key value` lines for bench/run.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "alloc.h"
#include "codec.h"
#include "day.h"
#include "db.h"
#include "hash.h"
#include "logwrite.h"
#include "wire.h"

#define LAG 40         /* an application is answered this many steps after receipt */
#define MAX_BUNDLE 16  /* events one step may emit */
#define EV_BYTES 512   /* an encoded synthetic event fits */

typedef Gongkai__V1__Event PbEvent;

/* ---- latency samples ---- */

struct sample {
    uint32_t us;
    uint32_t weight;
};

struct samples {
    struct sample *v;
    size_t n, cap;
    pthread_mutex_t mu;
};

static void sample_add(struct samples *s, int64_t us, uint32_t weight)
{
    pthread_mutex_lock(&s->mu);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (struct sample){us < 0 ? 0 : (uint32_t)us, weight};
    pthread_mutex_unlock(&s->mu);
}

static int by_us(const void *a, const void *b)
{
    uint32_t x = ((const struct sample *)a)->us, y = ((const struct sample *)b)->us;
    return x < y ? -1 : x > y;
}

/* Weighted percentile q (0..1) in milliseconds. */
static double percentile_ms(struct samples *s, double q)
{
    if (!s->n)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, by_us);
    uint64_t total = 0, acc = 0;
    for (size_t i = 0; i < s->n; i++)
        total += s->v[i].weight;
    for (size_t i = 0; i < s->n; i++) {
        acc += s->v[i].weight;
        if ((double)acc >= q * (double)total)
            return s->v[i].us / 1000.0;
    }
    return s->v[s->n - 1].us / 1000.0;
}

/* ---- the event mix ---- */

struct mix {
    const char *tag;     /* keeps event and entity ids of separate runs apart */
    int agencies;        /* b0000 … */
    int apps;            /* applications per agency */
    int year0;           /* first year */
    int years;           /* years the steps spread over (5: 2019 … 2023) */
};

struct encoded {
    size_t len;
    uint8_t data[EV_BYTES];
};

static uint64_t h3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t v[3] = {a, b, c};
    return hash64(v, sizeof v, 42);
}

static void agency_code(int a, char *buf, size_t cap)
{
    snprintf(buf, cap, "b%04d", a);
}

/* The day of step j of an agency: five years of steps, in order. */
static int32_t step_day(const struct mix *m, int j)
{
    int32_t d0 = day_from_ymd(m->year0, 1, 1);
    int32_t span = day_from_ymd(m->year0 + m->years, 1, 1) - d0 - 30;
    return d0 + (int32_t)((int64_t)j * span / m->apps);
}

static void fmt_at(int32_t day, int hour, char *buf, size_t cap)
{
    int y, mo, d;
    day_to_ymd(day, &y, &mo, &d);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:00+08:00", y, mo, d, hour, (hour * 7) % 60);
}

struct bundle {
    struct encoded *out;
    size_t n;
    char agency[16];
    const struct mix *m;
    int j;
};

static void emit(struct bundle *b, PbEvent *e, char kind, int idx, int32_t day)
{
    char id[96], at[40];
    snprintf(id, sizeof id, "%s-%s-%06d-%c%d", b->m->tag, b->agency, b->j, kind, idx);
    fmt_at(day, 9 + (b->j + kind) % 9, at, sizeof at);
    e->event_id = id;
    e->agency = b->agency;
    e->occurred_at = at;
    struct encoded *o = &b->out[b->n++];
    o->len = gongkai__v1__event__pack(e, o->data);
}

#define NEW(e, t) PbEvent e = GONGKAI__V1__EVENT__INIT; e.has_type = 1, e.type = (t)

/* All events of step j at agency a, in an order intake accepts. */
static size_t gen_step(const struct mix *m, int a, int j, struct encoded *out)
{
    struct bundle b = {out, 0, "", m, j};
    agency_code(a, b.agency, sizeof b.agency);
    char app[64], ref[64];
    uint64_t h = h3((uint64_t)a, (uint64_t)j, 1);
    int32_t day = step_day(m, j);

    snprintf(app, sizeof app, "%s-app-%d", m->tag, j);
    {
        NEW(e, GONGKAI__V1__EVENT_TYPE__APPLICATION_RECEIVED);
        e.application_id = app;
        e.has_applicant = 1, e.applicant = (Gongkai__V1__Applicant)(1 + (h % 100 < 70 ? 0 : h % 6));
        emit(&b, &e, 'r', 0, day);
    }
    if (j >= LAG) {
        /* Answer application j-LAG, 95% of them, 1-20 days after receipt. */
        int k = j - LAG;
        uint64_t hk = h3((uint64_t)a, (uint64_t)k, 1);
        snprintf(ref, sizeof ref, "%s-app-%d", m->tag, k);
        int32_t rday = step_day(m, k) + 1 + (int32_t)((hk >> 20) % 20);
        if (hk % 100 < 95) {
            NEW(e, GONGKAI__V1__EVENT_TYPE__APPLICATION_RESOLVED);
            e.application_id = ref;
            e.has_outcome = 1, e.outcome = (Gongkai__V1__Outcome)(hk % 3 ? 1 + (hk >> 8) % 2 : 1 + (hk >> 8) % 21);
            emit(&b, &e, 's', 0, rday);
        }
        if (h % 100 == 50) {
            /* A correction of the receipt: another applicant kind, same day. */
            NEW(e, GONGKAI__V1__EVENT_TYPE__APPLICATION_RECEIVED);
            e.application_id = ref;
            e.has_applicant = 1, e.applicant = (Gongkai__V1__Applicant)(1 + (h >> 9) % 6);
            emit(&b, &e, 'x', 0, step_day(m, k));
        }
        if (hk % 100 < 95 && (h >> 12) % 100 < 2) {
            /* A correction of the answer: another outcome. */
            NEW(e, GONGKAI__V1__EVENT_TYPE__APPLICATION_RESOLVED);
            e.application_id = ref;
            e.has_outcome = 1, e.outcome = (Gongkai__V1__Outcome)(1 + (h >> 16) % 21);
            emit(&b, &e, 'c', 0, rday);
        }
    }
    if (j % 10 == 3) {
        NEW(e, GONGKAI__V1__EVENT_TYPE__DECISION_MADE);
        e.has_decision_kind = 1, e.decision_kind = (Gongkai__V1__ItemKind)(1 + (h >> 24) % 4);
        e.has_count = 1, e.count = 1 + (int64_t)((h >> 28) % 20);
        emit(&b, &e, 'd', 0, day);
    }
    if (j % 20 == 5 || j % 20 == 6 || (j % 200 == 7 && j >= 200)) {
        int doc = j % 200 == 7 ? j / 20 - 5 : j / 20;
        snprintf(ref, sizeof ref, "%s-doc-%d", m->tag, doc);
        NEW(e, j % 20 == 5   ? GONGKAI__V1__EVENT_TYPE__DOCUMENT_ISSUED
               : j % 20 == 6 ? GONGKAI__V1__EVENT_TYPE__DOCUMENT_PUBLISHED
                             : GONGKAI__V1__EVENT_TYPE__DOCUMENT_REPEALED);
        e.document_id = ref;
        e.has_document_kind = 1;
        e.document_kind = h3((uint64_t)a, (uint64_t)doc, 2) % 4 ? GONGKAI__V1__DOCUMENT_KIND__NORMATIVE
                                                                : GONGKAI__V1__DOCUMENT_KIND__RULE;
        emit(&b, &e, 'o', j % 20, day);
    }
    if (j % 50 == 9 || (j % 500 == 11 && j >= 150)) {
        int item = j % 50 == 9 ? j / 50 : j / 50 - 3;
        snprintf(ref, sizeof ref, "%s-item-%d", m->tag, item);
        NEW(e, j % 50 == 9 ? GONGKAI__V1__EVENT_TYPE__CATALOG_ITEM_ADDED
                           : GONGKAI__V1__EVENT_TYPE__CATALOG_ITEM_REMOVED);
        e.item_id = ref;
        e.has_item_kind = 1, e.item_kind = (Gongkai__V1__ItemKind)(1 + h3((uint64_t)a, (uint64_t)item, 3) % 5);
        emit(&b, &e, 'i', 0, day);
    }
    if (j % 100 == 13 || (j % 100 == 63)) {
        snprintf(ref, sizeof ref, "%s-rev-%d", m->tag, j / 100);
        NEW(e, j % 100 == 13 ? GONGKAI__V1__EVENT_TYPE__REVIEW_FILED : GONGKAI__V1__EVENT_TYPE__REVIEW_DECIDED);
        e.case_id = ref;
        if (j % 100 == 63)
            e.has_result = 1, e.result = (Gongkai__V1__Result)(1 + (h >> 5) % 3);
        emit(&b, &e, 'v', 0, day);
    }
    if (j % 200 == 17 || j % 200 == 117) {
        snprintf(ref, sizeof ref, "%s-law-%d", m->tag, j / 200);
        NEW(e, j % 200 == 17 ? GONGKAI__V1__EVENT_TYPE__LAWSUIT_FILED : GONGKAI__V1__EVENT_TYPE__LAWSUIT_DECIDED);
        e.case_id = ref;
        if (j % 200 == 17)
            e.has_route = 1, e.route = (Gongkai__V1__Route)(1 + h3((uint64_t)a, (uint64_t)j, 4) % 2);
        else
            e.has_result = 1, e.result = (Gongkai__V1__Result)(1 + (h >> 5) % 3);
        emit(&b, &e, 'l', 0, day);
    }
    if (j % 100 == 21) {
        NEW(e, GONGKAI__V1__EVENT_TYPE__FEE_COLLECTED);
        e.has_amount_fen = 1, e.amount_fen = 100 + (int64_t)((h >> 10) % 100000);
        emit(&b, &e, 'e', 0, day);
    }
    if (j % 250 == 23) {
        snprintf(ref, sizeof ref, "%s-proc-%d", m->tag, j / 250);
        NEW(e, GONGKAI__V1__EVENT_TYPE__PROCUREMENT_AWARDED);
        e.procurement_id = ref;
        e.has_amount_fen = 1, e.amount_fen = 1000000 + (int64_t)((h >> 10) % 100000000);
        emit(&b, &e, 'u', 0, day);
    }
    return b.n;
}

/* A publisher's stream: steps j = 0 … apps-1, its agencies interleaved. */
struct stream {
    const struct mix *m;
    int first, stride;    /* agencies first, first+stride, … */
    int j, a;             /* next step */
    struct encoded buf[MAX_BUNDLE];
    size_t n, next;
    uint64_t limit, produced; /* stop after limit events (0: all) */
};

static const struct encoded *stream_next(struct stream *s)
{
    while (s->next == s->n) {
        if (s->j >= s->m->apps || (s->limit && s->produced >= s->limit))
            return NULL;
        s->n = gen_step(s->m, s->a, s->j, s->buf);
        s->next = 0;
        s->a += s->stride;
        if (s->a >= s->m->agencies) {
            s->a = s->first;
            s->j++;
        }
    }
    s->produced++;
    return &s->buf[s->next++];
}

/* ---- publishing ---- */

struct pubstats {
    uint64_t sent, accepted, duplicate, rejected, max_seq;
    struct samples *lat;
};

struct inflight {
    int64_t t;
    uint64_t first_ref;
    uint32_t n;
};

struct publisher {
    void *sock;
    struct inflight *q;  /* ring of sent Submits, in order */
    size_t qcap, qhead, qlen;
    uint32_t inflight;   /* events */
    uint64_t next_ref;
    struct pubstats st;
    struct encoded *arena; /* the Submit being built: the stream reuses its buffer */
    pthread_mutex_t *mu; /* guards last_seq/last_ack (fresh mode) */
    uint64_t last_seq;
    int64_t last_ack;
};

static void *open_dealer(void *ctx, const char *endpoint)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int hwm = 0, linger = 0;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(s, endpoint)) {
        fprintf(stderr, "loadgen: cannot connect to %s: %s\n", endpoint, zmq_strerror(errno));
        exit(2);
    }
    return s;
}

/* Sends one Submit of n events from the stream; returns events sent. */
static uint32_t send_submit(struct publisher *p, struct stream *s, uint32_t n)
{
    Gongkai__V1__Entry entries[1000], *ptrs[1000];
    uint32_t k = 0;
    const struct encoded *e;
    if (!p->arena)
        p->arena = xmalloc(1000 * sizeof *p->arena);
    while (k < n && (e = stream_next(s))) {
        memcpy(&p->arena[k], e, sizeof *e);
        e = &p->arena[k];
        gongkai__v1__entry__init(&entries[k]);
        entries[k].has_ref = 1, entries[k].ref = p->next_ref + k;
        entries[k].has_event = 1;
        entries[k].event.data = (uint8_t *)e->data;
        entries[k].event.len = e->len;
        ptrs[k] = &entries[k];
        k++;
    }
    if (!k)
        return 0;
    Gongkai__V1__Submit sub = GONGKAI__V1__SUBMIT__INIT;
    sub.n_entries = k;
    sub.entries = ptrs;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1, env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_SUBMIT;
    env.submit = &sub;
    if (p->qlen == p->qcap) {
        size_t ncap = p->qcap ? 2 * p->qcap : 256;
        struct inflight *nq = xcalloc(ncap, sizeof *nq);
        for (size_t i = 0; i < p->qlen; i++)
            nq[i] = p->q[(p->qhead + i) % p->qcap];
        free(p->q);
        p->q = nq, p->qcap = ncap, p->qhead = 0;
    }
    p->q[(p->qhead + p->qlen++) % p->qcap] = (struct inflight){day_mono_us(), p->next_ref, k};
    if (wire_send(p->sock, NULL, 0, &env, 0) < 0) {
        fprintf(stderr, "loadgen: send failed: %s\n", zmq_strerror(errno));
        exit(2);
    }
    p->next_ref += k;
    p->inflight += k;
    p->st.sent += k;
    return k;
}

/* Receives acks waiting (up to timeout_ms for the first); returns messages read. */
static int recv_acks(struct publisher *p, long timeout_ms)
{
    int got = 0;
    for (;;) {
        zmq_pollitem_t it = {p->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, got ? 0 : timeout_ms) <= 0)
            return got;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, p->sock, 0) < 0) {
            zmq_msg_close(&msg);
            return got;
        }
        int64_t t = day_mono_us();
        Envelope *env = wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
        if (!env || env->body_case != GONGKAI__V1__ENVELOPE__BODY_ACKS || !p->qlen) {
            fprintf(stderr, "loadgen: unexpected answer from intake\n");
            exit(2);
        }
        struct inflight *f = &p->q[p->qhead];
        Gongkai__V1__Acks *a = env->acks;
        if (a->n_acks != f->n || (a->n_acks && a->acks[0]->ref != f->first_ref)) {
            fprintf(stderr, "loadgen: acks out of order (%zu acks, ref %llu; expected %u from %llu)\n",
                    a->n_acks, a->n_acks ? (unsigned long long)a->acks[0]->ref : 0ULL, f->n,
                    (unsigned long long)f->first_ref);
            exit(2);
        }
        uint64_t max_seq = 0;
        for (size_t i = 0; i < a->n_acks; i++) {
            Gongkai__V1__Ack *k = a->acks[i];
            if (k->status == GONGKAI__V1__STATUS__ACCEPTED)
                p->st.accepted++;
            else if (k->status == GONGKAI__V1__STATUS__DUPLICATE)
                p->st.duplicate++;
            else {
                if (p->st.rejected++ < 5)
                    fprintf(stderr, "loadgen: rejected %s: %s %s\n", k->event_id ? k->event_id : "?",
                            k->code ? k->code : "", k->message ? k->message : "");
            }
            if (k->has_seq && k->seq > max_seq)
                max_seq = k->seq;
        }
        sample_add(p->st.lat, t - f->t, f->n);
        if (max_seq > p->st.max_seq)
            p->st.max_seq = max_seq;
        if (p->mu) {
            pthread_mutex_lock(p->mu);
            if (max_seq > p->last_seq)
                p->last_seq = max_seq, p->last_ack = t;
            pthread_mutex_unlock(p->mu);
        }
        p->inflight -= f->n;
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
        wire_free(env);
        got++;
    }
}

/* ---- ingest ---- */

struct ingest_arg {
    void *ctx;
    const char *endpoint;
    struct stream s;
    uint32_t batch, window;
    struct publisher p;
};

static void *ingest_thread(void *arg)
{
    struct ingest_arg *g = arg;
    struct publisher *p = &g->p;
    p->sock = open_dealer(g->ctx, g->endpoint);
    int done = 0;
    while (!done || p->inflight) {
        while (!done && p->inflight + g->batch <= g->window)
            if (!send_submit(p, &g->s, g->batch))
                done = 1;
        if (!p->inflight)
            continue; /* the stream ended on a batch boundary: nothing to wait for */
        if (!recv_acks(p, 30000) && p->inflight) {
            fprintf(stderr, "loadgen: no acknowledgement for 30 s\n");
            exit(2);
        }
    }
    zmq_close(p->sock);
    return NULL;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen ingest|fresh|http|count|fill [options]\n"
            "  common: --agencies N (1000) --apps N per agency (1000) --tag T (i) --year0 Y (2019)\n"
            "          --span N years the events spread over (5)\n"
            "  ingest: --endpoint E --publishers P (4) --batch B (200) --window W (2000)\n"
            "  fresh:  --endpoint E --http H:P --rate R (10000) --seconds S (20) --batch B (10)\n"
            "  http:   --http H:P --conns C (16) --threads T (2) --seconds S (10) --years Y0-Y1\n"
            "  fill:   --seq0 S (the log's head) --count N events (GONGKAI_DB names the database)\n");
    exit(2);
}

struct opts {
    struct mix m;
    const char *endpoint, *http, *years;
    int publishers, batch, window, rate, seconds, conns, threads;
    long long seq0, count;
};

static void parse(struct opts *o, int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (!strcmp(k, "--agencies")) o->m.agencies = atoi(v);
        else if (!strcmp(k, "--apps")) o->m.apps = atoi(v);
        else if (!strcmp(k, "--tag")) o->m.tag = v;
        else if (!strcmp(k, "--year0")) o->m.year0 = atoi(v);
        else if (!strcmp(k, "--span")) o->m.years = atoi(v);
        else if (!strcmp(k, "--endpoint")) o->endpoint = v;
        else if (!strcmp(k, "--http")) o->http = v;
        else if (!strcmp(k, "--years")) o->years = v;
        else if (!strcmp(k, "--publishers")) o->publishers = atoi(v);
        else if (!strcmp(k, "--batch")) o->batch = atoi(v);
        else if (!strcmp(k, "--window")) o->window = atoi(v);
        else if (!strcmp(k, "--rate")) o->rate = atoi(v);
        else if (!strcmp(k, "--seconds")) o->seconds = atoi(v);
        else if (!strcmp(k, "--conns")) o->conns = atoi(v);
        else if (!strcmp(k, "--threads")) o->threads = atoi(v);
        else if (!strcmp(k, "--seq0")) o->seq0 = atoll(v);
        else if (!strcmp(k, "--count")) o->count = atoll(v);
        else usage();
    }
    if (o->batch < 1 || o->batch > 1000)
        usage();
}

static int cmd_ingest(struct opts *o)
{
    void *ctx = zmq_ctx_new();
    struct samples lat = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct ingest_arg *g = xcalloc((size_t)o->publishers, sizeof *g);
    pthread_t *th = xcalloc((size_t)o->publishers, sizeof *th);
    int64_t t0 = day_mono_us();
    for (int i = 0; i < o->publishers; i++) {
        g[i].ctx = ctx;
        g[i].endpoint = o->endpoint;
        g[i].s = (struct stream){.m = &o->m, .first = i, .stride = o->publishers, .a = i};
        g[i].batch = (uint32_t)o->batch;
        g[i].window = (uint32_t)o->window;
        g[i].p.st.lat = &lat;
        g[i].p.next_ref = 1;
        pthread_create(&th[i], NULL, ingest_thread, &g[i]);
    }
    struct pubstats tot = {0};
    for (int i = 0; i < o->publishers; i++) {
        pthread_join(th[i], NULL);
        tot.sent += g[i].p.st.sent;
        tot.accepted += g[i].p.st.accepted;
        tot.duplicate += g[i].p.st.duplicate;
        tot.rejected += g[i].p.st.rejected;
        if (g[i].p.st.max_seq > tot.max_seq)
            tot.max_seq = g[i].p.st.max_seq;
    }
    double secs = (double)(day_mono_us() - t0) / 1e6;
    printf("events %llu\naccepted %llu\nduplicate %llu\nrejected %llu\nmax_seq %llu\n"
           "seconds %.3f\nrate %.0f\nack_p50_ms %.2f\nack_p99_ms %.2f\n",
           (unsigned long long)tot.sent, (unsigned long long)tot.accepted,
           (unsigned long long)tot.duplicate, (unsigned long long)tot.rejected,
           (unsigned long long)tot.max_seq, secs, (double)(tot.accepted + tot.duplicate) / secs,
           percentile_ms(&lat, 0.5), percentile_ms(&lat, 0.99));
    zmq_ctx_term(ctx);
    return tot.rejected ? 1 : 0;
}

/* ---- a minimal HTTP/1.1 keep-alive client ---- */

struct http_conn {
    int fd;
    const char *hostport;
    char buf[1 << 16];
    size_t len;
};

static int http_open(struct http_conn *c, const char *hostport)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, host, &sa.sin_addr);
    c->hostport = hostport;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->len = 0;
    return connect(c->fd, (struct sockaddr *)&sa, sizeof sa);
}

/* Sends a GET; 0 when sent. */
static int http_send(struct http_conn *c, const char *path)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
    return write(c->fd, req, (size_t)n) == n ? 0 : -1;
}

/* Length of a complete response at the start of c->buf (headers + body), or 0. */
static size_t http_complete(struct http_conn *c, const char **body)
{
    c->buf[c->len] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end)
        return 0;
    char *cl = strcasestr(c->buf, "Content-Length:");
    size_t blen = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    size_t total = (size_t)(end + 4 - c->buf) + blen;
    if (c->len < total)
        return 0;
    if (body)
        *body = end + 4;
    return total;
}

/* Blocking GET; the body (NUL-terminated, valid until the next call) or NULL. */
static const char *http_get1(struct http_conn *c, const char *path)
{
    if (http_send(c, path))
        return NULL;
    c->len = 0;
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
        if (r <= 0)
            return NULL;
        c->len += (size_t)r;
        const char *body;
        size_t t = http_complete(c, &body);
        if (t) {
            c->buf[t] = '\0';
            return body;
        }
    }
}

/* http_get1 on a fresh connection when the server closed the old one. */
static const char *http_get(struct http_conn *c, const char *path)
{
    const char *b = http_get1(c, path);
    if (!b) {
        close(c->fd);
        if (http_open(c, c->hostport) == 0)
            b = http_get1(c, path);
    }
    return b;
}

static uint64_t healthz_applied(struct http_conn *c)
{
    const char *b = http_get(c, "/healthz");
    const char *p = b ? strstr(b, "\"applied_seq\": ") : NULL;
    return p ? strtoull(p + 15, NULL, 10) : 0;
}

/* ---- fresh: fixed offered load, ack latency and freshness ---- */

struct probe {
    struct publisher *p;
    const char *http;
    volatile int stop;
    struct samples fresh;
};

static void *probe_thread(void *arg)
{
    struct probe *pr = arg;
    struct http_conn *c = xcalloc(1, sizeof *c);
    if (http_open(c, pr->http)) {
        fprintf(stderr, "loadgen: cannot connect to %s\n", pr->http);
        exit(2);
    }
    uint64_t done = 0;
    while (!pr->stop) {
        pthread_mutex_lock(pr->p->mu);
        uint64_t seq = pr->p->last_seq;
        int64_t t_ack = pr->p->last_ack;
        pthread_mutex_unlock(pr->p->mu);
        if (seq <= done) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        /* Poll until the aggregator shows seq; measured from the ack. */
        while (!pr->stop && healthz_applied(c) < seq) {
            struct timespec ts = {0, 100000}; /* 0.1 ms: fine enough, and leaves the cores to the stack */
            nanosleep(&ts, NULL);
        }
        if (pr->stop)
            break;
        sample_add(&pr->fresh, day_mono_us() - t_ack, 1);
        done = seq;
    }
    close(c->fd);
    free(c);
    return NULL;
}

static int cmd_fresh(struct opts *o)
{
    void *ctx = zmq_ctx_new();
    struct samples lat = {.mu = PTHREAD_MUTEX_INITIALIZER};
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    struct publisher p = {.st.lat = &lat, .next_ref = 1, .mu = &mu};
    struct stream s = {.m = &o->m, .first = 0, .stride = 1, .a = 0};
    s.limit = (uint64_t)o->rate * (uint64_t)o->seconds;
    p.sock = open_dealer(ctx, o->endpoint);
    struct probe pr = {.p = &p, .http = o->http, .fresh.mu = PTHREAD_MUTEX_INITIALIZER};
    pthread_t th;
    pthread_create(&th, NULL, probe_thread, &pr);
    /* Open loop: batch events every batch/rate seconds, whatever the acks do. */
    int64_t t0 = day_mono_us(), interval = (int64_t)o->batch * 1000000 / o->rate;
    uint64_t behind = 0, held = 0;
    for (int64_t k = 0;; k++) {
        int64_t due = t0 + k * interval;
        for (;;) {
            int64_t wait = due - day_mono_us();
            if (wait <= 0)
                break;
            recv_acks(&p, wait / 1000 > 0 ? wait / 1000 : 0);
            if (wait < 1000) {
                struct timespec ts = {0, (long)(due - day_mono_us() > 0 ? due - day_mono_us() : 0) * 1000};
                nanosleep(&ts, NULL);
            }
        }
        if (day_mono_us() - due > 5000)
            behind++;
        /* The protocol's window: a batch that would pass it waits for acks
         * (counted: the offered rate was more than the stack took), never
         * sent to be refused. */
        if (p.inflight + (uint32_t)o->batch > (uint32_t)o->window) {
            held++;
            while (p.inflight + (uint32_t)o->batch > (uint32_t)o->window)
                if (!recv_acks(&p, 30000) && p.inflight) {
                    fprintf(stderr, "loadgen: no acknowledgement for 30 s\n");
                    exit(2);
                }
        }
        if (!send_submit(&p, &s, (uint32_t)o->batch))
            break;
        recv_acks(&p, 0);
    }
    double secs = (double)(day_mono_us() - t0) / 1e6;
    while (p.inflight)
        if (!recv_acks(&p, 30000)) {
            fprintf(stderr, "loadgen: no acknowledgement for 30 s\n");
            exit(2);
        }
    /* Let the probe see the last ack applied. */
    int64_t until = day_mono_us() + 2000000;
    for (;;) {
        pthread_mutex_lock(&mu);
        size_t nf = pr.fresh.n;
        pthread_mutex_unlock(&mu);
        (void)nf;
        if (day_mono_us() > until)
            break;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    pr.stop = 1;
    pthread_join(th, NULL);
    printf("events %llu\naccepted %llu\nrejected %llu\nseconds %.3f\noffered_rate %.0f\n"
           "late_sends %llu\nheld_for_window %llu\nack_p50_ms %.2f\nack_p99_ms %.2f\nfresh_samples %zu\n"
           "fresh_p50_ms %.2f\nfresh_p99_ms %.2f\n",
           (unsigned long long)p.st.sent, (unsigned long long)p.st.accepted,
           (unsigned long long)p.st.rejected, secs, (double)p.st.sent / secs,
           (unsigned long long)behind, (unsigned long long)held, percentile_ms(&lat, 0.5), percentile_ms(&lat, 0.99),
           pr.fresh.n, percentile_ms(&pr.fresh, 0.5), percentile_ms(&pr.fresh, 0.99));
    zmq_close(p.sock);
    zmq_ctx_term(ctx);
    return p.st.rejected ? 1 : 0;
}

/* ---- http: report requests ---- */

struct http_arg {
    struct opts *o;
    int conns;
    int y0, y1;
    int64_t until;
    uint64_t requests, errors, bytes;
    struct samples *lat;
    unsigned seed;
};

static void random_path(struct http_arg *g, char *buf, size_t cap)
{
    int a = (int)(rand_r(&g->seed) % (unsigned)g->o->m.agencies);
    int y = g->y0 + (int)(rand_r(&g->seed) % (unsigned)(g->y1 - g->y0 + 1));
    char code[16];
    agency_code(a, code, sizeof code);
    snprintf(buf, cap, "/v1/reports/%s/%d", code, y);
}

static void *http_thread(void *arg)
{
    struct http_arg *g = arg;
    struct http_conn *c = xcalloc((size_t)g->conns, sizeof *c);
    struct pollfd *pf = xcalloc((size_t)g->conns, sizeof *pf);
    int64_t *t = xcalloc((size_t)g->conns, sizeof *t);
    char path[128];
    for (int i = 0; i < g->conns; i++) {
        if (http_open(&c[i], g->o->http)) {
            fprintf(stderr, "loadgen: cannot connect to %s\n", g->o->http);
            exit(2);
        }
        random_path(g, path, sizeof path);
        t[i] = day_mono_us();
        http_send(&c[i], path);
        pf[i] = (struct pollfd){c[i].fd, POLLIN, 0};
    }
    while (day_mono_us() < g->until) {
        if (poll(pf, (nfds_t)g->conns, 100) <= 0)
            continue;
        for (int i = 0; i < g->conns; i++) {
            if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP)))
                continue;
            ssize_t r = read(c[i].fd, c[i].buf + c[i].len, sizeof c[i].buf - 1 - c[i].len);
            if (r <= 0) {
                fprintf(stderr, "loadgen: HTTP connection closed\n");
                exit(2);
            }
            c[i].len += (size_t)r;
            size_t total = http_complete(&c[i], NULL);
            if (!total)
                continue;
            int64_t now = day_mono_us();
            if (strncmp(c[i].buf, "HTTP/1.1 200", 12) != 0)
                g->errors++;
            g->requests++;
            g->bytes += total;
            sample_add(g->lat, now - t[i], 1);
            memmove(c[i].buf, c[i].buf + total, c[i].len - total);
            c[i].len -= total;
            random_path(g, path, sizeof path);
            t[i] = now;
            http_send(&c[i], path);
        }
    }
    for (int i = 0; i < g->conns; i++)
        close(c[i].fd);
    free(c), free(pf), free(t);
    return NULL;
}

static int cmd_http(struct opts *o)
{
    struct samples lat = {.mu = PTHREAD_MUTEX_INITIALIZER};
    int y0 = o->m.year0, y1 = o->m.year0 + o->m.years - 1;
    if (o->years)
        sscanf(o->years, "%d-%d", &y0, &y1);
    struct http_arg *g = xcalloc((size_t)o->threads, sizeof *g);
    pthread_t *th = xcalloc((size_t)o->threads, sizeof *th);
    int64_t t0 = day_mono_us();
    for (int i = 0; i < o->threads; i++) {
        g[i] = (struct http_arg){o, o->conns / o->threads, y0, y1, t0 + (int64_t)o->seconds * 1000000,
                                 0, 0, 0, &lat, (unsigned)(i + 1) * 7919u};
        pthread_create(&th[i], NULL, http_thread, &g[i]);
    }
    uint64_t req = 0, err = 0, bytes = 0;
    for (int i = 0; i < o->threads; i++) {
        pthread_join(th[i], NULL);
        req += g[i].requests, err += g[i].errors, bytes += g[i].bytes;
    }
    double secs = (double)(day_mono_us() - t0) / 1e6;
    printf("requests %llu\nerrors %llu\nseconds %.3f\nrate %.0f\nbytes_per_response %.0f\n"
           "p50_ms %.3f\np99_ms %.3f\n",
           (unsigned long long)req, (unsigned long long)err, secs, (double)req / secs,
           req ? (double)bytes / (double)req : 0, percentile_ms(&lat, 0.5), percentile_ms(&lat, 0.99));
    return err ? 1 : 0;
}

/* count: how many events and applications the mix holds (no network). */
static int cmd_count(struct opts *o)
{
    struct stream s = {.m = &o->m, .first = 0, .stride = 1, .a = 0};
    uint64_t n = 0;
    while (stream_next(&s))
        n++;
    printf("events %llu\napplications %llu\n", (unsigned long long)n,
           (unsigned long long)o->m.agencies * (unsigned long long)o->m.apps);
    return 0;
}

/* fill: count events of the mix appended to event_log after seq0, by COPY
 * in chunks of FILL_CHUNK rows, each its own transaction: decoded and
 * re-encoded as intake does (codec), so intake reads back at start exactly
 * what it would have written. The log must end at seq0 and the tag must be
 * new to it (event_ids are unique). */
#define FILL_CHUNK 50000
static int cmd_fill(struct opts *o)
{
    const char *conninfo = getenv("GONGKAI_DB");
    PGconn *c = db_connect(conninfo ? conninfo : "", "loadgen-fill");
    if (!c || o->count <= 0 || o->seq0 < 0)
        usage();
    struct stream s = {.m = &o->m, .first = 0, .stride = 1, .a = 0, .limit = (uint64_t)o->count};
    struct buf rows = {0};
    uint64_t seq = (uint64_t)o->seq0;
    long long n = 0, in_chunk = 0;
    int64_t t0 = day_mono_us();
    const struct encoded *x;
    for (;;) {
        /* The stream's limit stops it between steps, not inside one: count here. */
        x = n < o->count ? stream_next(&s) : NULL;
        if (x) {
            struct ev e;
            struct ev_error err;
            if (codec_decode(x->data, x->len, &e, &err)) {
                fprintf(stderr, "loadgen: fill: the mix made an invalid event: %s: %s\n", err.code,
                        err.message);
                return 1;
            }
            uint8_t body[2048];
            size_t blen = codec_encode(&e, body, sizeof body);
            logwrite_row(&rows, ++seq, &e, logwrite_digest(body, blen), body, blen, "loadgen-fill", "");
            n++, in_chunk++;
        }
        if (in_chunk == FILL_CHUNK || (!x && in_chunk)) {
            if (db_copy_in_binary(c, LOGWRITE_COPY, &rows) != DB_OK) {
                fprintf(stderr, "loadgen: fill: COPY failed at seq %llu: %s", (unsigned long long)seq,
                        PQerrorMessage(c));
                return 1;
            }
            rows.len = 0;
            in_chunk = 0;
            if (n % 1000000 < FILL_CHUNK)
                fprintf(stderr, "loadgen: fill: %lld events\n", n);
        }
        if (!x)
            break;
    }
    double secs = (double)(day_mono_us() - t0) / 1e6;
    printf("events %lld\nlast_seq %llu\nseconds %.3f\nrate %.0f\n", n, (unsigned long long)seq,
           secs, (double)n / secs);
    buf_free(&rows);
    PQfinish(c);
    return n == o->count ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    signal(SIGPIPE, SIG_IGN);
    struct opts o = {.m = {"i", 1000, 1000, 2019, 5},
                     .endpoint = "tcp://127.0.0.1:7101",
                     .http = "127.0.0.1:7180",
                     .publishers = 4, .batch = 200, .window = 2000, .rate = 10000,
                     .seconds = 20, .conns = 16, .threads = 2};
    if (!strcmp(argv[1], "fresh"))
        o.batch = 10;
    parse(&o, argc, argv);
    if (!strcmp(argv[1], "ingest"))
        return cmd_ingest(&o);
    if (!strcmp(argv[1], "fresh"))
        return cmd_fresh(&o);
    if (!strcmp(argv[1], "http"))
        return cmd_http(&o);
    if (!strcmp(argv[1], "count"))
        return cmd_count(&o);
    if (!strcmp(argv[1], "fill"))
        return cmd_fill(&o);
    usage();
    return 2;
}
