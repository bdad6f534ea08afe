/* logread — the event log, decoded, in seq order (see logread.h). */
#include "logread.h"

#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "codec.h"
#include "db.h"
#include "log.h"

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
    long n = PQntuples(r), got = n;
    if ((size_t)n > *cap) {
        *cap = (size_t)n;
        *rows = xrealloc(*rows, *cap * sizeof **rows);
    }
    for (long i = 0; i < n; i++) {
        struct logrow *row = &(*rows)[i];
        row->seq = (uint64_t)db_int8(PQgetvalue(r, (int)i, 0));
        row->digest = (uint64_t)db_int8(PQgetvalue(r, (int)i, 1));
        struct ev_error err;
        if (row->seq != after + 1 + (uint64_t)i) {
            log_error("event log has a gap", "expected_seq=%llu found_seq=%llu",
                      (unsigned long long)(after + 1 + (uint64_t)i), (unsigned long long)row->seq);
            n = i;
            break;
        }
        if (codec_decode((const uint8_t *)PQgetvalue(r, (int)i, 2),
                         (size_t)PQgetlength(r, (int)i, 2), &row->ev, &err)) {
            char q[600];
            log_error("undecodable event in the log", "seq=%llu code=%s message=\"%s\"",
                      (unsigned long long)row->seq, err.code, log_q(err.message, q, sizeof q));
            n = i;
            break;
        }
    }
    PQclear(r);
    if (n == 0 && got > 0)
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
