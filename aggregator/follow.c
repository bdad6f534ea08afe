/* follow — feed, catch-up and exactly-once apply (see follow.h). */
#include "follow.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "serve.h"
#include "alloc.h"
#include "buf.h"
#include "codec.h"
#include "day.h"
#include "db.h"
#include "hash.h"
#include "log.h"
#include "logread.h"
#include "registry.h"
#include "releases.h"
#include "timeliness.h"
#include "wire.h"

#define AGG_LOCK 710103     /* pg advisory lock: one aggregator per database */
#define CATCH_UP_CHUNK 10000
#define HEARTBEAT_SILENCE_US 5000000 /* no heartbeat for this long: warn once */
#define FEED_BATCH_MAX 2000   /* also bounds f->pending: a decoded event is ~1 KiB */
/* A checkpoint after this many events applied since the last one, or after
 * CHECKPOINT_SECONDS when anything was applied: a restart then replays at
 * most about this much of the log (≈ 1 s of replay on a small machine). */
#define CHECKPOINT_EVENTS 250000
#define CHECKPOINT_SECONDS 60
#define CHECKPOINT_MAGIC 0x33504b47u /* "GKP3": hash key, ledger, tables, timeliness */
/* A checkpoint of another format (one from before the timeliness state was
 * in it, "GKP1", LEDGER_FORMAT * 10000 + TABLES_FORMAT) is ignored: the
 * whole log is replayed once. */
#define CHECKPOINT_FORMAT ((LEDGER_FORMAT * 10000 + TABLES_FORMAT) * 100 + TL_FORMAT)
_Static_assert(TL_FORMAT > 0 && TL_FORMAT < 100 && TABLES_FORMAT < 10000 &&
                   LEDGER_FORMAT < 2147,
               "CHECKPOINT_FORMAT must tell every part's format apart and fit an int");

/* A checkpoint being written by its own thread and connection, so that the
 * feed is not held up while tens of megabytes go to PostgreSQL. */
struct checkpoint {
    pthread_t thread;
    int running;             /* thread started, not joined */
    volatile int finished;   /* set by the thread when it is done */
    int ok;                  /* its result */
    struct buf data;         /* the state (written by main, read by the thread) */
    uint64_t seq;            /* the state's applied seq */
    uint64_t last_seq;       /* seq of the last checkpoint known stored */
    int64_t last_time;       /* when it was taken (monotonic s) */
    const char *conninfo;
    size_t part;             /* bytes per stored part (part_size) */
    int64_t serialize_us;    /* copying the state (on the counting thread) */
    int64_t store_us;        /* writing it (on the checkpoint thread) */
};

enum side { SIDE_REGISTRY, SIDE_RELEASES, SIDE_CALENDAR, SIDE_N };

struct follow {
    struct agg *st;          /* the aggregator's state (agg.h): this module is its writer */
    char *conninfo;          /* owned */
    PGconn *conn;
    int attempts;            /* consecutive failed connects */
    volatile int *stop;      /* set by SIGTERM: retry loops give up (follow_start) */
    struct tables *delta;    /* metrics changed by the batch being applied */
    struct logrow *pending;  /* feed events not yet applied: seq applied+1 … */
    int64_t *pending_rx;     /* for each, when intake read it (0: unknown) */
    size_t npending, cap;
    int64_t started_us;      /* when this aggregator started following */
    int silent;              /* warned that intake's heartbeat stopped */
    struct buf a, y, m, v;   /* array literals for the metric upsert */
    struct checkpoint ck;
    int broken;              /* a permanent database error or an unreadable log row: stop */
    int side_unreadable[SIDE_N]; /* said that this side table cannot be read (side_said) */
    int64_t last_trim_s;     /* when follow_tick last gave freed memory back (monotonic s) */
};

/* The side tables re-read every tick. A failure is said once, with
 * PostgreSQL's message, and its end once: a line a tick would bury the log
 * (a database migrated before sql/011 has no report_release, say), and a
 * line without the message would leave the operator guessing. */
static const struct {
    const char *said, *table, *consequence;
} side_tables[SIDE_N] = {
    [SIDE_REGISTRY] = {"cannot read the agency registry", "agency",
                       "agency names and roll-ups stay as last read"},
    [SIDE_RELEASES] = {"cannot read the report releases", "report_release",
                       "reports say nothing of releases until they can be read (run gongkai migrate?)"},
    [SIDE_CALENDAR] = {"cannot read the working-day calendar", "calendar_day",
                       "due dates are provisional until it can be read (run gongkai migrate?)"},
};

