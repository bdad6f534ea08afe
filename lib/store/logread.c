/* logread — the event log, decoded, in seq order (see logread.h). */
#include "logread.h"

#include <stdio.h>
#include <stdlib.h>

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

int64_t logread_head(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT coalesce(max(seq), 0) FROM event_log");
    int64_t h = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        h = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return h;
}
