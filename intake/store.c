/* store — event log writes and start-up load for gongkai-intake (see store.h). */
#include "store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "hash.h"
#include "log.h"
#include "logread.h"
#include "logwrite.h"

#define WRITER_LOCK 710101 /* pg advisory lock: one intake per database */
#define LOAD_CHUNK 20000 /* rows a read brings; two reads are held at once */

struct store {
    char *conninfo;   /* owned */
    volatile sig_atomic_t *stop; /* set by SIGTERM: give up waiting for the database */
    PGconn *conn;     /* NULL when disconnected */
    int attempts;     /* consecutive failed connects, for backoff */
    void (*wait)(long ms, void *arg); /* how a backoff waits (store_set_waiter) */
    void *wait_arg;
};

struct store *store_new(const char *conninfo, volatile sig_atomic_t *stop)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->conninfo = xstrdup(conninfo);
    s->stop = stop;
    return s;
}

void store_destroy(struct store **ps)
{
    struct store *s = *ps;
    if (!s)
        return;
    if (s->conn)
        PQfinish(s->conn);
    free(s->conninfo);
    free(s);
    *ps = NULL;
}

void store_set_waiter(struct store *s, void (*wait)(long ms, void *arg), void *arg)
{
    s->wait = wait;
    s->wait_arg = arg;
}

int store_connected(const struct store *s)
{
    return db_alive(s->conn);
}

/* 1 locked, 0 held by another intake, -1 error. */
static int take_lock(PGconn *c)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%d)", WRITER_LOCK);
    PGresult *r = PQexec(c, sql);
    int rc = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        rc = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return rc;
}

int store_reconnect(struct store *s)
{
    if (db_alive(s->conn))
        return 0;
    if (s->conn) {
        PQfinish(s->conn);
        s->conn = NULL;
    }
    if (s->attempts && s->wait)
        s->wait(db_backoff_ms(s->attempts - 1), s->wait_arg);
    else if (s->attempts)
        db_backoff(s->attempts - 1);
    s->attempts++;
    PGconn *c = db_connect(s->conninfo, "gongkai-intake");
    if (!c)
        return -1;
    int lock = take_lock(c);
    if (lock != 1) {
        if (lock == 0)
            log_error("another gongkai-intake holds the event log's writer lock", "lock=%d",
                      WRITER_LOCK);
        PQfinish(c);
        return -1;
    }
    if (s->attempts > 1)
        log_info("database connection restored", "attempts=%d", s->attempts);
    s->attempts = 0;
    s->conn = c;
    return 0;
}

int64_t store_open(struct store *s, struct ledger *ledger, struct map *ids)
{
    while (store_reconnect(s)) {
        if (*s->stop)
            return -1;
        if (s->attempts == 1 || s->attempts % 10 == 0)
            log_warn("waiting for the database", "attempts=%d", s->attempts);
    }
    /* A database that was never migrated: say what to do, on one line. */
    PGresult *schema = PQexec(s->conn, "SELECT to_regclass('event_log') IS NOT NULL"
                                       " AND to_regclass('rejection') IS NOT NULL");
    int migrated = PQresultStatus(schema) == PGRES_TUPLES_OK && PQntuples(schema) == 1 &&
                   PQgetvalue(schema, 0, 0)[0] == 't';
    PQclear(schema);
    if (!migrated) {
        log_error("the database has no event log: run `gongkai migrate` first",
                  "action=\"gongkai migrate (with the same GONGKAI_DB), then start gongkai-intake\"");
        return -1;
    }
    /* One event_id per logged event: sized once, not doubled twenty times
     * on the way (each doubling rehashes and faults in fresh pages). */
    int64_t logged = logread_head(s->conn);
    if (logged > 0)
        map_reserve(ids, (size_t)logged);
    /* Read the log back in chunks by seq, the next read while this one is applied. */
    struct logread_stream *in = logread_stream_new(s->conn, 0, 0, LOAD_CHUNK);
    const struct logrow *rows = NULL;
    int64_t head = 0;
    long n;
    while ((n = logread_stream_next(in, &rows)) > 0) {
        for (long i = 0; i < n; i++) {
            struct ledger_change chg;
            ledger_apply(ledger, &rows[i].ev, &chg);
            struct seen *v = map_put(ids, key128_of(0, 1, rows[i].ev.event_id), NULL);
            v->digest = rows[i].digest;
            v->seq = rows[i].seq;
        }
        head = (int64_t)rows[n - 1].seq;
        if (head % 1000000 < n)
            log_info("loading the event log", "seq=%lld", (long long)head);
    }
    logread_stream_destroy(&in);
    /* A short read that is not the end (a hole or a bad row) must stop us:
     * numbering on from there would fork the log. */
    if (n < 0 || logread_head(s->conn) != head) {
        log_error("the event log could not be read to its end", "read_to_seq=%lld action=\"%s\"",
                  (long long)head,
                  n == LOGREAD_BAD ? "the row after read_to_seq is missing or unreadable (see the "
                                     "error above); see proto/PROTOCOL.md, Failures"
                                   : "the database failed while reading (see the error above); "
                                     "start gongkai-intake again");
        return -1;
    }
    return head;
}

