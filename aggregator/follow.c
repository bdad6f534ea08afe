/* follow — feed, catch-up and exactly-once apply (see follow.h). */
#include "follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "alloc.h"
#include "buf.h"
#include "codec.h"
#include "day.h"
#include "db.h"
#include "log.h"
#include "logread.h"
#include "registry.h"
#include "timeliness.h"
#include "wire.h"

#define AGG_LOCK 710103     /* pg advisory lock: one aggregator per database */
#define CATCH_UP_CHUNK 10000
#define FEED_BATCH_MAX 5000
#define HEARTBEAT_SILENCE_US 5000000 /* no heartbeat for this long: warn once */

struct follow {
    char *conninfo;          /* owned */
    PGconn *conn;
    int attempts;            /* consecutive failed connects */
    struct tables *delta;    /* metrics changed by the batch being applied */
    struct logrow *pending;  /* feed events not yet applied: seq applied+1 … */
    int64_t *pending_rx;     /* for each, when intake read it (0: unknown) */
    size_t npending, cap;
    int64_t started_us;      /* when this aggregator started following */
    int silent;              /* warned that intake's heartbeat stopped */
    struct buf a, y, m, v;   /* array literals for the metric upsert */
};

struct follow *follow_new(const char *conninfo)
{
    struct follow *f = xcalloc(1, sizeof *f);
    f->conninfo = xstrdup(conninfo);
    f->delta = tables_new();
    f->started_us = day_now_us();
    histo_init(&agg.batch_events, histo_bounds_events, histo_nbounds_events);
    histo_init(&agg.commit_seconds, histo_bounds_seconds, histo_nbounds_seconds);
    histo_init(&agg.e2e_seconds, histo_bounds_seconds, histo_nbounds_seconds);
    return f;
}

void follow_destroy(struct follow **pf)
{
    struct follow *f = *pf;
    if (!f)
        return;
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

static int reconnect(struct follow *f)
{
    if (db_alive(f->conn))
        return 0;
    if (f->conn)
        PQfinish(f->conn), f->conn = NULL;
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
    buf_printf(&f->a, "%s%s", sep, ledger_agency_code(agg.ledger, agency));
    buf_printf(&f->y, "%s%d", sep, year);
    buf_printf(&f->m, "%s%s", sep, tables_metric_name(metric));
    buf_printf(&f->v, "%s%lld", sep, (long long)value);
}

/* Writes the delta and moves the cursor from first-1 to last, in one
 * transaction. 1 committed, 0 not committed. */
static int persist(struct follow *f, uint64_t first, uint64_t last)
{
    buf_reset(&f->a), buf_reset(&f->y), buf_reset(&f->m), buf_reset(&f->v);
    buf_putc(&f->a, '{'), buf_putc(&f->y, '{'), buf_putc(&f->m, '{'), buf_putc(&f->v, '{');
    tables_foreach(f->delta, collect, f);
    buf_putc(&f->a, '}'), buf_putc(&f->y, '}'), buf_putc(&f->m, '}'), buf_putc(&f->v, '}');
    if (!db_alive(f->conn) || db_exec(f->conn, "BEGIN"))
        return 0;
    const char *p[] = {f->a.data, f->y.data, f->m.data, f->v.data};
    PGresult *r = PQexecParams(
        f->conn,
        "INSERT INTO agg_metric (agency, year, metric, value)"
        " SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[])"
        " ON CONFLICT (agency, year, metric) DO UPDATE SET value = agg_metric.value + EXCLUDED.value",
        4, NULL, p, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    char from[24], to[24];
    snprintf(from, sizeof from, "%llu", (unsigned long long)first - 1);
    snprintf(to, sizeof to, "%llu", (unsigned long long)last);
    const char *q[] = {from, to};
    if (ok) {
        r = PQexecParams(f->conn,
                         "UPDATE agg_cursor SET applied_seq = $2::bigint, updated_at = now()"
                         " WHERE id = 1 AND applied_seq = $1::bigint",
                         2, NULL, q, NULL, NULL, 0);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(r), "1") == 0;
        PQclear(r);
        if (!ok)
            log_error("agg_cursor is not where this aggregator left it", "expected=%s", from);
    }
    if (!ok) {
        if (db_alive(f->conn))
            db_exec(f->conn, "ROLLBACK");
        return 0;
    }
    r = PQexec(f->conn, "COMMIT");
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok || db_alive(f->conn))
        return ok;
    /* Lost during COMMIT: the cursor tells whether it happened. */
    while (reconnect(f))
        ;
    return read_cursor(f) == (int64_t)last;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* End-to-end lag of the events just committed: from intake reading each to
 * now, in runs of equal stamps (a feed batch shares one). Wall clocks of two
 * processes: a negative difference (clock skew) counts as 0. Caller holds
 * the write lock. */
static void observe_e2e(const int64_t *rx, size_t n)
{
    int64_t now = day_now_us();
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && rx[j] == rx[i])
            j++;
        if (rx[i] > 0)
            histo_observe(&agg.e2e_seconds, now > rx[i] ? (double)(now - rx[i]) / 1e6 : 0,
                          (uint64_t)(j - i));
        i = j;
    }
}