static void side_said(struct follow *f, enum side which, int bad)
{
    if (bad && !f->side_unreadable[which]) {
        char first[512], q[600];
        const char *msg = PQerrorMessage(f->conn);
        snprintf(first, sizeof first, "%.*s", (int)strcspn(msg, "\n"), msg); /* its first line */
        log_warn(side_tables[which].said, "table=%s error=\"%s\" consequence=\"%s\"", side_tables[which].table,
                 log_q(*first ? first : "no row where one was expected", q, sizeof q),
                 side_tables[which].consequence);
    } else if (!bad && f->side_unreadable[which]) {
        log_info("side table readable again", "table=%s", side_tables[which].table);
    }
    f->side_unreadable[which] = bad;
}

struct follow *follow_new(struct agg *st, const char *conninfo)
{
    struct follow *f = xcalloc(1, sizeof *f);
    f->st = st;
    f->conninfo = xstrdup(conninfo);
    f->delta = tables_new();
    f->started_us = day_now_us();
    histo_init(&f->st->batch_events, histo_bounds_events, histo_nbounds_events);
    histo_init(&f->st->commit_seconds, histo_bounds_seconds, histo_nbounds_seconds);
    histo_init(&f->st->e2e_seconds, histo_bounds_seconds, histo_nbounds_seconds);
    f->ck.conninfo = f->conninfo;
    return f;
}

void follow_destroy(struct follow **pf)
{
    struct follow *f = *pf;
    if (!f)
        return;
    if (f->ck.running)
        pthread_join(f->ck.thread, NULL);
    buf_free(&f->ck.data);
    if (f->conn)
        PQfinish(f->conn);
    tables_destroy(&f->delta);
    free(f->pending);
    free(f->pending_rx);
    free(f->conninfo);
    buf_free(&f->a), buf_free(&f->y), buf_free(&f->m), buf_free(&f->v);
    free(f);
    *pf = NULL;
}

static int stopping(const struct follow *f)
{
    return f->stop && *f->stop;
}

static int reconnect(struct follow *f)
{
    if (db_alive(f->conn))
        return 0;
    if (f->conn)
        PQfinish(f->conn), f->conn = NULL;
    if (stopping(f))
        return -1; /* no backoff sleep on the way out */
    if (f->attempts)
        db_backoff(f->attempts - 1);
    f->attempts++;
    PGconn *c = db_connect(f->conninfo, "gongkai-aggregator");
    if (!c)
        return -1;
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%d)", AGG_LOCK);
    PGresult *r = PQexec(c, sql);
    int locked = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!locked) {
        log_error("another gongkai-aggregator holds this database's aggregator lock", "lock=%d",
                  AGG_LOCK);
        PQfinish(c);
        return -1;
    }
    f->conn = c;
    f->attempts = 0;
    return 0;
}

