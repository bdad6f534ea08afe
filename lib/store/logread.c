/* logread — the event log, decoded, in seq order (see logread.h). */
#include "logread.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "codec.h"
#include "db.h"
#include "log.h"

/* Decodes the rows of r (seq, digest, body; binary) into *rows. With
 * contiguous, seq must follow after without a hole. Returns how many were
 * read before the first that cannot be (logged), or all. */
static long decode_rows(PGresult *r, uint64_t after, int contiguous, struct logrow **rows, size_t *cap)
{
    long n = PQntuples(r);
    if ((size_t)n > *cap) {
        *cap = (size_t)n;
        *rows = xrealloc(*rows, *cap * sizeof **rows);
    }
    for (long i = 0; i < n; i++) {
        struct logrow *row = &(*rows)[i];
        row->seq = (uint64_t)db_int8(PQgetvalue(r, (int)i, 0));
        row->digest = (uint64_t)db_int8(PQgetvalue(r, (int)i, 1));
        struct ev_error err;
        if (contiguous && row->seq != after + 1 + (uint64_t)i) {
            log_error("event log has a gap", "expected_seq=%llu found_seq=%llu",
                      (unsigned long long)(after + 1 + (uint64_t)i), (unsigned long long)row->seq);
            return i;
        }
        if (codec_decode((const uint8_t *)PQgetvalue(r, (int)i, 2),
                         (size_t)PQgetlength(r, (int)i, 2), &row->ev, &err)) {
            char q[600];
            log_error("undecodable event in the log", "seq=%llu code=%s message=\"%s\"",
                      (unsigned long long)row->seq, err.code, log_q(err.message, q, sizeof q));
            return i;
        }
    }
    return n;
}

long logread_chunk(PGconn *c, uint64_t after, long limit, struct logrow **rows, size_t *cap)
{
    char a[24], l[24];
    snprintf(a, sizeof a, "%llu", (unsigned long long)after);
    snprintf(l, sizeof l, "%ld", limit);
    const char *p[] = {a, l};
    /* Binary results: int8 and bytea arrive as they are, no hex to decode. */
    PGresult *r = PQexecParams(c,
                               "SELECT seq, digest, body FROM event_log WHERE seq > $1::bigint"
                               " ORDER BY seq LIMIT $2::int",
                               2, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        db_failure(c, r, "reading the event log"); /* logged on one line */
        PQclear(r);
        return -1;
    }
    long got = PQntuples(r), n = decode_rows(r, after, 1, rows, cap);
    PQclear(r);
    if (n == 0 && got > 0)
        return LOGREAD_BAD;
    return n;
}

long logread_agency_chunk(PGconn *c, const char *agency, int64_t before_us, uint64_t after, long limit,
                          struct logrow **rows, size_t *cap)
{
    char a[24], l[24], b[24];
    snprintf(a, sizeof a, "%llu", (unsigned long long)after);
    snprintf(l, sizeof l, "%ld", limit);
    snprintf(b, sizeof b, "%lld", (long long)before_us);
    const char *p[] = {agency, a, l, b};
    /* event_log_agency (agency, seq) serves this in seq order. */
    PGresult *r = PQexecParams(c,
                               "SELECT seq, digest, body FROM event_log WHERE agency = $1 AND seq > $2::bigint"
                               " AND occurred_at < to_timestamp($4::bigint / 1e6) ORDER BY seq LIMIT $3::int",
                               4, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        db_failure(c, r, "reading an agency's events");
        PQclear(r);
        return -1;
    }
    long got = PQntuples(r), n = decode_rows(r, after, 0, rows, cap);
    PQclear(r);
    if (n < got)
        return LOGREAD_BAD;
    return n;
}

/* ---- the read-ahead stream ----
 *
 * Two slots. The reader fills a slot the consumer does not hold, marks it
 * full and goes on to the other; the consumer takes full slots in turn and
 * gives each back (empty) when it asks for the next. Everything under mu.
 */
struct logread_slot {
    struct logrow *rows;
    size_t cap;
    long n;          /* as logread_chunk returned */
    int full;
};

struct logread_stream {
    PGconn *conn;    /* the reader thread's until destroy */
    uint64_t after, to;
    long chunk;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct logread_slot slot[2];
    int threaded;    /* 0: no thread could be had; next() reads in the caller's */
    int stop;        /* destroy asked the reader to stop */
    int next;        /* the slot the consumer takes next */
    int held;        /* the slot the consumer holds, or -1 */
    long end;        /* 1 until a value ≤ 0 came: then that value */
};

/* Reads the chunk after *after into sl, as logread_chunk; moves *after on. */
static long stream_read(struct logread_stream *s, struct logread_slot *sl, uint64_t *after)
{
    long want = s->chunk;
    if (s->to && s->to - *after < (uint64_t)want)
        want = (long)(s->to - *after);
    long n = want > 0 ? logread_chunk(s->conn, *after, want, &sl->rows, &sl->cap) : 0;
    if (n > 0)
        *after = sl->rows[n - 1].seq;
    return n;
}

static void *stream_reader(void *arg)
{
    struct logread_stream *s = arg;
    uint64_t after = s->after; /* this thread's; s->after is for the unthreaded way */
    for (int k = 0;; k ^= 1) {
        pthread_mutex_lock(&s->mu);
        while (s->slot[k].full && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        int stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        struct logread_slot *sl = &s->slot[k];
        long n = stream_read(s, sl, &after);
        pthread_mutex_lock(&s->mu);
        sl->n = n;
        sl->full = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        if (n <= 0)
            break;
    }
    return NULL;
}

struct logread_stream *logread_stream_new(PGconn *c, uint64_t after, uint64_t to, long chunk)
{
    assert(c && chunk > 0);
    struct logread_stream *s = xcalloc(1, sizeof *s);
    s->conn = c;
    s->after = after;
    s->to = to;
    s->chunk = chunk;
    s->held = -1;
    s->end = 1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int rc = pthread_create(&s->thread, NULL, stream_reader, s);
    if (rc)
        log_warn("reading the event log without read-ahead: no thread", "error=\"%s\"", strerror(rc));
    s->threaded = !rc;
    return s;
}

long logread_stream_next(struct logread_stream *s, const struct logrow **rows)
{
    assert(s && rows);
    if (s->end <= 0)
        return s->end;
    if (!s->threaded) {
        long n = stream_read(s, &s->slot[0], &s->after);
        if (n <= 0)
            return s->end = n;
        *rows = s->slot[0].rows;
        return n;
    }
    pthread_mutex_lock(&s->mu);
    if (s->held >= 0) {
        s->slot[s->held].full = 0;
        s->held = -1;
        pthread_cond_broadcast(&s->cv);
    }
    struct logread_slot *sl = &s->slot[s->next];
    while (!sl->full)
        pthread_cond_wait(&s->cv, &s->mu);
    long n = sl->n;
    pthread_mutex_unlock(&s->mu);
    if (n <= 0) {
        s->end = n;
        return n;
    }
    *rows = sl->rows;
    s->held = s->next;
    s->next ^= 1;
    return n;
}

void logread_stream_destroy(struct logread_stream **ps)
{
    struct logread_stream *s = *ps;
    if (!s)
        return;
    if (s->threaded) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->slot[0].rows);
    free(s->slot[1].rows);
    free(s);
    *ps = NULL;
}

int64_t logread_head(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT coalesce(max(seq), 0) FROM event_log");
    int64_t h = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        h = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return h;
}