/* Applies rows (seq first …) exactly once: memory changes only after the
 * transaction that records them commits. Retries until it does. rx: when
 * intake read each (feed), or NULL (read back from the log). */
static void apply_batch(struct follow *f, const struct logrow *rows, size_t n, uint64_t first,
                        const int64_t *rx)
{
    if (!n)
        return;
    for (;;) {
        pthread_rwlock_wrlock(&agg.lock);
        ledger_begin(agg.ledger);
        tables_clear(f->delta);
        for (size_t i = 0; i < n; i++) {
            struct ledger_change chg;
            ledger_apply(agg.ledger, &rows[i].ev, &chg);
            tables_apply(f->delta, &chg);
        }
        pthread_rwlock_unlock(&agg.lock);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int ok = persist(f, first, first + n - 1);
        double took = seconds_since(&t0);
        pthread_rwlock_wrlock(&agg.lock);
        if (ok) {
            histo_observe(&agg.commit_seconds, took, 1);
            histo_observe(&agg.batch_events, (double)n, 1);
            if (rx)
                observe_e2e(rx, n);
            ledger_commit(agg.ledger);
            tables_merge(agg.live, f->delta);
            /* Timeliness state joins only now: the batch is committed, so
             * there is nothing to undo (timeliness.h). */
            for (size_t i = 0; i < n; i++)
                tl_apply(agg.tl, ledger_agency_id(agg.ledger, rows[i].ev.agency), &rows[i].ev);
            agg.applied = first + n - 1;
            if (agg.head < agg.applied)
                agg.head = agg.applied;
            agg.events_applied += n;
            agg.batches_applied++;
            agg.last_event_us = day_now_us();
        } else {
            ledger_rollback(agg.ledger);
            agg.db_failures++;
        }
        pthread_rwlock_unlock(&agg.lock);
        if (ok)
            return;
        log_warn("batch not committed; retrying", "first_seq=%llu events=%zu",
                 (unsigned long long)first, n);
        while (reconnect(f))
            ;
    }
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
        long n = logread_chunk(f->conn, agg.applied, want, &rows, &cap);
        if (n <= 0)
            break;
        apply_batch(f, rows, (size_t)n, agg.applied + 1, NULL);
        total += n;
        if (n < want || (limit && total >= limit))
            break;
        if (total % 100000 < CATCH_UP_CHUNK)
            log_info("catching up from the event log", "applied_seq=%llu",
                     (unsigned long long)agg.applied);
    }
    free(rows);
    if (total > 0)
        agg.catchups++;
    return total;
}