/* The stored cursor, or -1. */
static int64_t read_cursor(struct follow *f)
{
    PGresult *r = PQexec(f->conn, "SELECT applied_seq FROM agg_cursor WHERE id = 1");
    int64_t v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

static void collect(void *arg, uint32_t agency, int year, int metric, int64_t value)
{
    struct follow *f = arg;
    const char *sep = f->a.len > 1 ? "," : "";
    buf_printf(&f->a, "%s%s", sep, ledger_agency_code(f->st->ledger, agency));
    buf_printf(&f->y, "%s%d", sep, year);
    buf_printf(&f->m, "%s%s", sep, tables_metric_name(metric));
    buf_printf(&f->v, "%s%lld", sep, (long long)value);
}

/* Writes the delta and moves the cursor from first-1 to last, in one
 * transaction. 1 committed; 0 not committed, retrying may help; -1 not
 * committed, and the same transaction would fail the same way (logged with
 * PostgreSQL's message). */
static int persist(struct follow *f, uint64_t first, uint64_t last)
{
    buf_reset(&f->a), buf_reset(&f->y), buf_reset(&f->m), buf_reset(&f->v);
    buf_putc(&f->a, '{'), buf_putc(&f->y, '{'), buf_putc(&f->m, '{'), buf_putc(&f->v, '{');
    tables_foreach(f->delta, collect, f);
    buf_putc(&f->a, '}'), buf_putc(&f->y, '}'), buf_putc(&f->m, '}'), buf_putc(&f->v, '}');
    if (!db_alive(f->conn))
        return 0;
    /* BEGIN and one statement in one round trip (db_begin_exec), then
     * COMMIT: two round trips. The cursor moves only from where this process
     * left it, and the delta's upsert reads the moved row (RETURNING): when
     * the cursor is elsewhere, neither happens. */
    char from[24], to[24];
    snprintf(from, sizeof from, "%llu", (unsigned long long)first - 1);
    snprintf(to, sizeof to, "%llu", (unsigned long long)last);
    const char *p[] = {f->a.data, f->y.data, f->m.data, f->v.data, from, to};
    PGresult *r = db_begin_exec(
        f->conn,
        "WITH cursor_moved AS (UPDATE agg_cursor SET applied_seq = $6::bigint, updated_at = now()"
        "   WHERE id = 1 AND applied_seq = $5::bigint RETURNING 1),"
        " delta AS (INSERT INTO agg_metric (agency, year, metric, value)"
        "   SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[])"
        "   WHERE EXISTS (SELECT 1 FROM cursor_moved)"
        "   ON CONFLICT (agency, year, metric) DO UPDATE SET value = agg_metric.value + EXCLUDED.value)"
        " SELECT count(*) FROM cursor_moved",
        6, p);
    int rc = DB_OK;
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (!ok) {
        rc = db_failure(f->conn, r, "INSERT INTO agg_metric, UPDATE agg_cursor");
    } else if (strcmp(PQgetvalue(r, 0, 0), "1") != 0) {
        /* Someone else moved it: nothing this process does can fix that. */
        ok = 0;
        rc = DB_FATAL;
        log_error("agg_cursor is not where this aggregator left it", "expected=%s", from);
    }
    PQclear(r);
    if (!ok) {
        if (db_alive(f->conn))
            db_exec(f->conn, "ROLLBACK");
        return rc == DB_FATAL ? -1 : 0;
    }
    r = PQexec(f->conn, "COMMIT");
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok && db_alive(f->conn))
        rc = db_failure(f->conn, r, "COMMIT");
    PQclear(r);
    if (ok)
        return 1;
    if (db_alive(f->conn))
        return rc == DB_FATAL ? -1 : 0;
    /* Lost during COMMIT: the cursor tells whether it happened. Stopping
     * before we can ask, we say "not committed": memory then stays at the
     * previous batch, which is behind the stored cursor at worst, and the
     * next start rebuilds from the cursor, not from memory. */
    while (reconnect(f))
        if (stopping(f))
            return 0;
    return read_cursor(f) == (int64_t)last;
}

/* End-to-end lag of the events just committed: from intake reading each to
 * now, in runs of equal stamps (a feed batch shares one). Wall clocks of two
 * processes: a negative difference (clock skew) counts as 0. Caller holds
 * the write lock. */
static void observe_e2e(struct follow *f, const int64_t *rx, size_t n)
{
    int64_t now = day_now_us();
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && rx[j] == rx[i])
            j++;
        if (rx[i] > 0)
            histo_observe(&f->st->e2e_seconds, now > rx[i] ? (double)(now - rx[i]) / 1e6 : 0,
                          (uint64_t)(j - i));
        i = j;
    }
}

/* Applies rows (seq first …) exactly once: memory changes only after the
 * transaction that records them commits. Retries until it does, or until
 * SIGTERM: then -1, and neither memory nor the database holds any of the
 * batch (they stay in the log for the next start). rx: when intake read
 * each (feed), or NULL (read back from the log). */