/* Did the batch starting at first_seq commit? 1 yes, 0 no, -1 cannot tell. */
static int batch_committed(struct store *s, uint64_t first_seq, const char *first_event_id)
{
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)first_seq);
    const char *params[] = {seq};
    PGresult *r = PQexecParams(s->conn, "SELECT event_id FROM event_log WHERE seq = $1::bigint", 1,
                               NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        rc = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), first_event_id) == 0;
    PQclear(r);
    return rc;
}

enum store_result store_commit(struct store *s, const struct buf *events, uint64_t first_seq,
                               const char *first_event_id, size_t nevents,
                               const struct buf *rejects)
{
    if (!db_alive(s->conn))
        return STORE_FAILED;
    int rc = db_exec(s->conn, "BEGIN");
    if (rc == DB_OK && nevents)
        rc = db_copy_in_binary(s->conn, LOGWRITE_COPY, events);
    if (rc == DB_OK && rejects->len)
        rc = db_copy_in(s->conn,
                        "COPY rejection (peer, identity, event_id, code, message, raw) FROM STDIN",
                        rejects);
    if (rc != DB_OK) {
        if (db_alive(s->conn))
            db_exec(s->conn, "ROLLBACK");
        return rc == DB_FATAL ? STORE_BROKEN : STORE_FAILED;
    }
    PGresult *r = PQexec(s->conn, "COMMIT");
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK) {
        PQclear(r);
        return STORE_OK;
    }
    if (db_alive(s->conn)) {
        /* The server answered: the transaction is rolled back. */
        rc = db_failure(s->conn, r, "COMMIT");
        PQclear(r);
        return rc == DB_FATAL ? STORE_BROKEN : STORE_FAILED;
    }
    PQclear(r);
    /* The connection died around COMMIT: the batch may or may not be durable.
     * Ask, after reconnecting; until we know, nothing is acknowledged. */
    log_warn("connection lost during COMMIT; resolving", "first_seq=%llu",
             (unsigned long long)first_seq);
    if (!nevents)
        return STORE_FAILED; /* only rejections: retrying may store them twice, harmlessly */
    while (!*s->stop) {
        if (store_reconnect(s) == 0) {
            int c = batch_committed(s, first_seq, first_event_id);
            if (c >= 0) {
                log_info("COMMIT outcome resolved", "first_seq=%llu committed=%d",
                         (unsigned long long)first_seq, c);
                return c ? STORE_OK : STORE_FAILED;
            }
        }
    }
    /* Stopping without knowing: no ack goes out, publishers resend, and what
     * did commit comes back to them as `duplicate`. */
    return STORE_FAILED;
}