int follow_start(struct follow *f, volatile int *stop)
{
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
    /* Rebuild memory to the committed cursor: replay the log without writing
     * (the metrics up to the cursor are already in agg_metric). */
    struct logrow *rows = NULL;
    size_t cap = 0;
    while (agg.applied < (uint64_t)cursor) {
        long want = (long)((uint64_t)cursor - agg.applied);
        long n = logread_chunk(f->conn, agg.applied, want < CATCH_UP_CHUNK ? want : CATCH_UP_CHUNK,
                                &rows, &cap);
        if (n <= 0) {
            log_error("cannot rebuild state up to the stored cursor", "cursor=%lld applied=%llu",
                      (long long)cursor, (unsigned long long)agg.applied);
            free(rows);
            return -1;
        }
        pthread_rwlock_wrlock(&agg.lock);
        for (long i = 0; i < n; i++) {
            struct ledger_change chg;
            ledger_apply(agg.ledger, &rows[i].ev, &chg);
            tables_apply(agg.live, &chg);
            tl_apply(agg.tl, chg.agency, &rows[i].ev);
        }
        agg.applied += (uint64_t)n;
        agg.head = agg.applied;
        pthread_rwlock_unlock(&agg.lock);
    }
    free(rows);
    /* The last apply before this start, so that /healthz and the page show
     * when the tables last moved even before anything new arrives. */
    PGresult *r = PQexec(f->conn, "SELECT (extract(epoch FROM updated_at) * 1000000)::bigint"
                                  " FROM agg_cursor WHERE id = 1 AND applied_seq > 0");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        agg.last_event_us = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    registry_refresh(f->conn);
    if (due_calendar_refresh(f->conn))
        log_warn("cannot read the working-day calendar (run `gongkai migrate`?); due dates are "
                 "provisional until it can be read", "%s", "");
    log_info("state rebuilt from the event log", "applied_seq=%llu", (unsigned long long)agg.applied);
    return 0;
}

void follow_flush(struct follow *f)
{
    if (!f->npending)
        return;
    size_t n = f->npending;
    f->npending = 0;
    apply_batch(f, f->pending, n, agg.applied + 1, f->pending_rx);
}

/* Keeps intake's counters from a heartbeat for /metrics. */
static void take_stats(struct follow *f, const Gongkai__V1__IntakeStats *m)
{
    struct intake_stats s;
    intake_stats_from_pb(m, &s);
    int64_t now = day_now_us();
    pthread_rwlock_wrlock(&agg.lock);
    int restarted = agg.intake_seen_us && s.started_at_us != agg.intake.started_at_us;
    if (restarted)
        agg.intake_restarts++;
    agg.intake = s;
    agg.intake_seen_us = now;
    pthread_rwlock_unlock(&agg.lock);
    if (restarted)
        log_info("intake restarted", "head_seq=%llu", (unsigned long long)agg.head);
    if (f->silent) {
        f->silent = 0;
        log_info("intake heartbeat back", "head_seq=%llu", (unsigned long long)agg.head);
    }
}

void follow_feed(struct follow *f, const void *data, size_t len)
{
    Envelope *env = wire_unpack(data, len);
    if (!env)
        return;
    if (env->body_case == GONGKAI__V1__ENVELOPE__BODY_HEARTBEAT && env->heartbeat->has_head_seq) {
        if (env->heartbeat->head_seq > agg.head)
            agg.head = env->heartbeat->head_seq;
        if (env->heartbeat->stats)
            take_stats(f, env->heartbeat->stats);
    } else if (env->body_case == GONGKAI__V1__ENVELOPE__BODY_FEED && env->feed->n_events) {
        uint64_t first = env->feed->first_seq;
        uint64_t last = first + env->feed->n_events - 1;
        uint64_t next = agg.applied + f->npending + 1;
        if (last > agg.head)
            agg.head = last;
        if (first > next) {
            /* A gap: the feed dropped something. The log has it. */
            agg.feed_gaps++;
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
    int64_t last = agg.intake_seen_us ? agg.intake_seen_us : f->started_us;
    if (!f->silent && day_now_us() - last > HEARTBEAT_SILENCE_US) {
        f->silent = 1;
        log_warn("no heartbeat from intake; the feed may be down", "seconds=%lld",
                 (long long)((day_now_us() - last) / 1000000));
    }
    follow_flush(f);
    if (db_alive(f->conn) && registry_refresh(f->conn))
        log_warn("cannot read the agency registry", "%s", "");
    if (db_alive(f->conn) && due_calendar_refresh(f->conn))
        log_warn("cannot read the working-day calendar", "%s", "");
    if (agg.head > agg.applied)
        follow_catch_up(f, 0);
}