static int apply_batch(struct follow *f, const struct logrow *rows, size_t n, uint64_t first,
                       const int64_t *rx)
{
    if (!n)
        return 0;
    int tries = 0;
    for (;;) {
        pthread_rwlock_wrlock(&f->st->lock);
        ledger_begin(f->st->ledger);
        tables_clear(f->delta);
        for (size_t i = 0; i < n; i++) {
            struct ledger_change chg;
            ledger_apply(f->st->ledger, &rows[i].ev, &chg);
            tables_apply(f->delta, &chg);
        }
        pthread_rwlock_unlock(&f->st->lock);
        int64_t t0 = day_mono_us();
        int persisted = persist(f, first, first + n - 1);
        int ok = persisted == 1;
        double took = (double)(day_mono_us() - t0) / 1e6;
        pthread_rwlock_wrlock(&f->st->lock);
        if (ok) {
            histo_observe(&f->st->commit_seconds, took, 1);
            histo_observe(&f->st->batch_events, (double)n, 1);
            if (rx)
                observe_e2e(f, rx, n);
            ledger_commit(f->st->ledger);
            tables_merge(f->st->live, f->delta);
            /* Timeliness state joins only now: the batch is committed, so
             * there is nothing to undo (timeliness.h). */
            for (size_t i = 0; i < n; i++)
                tl_apply(f->st->tl, ledger_agency_id(f->st->ledger, rows[i].ev.agency), &rows[i].ev);
            __atomic_store_n(&f->st->applied, first + n - 1, __ATOMIC_RELAXED);
            f->st->agencies = ledger_agency_count(f->st->ledger);
            if (f->st->head < f->st->applied)
                __atomic_store_n(&f->st->head, f->st->applied, __ATOMIC_RELAXED);
            f->st->events_applied += n;
            f->st->batches_applied++;
            __atomic_store_n(&f->st->last_event_us, day_now_us(), __ATOMIC_RELAXED);
        } else {
            ledger_rollback(f->st->ledger);
            f->st->db_failures++;
        }
        pthread_rwlock_unlock(&f->st->lock);
        if (ok)
            return 0;
        if (persisted < 0) {
            char qid[300];
            /* The same batch would fail the same way: say which and stop,
             * never loop. Memory and cursor stay before it. */
            log_error("aggregator stops: the database refused a batch for good (see the error above)",
                      "first_seq=%llu last_seq=%llu first_event_id=\"%s\" action=\"the batch stays "
                      "in the event log, past agg_cursor; fix what PostgreSQL reports, then start "
                      "gongkai-aggregator again (proto/PROTOCOL.md, Failures)\"",
                      (unsigned long long)first, (unsigned long long)(first + n - 1),
                      log_q(rows[0].ev.event_id, qid, sizeof qid));
            f->broken = 1;
            return -1;
        }
        if (stopping(f))
            break;
        log_warn("batch not committed; retrying", "first_seq=%llu events=%zu",
                 (unsigned long long)first, n);
        /* A transient refusal on a live connection (a deadlock, a full disk)
         * is retried after a backoff too, never in a tight loop. */
        if (db_alive(f->conn))
            db_backoff(tries < 10 ? tries : 10);
        tries++;
        while (reconnect(f))
            if (stopping(f))
                goto stopped;
    }
stopped:
    log_info("stopping: batch left to the event log", "first_seq=%llu events=%zu",
             (unsigned long long)first, n);
    return -1;
}

int follow_broken(const struct follow *f)
{
    return f->broken;
}

long follow_catch_up(struct follow *f, long limit)
{
    struct logrow *rows = NULL;
    size_t cap = 0;
    long total = 0;
    f->npending = 0; /* the log supersedes whatever the feed had queued */
    for (;;) {
        if (reconnect(f)) {
            total = total ? total : -1;
            break;
        }
        long want = limit && limit - total < CATCH_UP_CHUNK ? limit - total : CATCH_UP_CHUNK;
        long n = logread_chunk(f->conn, f->st->applied, want, &rows, &cap);
        if (n == LOGREAD_BAD) {
            log_error("aggregator stops: the event log cannot be read past applied_seq (see the "
                      "error above)",
                      "applied_seq=%llu action=\"reports stay at applied_seq; see proto/PROTOCOL.md, "
                      "Failures; gongkai doctor lists every such row\"",
                      (unsigned long long)f->st->applied);
            f->broken = 1;
            break;
        }
        if (n <= 0)
            break;
        if (apply_batch(f, rows, (size_t)n, f->st->applied + 1, NULL))
            break;
        total += n;
        if (n < want || (limit && total >= limit))
            break;
        if (total % 100000 < CATCH_UP_CHUNK)
            log_info("catching up from the event log", "applied_seq=%llu",
                     (unsigned long long)f->st->applied);
    }
    free(rows);
    if (total > 0) {
        pthread_rwlock_wrlock(&f->st->lock);
        f->st->catchups++;
        pthread_rwlock_unlock(&f->st->lock);
    }
    return total;
}

/* Stores data as the checkpoint at seq; 0 or -1 (logged). */
/* Parts of the stored state: each well below bytea's 1 GB and libpq's int
 * lengths, whatever the state's size (sql/009). */
#define CHECKPOINT_PART ((size_t)64 << 20)

/* The part size in use: CHECKPOINT_PART, or a smaller one set for tests
 * (GONGKAI_DEBUG_CHECKPOINT_PART_BYTES), so that a small state is stored in
 * several parts too. */
static size_t part_size(const struct agg *st)
{
    return st->debug_checkpoint_part > 0 ? (size_t)st->debug_checkpoint_part : CHECKPOINT_PART;
}

/* Writes the parts and the header in one transaction: a reader sees the
 * previous checkpoint whole or this one whole. 0, or -1 (logged with
 * PostgreSQL's message). */
static int checkpoint_store(PGconn *c, uint64_t seq, const struct buf *data, size_t part)
{
    size_t parts = (data->len + part - 1) / part;
    if (db_exec(c, "BEGIN") != DB_OK || db_exec(c, "DELETE FROM agg_checkpoint_part") != DB_OK)
        goto fail;
    for (size_t i = 0; i < parts; i++) {
        char n[24];
        snprintf(n, sizeof n, "%zu", i + 1);
        size_t off = i * part;
        size_t len = data->len - off < part ? data->len - off : part;
        const char *p[] = {n, data->data + off};
        int lens[] = {0, (int)len}, bin[] = {0, 1};
        PGresult *r = PQexecParams(c, "INSERT INTO agg_checkpoint_part (part, data) VALUES ($1::int, $2)",
                                   2, NULL, p, lens, bin, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            db_failure(c, r, "INSERT INTO agg_checkpoint_part");
        PQclear(r);
        if (!ok)
            goto fail;
    }
    char s[24], fmt[16], np[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)seq);
    snprintf(fmt, sizeof fmt, "%d", CHECKPOINT_FORMAT);
    snprintf(np, sizeof np, "%zu", parts);
    const char *p[] = {s, fmt, np};
    PGresult *r = PQexecParams(
        c,
        "INSERT INTO agg_checkpoint (id, seq, format, state, parts)"
        " VALUES (1, $1::bigint, $2::int, '', $3::int)"
        " ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, format = EXCLUDED.format,"
        " state = '', parts = EXCLUDED.parts, created_at = now()",
        3, NULL, p, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        db_failure(c, r, "INSERT INTO agg_checkpoint");
    PQclear(r);
    if (ok && db_exec(c, "COMMIT") == DB_OK)
        return 0;
fail:
    log_warn("checkpoint not stored (the previous one stays; see the error above)",
             "seq=%llu bytes=%zu", (unsigned long long)seq, data->len);
    if (db_alive(c))
        db_exec(c, "ROLLBACK");
    return -1;
}

/* The stored checkpoint's bytes into out: 0, or -1 (none usable). */
static int checkpoint_read(PGconn *c, int64_t *seq, struct buf *out)
{
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%d", CHECKPOINT_FORMAT);
    const char *p[] = {fmt};
    PGresult *r = PQexecParams(c, "SELECT seq, parts FROM agg_checkpoint WHERE id = 1 AND format = $1::int",
                               1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            log_warn("cannot read agg_checkpoint: replaying the whole log", "%s", "");
            db_failure(c, r, "SELECT FROM agg_checkpoint");
        }
        PQclear(r);
        return -1;
    }
    *seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    long parts = strtol(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    /* Part by part: memory holds the state once, plus one part. */
    for (long i = 1; i <= parts; i++) {
        char n[24];
        snprintf(n, sizeof n, "%ld", i);
        const char *q[] = {n};
        r = PQexecParams(c, "SELECT data FROM agg_checkpoint_part WHERE part = $1::int", 1, NULL, q,
                         NULL, NULL, 1);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        if (ok)
            buf_append(out, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
        else if (PQresultStatus(r) != PGRES_TUPLES_OK)
            db_failure(c, r, "SELECT FROM agg_checkpoint_part");
        PQclear(r);
        if (!ok)
            return -1;
    }
    return parts > 0 ? 0 : -1;
}

static void *checkpoint_thread(void *arg)
{
    struct checkpoint *ck = arg;
    int64_t t0 = day_mono_us();
    PGconn *c = db_connect(ck->conninfo, "gongkai-aggregator-checkpoint");
    ck->ok = c && checkpoint_store(c, ck->seq, &ck->data, ck->part) == 0;
    ck->store_us = day_mono_us() - t0;
    if (c)
        PQfinish(c);
    __atomic_store_n(&ck->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* The committed state as checkpoint bytes. Called by the writer thread
 * between batches, when memory holds exactly what agg_cursor says: the
 * ledger, the tables and the timeliness state all move, under one write
 * lock, together with the state's applied once a batch has committed (apply_batch),
 * and only this thread moves them, so the three are read here at the same
 * seq without the lock. */
static void checkpoint_serialize(struct follow *f, struct buf *out)
{
    uint32_t head[2] = {CHECKPOINT_MAGIC, CHECKPOINT_FORMAT};
    uint8_t key[HASH_KEY_LEN];
    hash_key_get(key); /* the ledger's keys are hashes under it (hash.h) */
    buf_reset(out);
    buf_append(out, head, sizeof head);
    buf_append(out, key, sizeof key);
    ledger_save(f->st->ledger, out);
    tables_save(f->st->live, out);
    tl_save(f->st->tl, out);
}

/* Joins a finished checkpoint thread; 1 while one is still running. */
static int checkpoint_reap(struct checkpoint *ck)
{
    if (!ck->running)
        return 0;
    if (!__atomic_load_n(&ck->finished, __ATOMIC_ACQUIRE))
        return 1;
    pthread_join(ck->thread, NULL);
    ck->running = 0;
    if (ck->ok) {
        ck->last_seq = ck->seq;
        log_info("checkpoint stored", "seq=%llu bytes=%zu serialize_ms=%.1f store_ms=%.1f",
                 (unsigned long long)ck->seq, ck->data.len, (double)ck->serialize_us / 1000,
                 (double)ck->store_us / 1000);
    }
    /* The copy is tens of megabytes: give it back rather than keep it. */
    buf_free(&ck->data);
    return 0;
}

/* Starts a checkpoint when enough has been applied since the last one. */
static void checkpoint_maybe(struct follow *f)
{
    struct checkpoint *ck = &f->ck;
    if (checkpoint_reap(ck) || f->st->applied == ck->last_seq)
        return;
    if (f->st->applied - ck->last_seq < CHECKPOINT_EVENTS &&
        (day_mono_us() / 1000000) - ck->last_time < CHECKPOINT_SECONDS)
        return;
    int64_t t0 = day_mono_us();
    checkpoint_serialize(f, &ck->data);
    ck->serialize_us = day_mono_us() - t0;
    ck->seq = f->st->applied;
    ck->part = part_size(f->st);
    ck->last_time = (day_mono_us() / 1000000);
    ck->finished = 0;
    if (pthread_create(&ck->thread, NULL, checkpoint_thread, ck)) {
        buf_free(&ck->data);
        return;
    }
    ck->running = 1;
}

void follow_checkpoint(struct follow *f)
{
    struct checkpoint *ck = &f->ck;
    if (ck->running) {
        pthread_join(ck->thread, NULL);
        ck->finished = 1;
        checkpoint_reap(ck);
    }
    if (f->st->applied == ck->last_seq || !db_alive(f->conn))
        return;
    int64_t t0 = day_mono_us();
    checkpoint_serialize(f, &ck->data);
    int64_t t1 = day_mono_us();
    if (checkpoint_store(f->conn, f->st->applied, &ck->data, part_size(f->st)) == 0) {
        ck->last_seq = f->st->applied;
        log_info("checkpoint stored", "seq=%llu bytes=%zu serialize_ms=%.1f store_ms=%.1f",
                 (unsigned long long)f->st->applied, ck->data.len, (double)(t1 - t0) / 1000,
                 (double)(day_mono_us() - t1) / 1000);
    }
    buf_free(&ck->data);
}

/* Loads the stored checkpoint if there is a usable one at or below cursor:
 * memory becomes the state at its seq. Anything wrong with it only costs a
 * longer replay, never a wrong state: memory is reset and the log replayed. */
static void checkpoint_load(struct follow *f, int64_t cursor)
{
    int64_t seq = 0;
    struct buf bytes = {0};
    if (checkpoint_read(f->conn, &seq, &bytes)) {
        buf_free(&bytes);
        return;
    }
    struct rd in = {(const unsigned char *)bytes.data, bytes.len, 1};
    uint32_t head[2];
    uint8_t key[HASH_KEY_LEN], own[HASH_KEY_LEN];
    int ok = seq > 0 && seq <= cursor && rd_copy(&in, head, sizeof head) == 0 &&
             head[0] == CHECKPOINT_MAGIC && head[1] == CHECKPOINT_FORMAT &&
             rd_copy(&in, key, sizeof key) == 0;
    /* Memory is empty here: adopt the key the checkpoint's entities were
     * hashed under; if the checkpoint turns out unusable, go back to ours. */
    hash_key_get(own);
    if (ok)
        hash_key_set(key);
    pthread_rwlock_wrlock(&f->st->lock);
    ok = ok && ledger_load(f->st->ledger, &in) == 0 && tables_load(f->st->live, &in) == 0 &&
         tl_load(f->st->tl, &in) == 0 && !in.left;
    if (ok) {
        __atomic_store_n(&f->st->applied, (uint64_t)seq, __ATOMIC_RELAXED);
        __atomic_store_n(&f->st->head, (uint64_t)seq, __ATOMIC_RELAXED);
        f->st->agencies = ledger_agency_count(f->st->ledger);
        f->ck.last_seq = (uint64_t)seq;
    } else {
        hash_key_set(own);
        ledger_destroy(&f->st->ledger);
        tables_destroy(&f->st->live);
        tl_destroy(&f->st->tl);
        f->st->ledger = ledger_new();
        f->st->live = tables_new();
        f->st->tl = tl_new();
    }
    pthread_rwlock_unlock(&f->st->lock);
    buf_free(&bytes);
    if (ok)
        log_info("checkpoint loaded", "seq=%lld cursor=%lld applications=%zu", (long long)seq,
                 (long long)cursor, tl_applications(f->st->tl));
    else
        log_warn("checkpoint unusable: replaying the whole log", "seq=%lld cursor=%lld",
                 (long long)seq, (long long)cursor);
}

int follow_start(struct follow *f, volatile int *stop)
{
    f->stop = stop;
    while (reconnect(f)) {
        if (*stop)
            return -1;
        if (f->attempts == 1 || f->attempts % 10 == 0)
            log_warn("waiting for the database", "attempts=%d", f->attempts);
    }
    int64_t cursor = read_cursor(f);
    if (cursor < 0) {
        log_error("agg_cursor missing: run `gongkai migrate`", "%s", "");
        return -1;
    }
    /* Rebuild memory to the committed cursor: from the checkpoint, if there
     * is one, replay the log without writing (the metrics up to the cursor
     * are already in agg_metric). */
    f->ck.last_time = (day_mono_us() / 1000000);
    checkpoint_load(f, cursor);
    /* The next chunk is read and decoded on the stream's thread while this
     * one is applied; f->conn is the stream's until it is destroyed. */
    struct logread_stream *in = logread_stream_new(f->conn, f->st->applied, (uint64_t)cursor, CATCH_UP_CHUNK);
    const struct logrow *rows;
    while (f->st->applied < (uint64_t)cursor) {
        long n = logread_stream_next(in, &rows);
        if (n <= 0) {
            log_error("cannot rebuild state up to the stored cursor", "cursor=%lld applied=%llu",
                      (long long)cursor, (unsigned long long)f->st->applied);
            logread_stream_destroy(&in);
            return -1;
        }
        pthread_rwlock_wrlock(&f->st->lock);
        for (long i = 0; i < n; i++) {
            struct ledger_change chg;
            ledger_apply(f->st->ledger, &rows[i].ev, &chg);
            tables_apply(f->st->live, &chg);
            tl_apply(f->st->tl, chg.agency, &rows[i].ev);
        }
        __atomic_store_n(&f->st->applied, f->st->applied + (uint64_t)n, __ATOMIC_RELAXED);
        __atomic_store_n(&f->st->head, f->st->applied, __ATOMIC_RELAXED);
        f->st->agencies = ledger_agency_count(f->st->ledger);
        pthread_rwlock_unlock(&f->st->lock);
    }
    logread_stream_destroy(&in);
    /* The last apply before this start, so that /healthz and the page show
     * when the tables last moved even before anything new arrives. */
    PGresult *r = PQexec(f->conn, "SELECT (extract(epoch FROM updated_at) * 1000000)::bigint"
                                  " FROM agg_cursor WHERE id = 1 AND applied_seq > 0");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        __atomic_store_n(&f->st->last_event_us, strtoll(PQgetvalue(r, 0, 0), NULL, 10),
                         __ATOMIC_RELAXED);
    PQclear(r);
    side_said(f, SIDE_REGISTRY, registry_refresh(f->st, f->conn) != 0);
    side_said(f, SIDE_RELEASES, releases_refresh(f->st, f->conn) != 0);
    side_said(f, SIDE_CALENDAR, due_calendar_refresh(f->st, f->conn) != 0);
    log_info("state rebuilt from the event log", "applied_seq=%llu", (unsigned long long)f->st->applied);
    return 0;
}

void follow_flush(struct follow *f)
{
    if (!f->npending)
        return;
    size_t n = f->npending;
    f->npending = 0;
    apply_batch(f, f->pending, n, f->st->applied + 1, f->pending_rx);
}

/* Keeps intake's counters from a heartbeat for /metrics. */
static void take_stats(struct follow *f, const Gongkai__V1__IntakeStats *m)
{
    struct intake_stats s;
    intake_stats_from_pb(m, &s);
    int64_t now = day_now_us();
    pthread_rwlock_wrlock(&f->st->lock);
    int restarted = f->st->intake_seen_us && s.started_at_us != f->st->intake.started_at_us;
    if (restarted)
        f->st->intake_restarts++;
    f->st->intake = s;
    f->st->intake_seen_us = now;
    pthread_rwlock_unlock(&f->st->lock);
    if (restarted)
        log_info("intake restarted", "head_seq=%llu", (unsigned long long)f->st->head);
    if (f->silent) {
        f->silent = 0;
        log_info("intake heartbeat back", "head_seq=%llu", (unsigned long long)f->st->head);
    }
}

void follow_feed(struct follow *f, const void *data, size_t len)
{
    Envelope *env = wire_unpack(data, len);
    if (!env)
        return;
    if (env->body_case == GONGKAI__V1__ENVELOPE__BODY_HEARTBEAT && env->heartbeat->has_head_seq) {
        pthread_rwlock_wrlock(&f->st->lock);
        if (env->heartbeat->head_seq > f->st->head)
            __atomic_store_n(&f->st->head, env->heartbeat->head_seq, __ATOMIC_RELAXED);
        pthread_rwlock_unlock(&f->st->lock);
        if (env->heartbeat->stats)
            take_stats(f, env->heartbeat->stats);
    } else if (env->body_case == GONGKAI__V1__ENVELOPE__BODY_FEED && env->feed->n_events) {
        uint64_t first = env->feed->first_seq;
        uint64_t last = first + env->feed->n_events - 1;
        uint64_t next = f->st->applied + f->npending + 1;
        pthread_rwlock_wrlock(&f->st->lock);
        if (last > f->st->head)
            __atomic_store_n(&f->st->head, last, __ATOMIC_RELAXED);
        if (first > next)
            f->st->feed_gaps++;
        pthread_rwlock_unlock(&f->st->lock);
        if (first > next) {
            /* A gap: the feed dropped something. The log has it. */
            log_info("feed gap; catching up from the event log", "expected_seq=%llu got_seq=%llu",
                     (unsigned long long)next, (unsigned long long)first);
            follow_flush(f);
            follow_catch_up(f, 0);
        } else if (last >= next) {
            for (uint64_t s = next; s <= last; s++) {
                if (f->npending == f->cap) {
                    f->cap = f->cap ? 2 * f->cap : 1024;
                    f->pending = xrealloc(f->pending, f->cap * sizeof *f->pending);
                    f->pending_rx = xrealloc(f->pending_rx, f->cap * sizeof *f->pending_rx);
                }
                f->pending_rx[f->npending] = env->feed->has_received_at_us ? env->feed->received_at_us : 0;
                ProtobufCBinaryData *b = &env->feed->events[s - first];
                struct ev_error err;
                struct logrow *row = &f->pending[f->npending];
                row->seq = s;
                if (codec_decode(b->data, b->len, &row->ev, &err)) {
                    log_error("undecodable feed event; using the log", "seq=%llu", (unsigned long long)s);
                    follow_flush(f);
                    follow_catch_up(f, 0);
                    break;
                }
                f->npending++;
            }
            if (f->npending >= FEED_BATCH_MAX)
                follow_flush(f);
        }
    }
    wire_free(env);
}

void follow_tick(struct follow *f)
{
    int64_t last = f->st->intake_seen_us ? f->st->intake_seen_us : f->started_us;
    if (!f->silent && day_now_us() - last > HEARTBEAT_SILENCE_US) {
        f->silent = 1;
        log_warn("no heartbeat from intake; the feed may be down", "seconds=%lld",
                 (long long)((day_now_us() - last) / 1000000));
    }
    follow_flush(f);
    checkpoint_maybe(f);
    /* Give back what bursts left free (a checkpoint's copy, feed messages
     * queued in ZeroMQ's thread during a catch-up): glibc keeps freed memory
     * in per-thread arenas, where it would count as ours for good. */
    if ((day_mono_us() / 1000000) - f->last_trim_s >= 10) {
        malloc_trim(0);
        f->last_trim_s = day_mono_us() / 1000000;
    }
    if (db_alive(f->conn)) {
        side_said(f, SIDE_REGISTRY, registry_refresh(f->st, f->conn) != 0);
        side_said(f, SIDE_RELEASES, releases_refresh(f->st, f->conn) != 0);
        side_said(f, SIDE_CALENDAR, due_calendar_refresh(f->st, f->conn) != 0);
    }
    if (f->st->head > f->st->applied)
        follow_catch_up(f, 0);
}
