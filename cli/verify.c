/* gongkai verify — recompute every report from the event log alone and
 * compare it with what the aggregator serves and what it stored.
 *
 * The fold uses the same ledger and counting code as the aggregator, but
 * from nothing: agreement means the aggregator's incremental, exactly-once
 * state is what the log says. Two comparisons:
 *   1. agg_metric in PostgreSQL against the fold at agg_cursor (one snapshot);
 *   2. the aggregator's live state against the fold: every agency-year by
 *      digest (a few requests for a whole country, where one request per
 *      report took hours), and report by report where they differ; or the
 *      reports of --agency/--year. Each answer comes at the aggregator's
 *      applied seq and the fold moves forward to it before comparing.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "day.h"
#include "db.h"
#include "ledger.h"
#include "logread.h"
#include "query.h"
#include "render.h"
#include "tables.h"

struct fold {
    struct ledger *ledger;
    struct tables *tables;
    uint64_t seq;          /* folded up to here */
    double seconds;        /* spent folding (reading the log included): the rebuild rate */
};

/* Folds the log up to seq `to`; 0 or -1. The next chunk is read (and
 * decoded) on the stream's thread while this one folds. */
static int fold_to(PGconn *c, struct fold *f, uint64_t to)
{
    double t0 = ((double)day_mono_us() / 1e6);
    struct logread_stream *in = logread_stream_new(c, f->seq, to, 20000);
    const struct logrow *rows;
    long n = 1;
    while (f->seq < to && (n = logread_stream_next(in, &rows)) > 0) {
        for (long i = 0; i < n; i++) {
            struct ledger_change chg;
            ledger_apply(f->ledger, &rows[i].ev, &chg);
            tables_apply(f->tables, &chg);
        }
        f->seq += (uint64_t)n;
        if (f->seq % 200000 < (uint64_t)n)
            fprintf(stderr, "verify: folded %llu events\n", (unsigned long long)f->seq);
    }
    logread_stream_destroy(&in);
    f->seconds += ((double)day_mono_us() / 1e6) - t0;
    return f->seq < to ? -1 : 0;
}

/* Prints differences between two JSON values; returns how many. */
static int json_diff(const char *where, const char *path, json_t *a, json_t *b)
{
    if (json_equal(a, b))
        return 0;
    if (json_is_object(a) && json_is_object(b)) {
        int n = 0;
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) {
            char p[512];
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", k);
            n += json_diff(where, p, v, json_object_get(b, k));
        }
        return n;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        int n = 0;
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
            char p[512];
            const char *key = json_string_value(json_object_get(x, "key"));
            if (key)
                snprintf(p, sizeof p, "%s.%s", path, key);
            else
                snprintf(p, sizeof p, "%s[%zu]", path, i);
            n += json_diff(where, p, x, y);
        }
        return n;
    }
    char *sa = a ? json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("(missing)");
    char *sb = b ? json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("(missing)");
    printf("%s: %s: log %s, aggregator %s\n", where, path, sa, sb);
    free(sa);
    free(sb);
    return 1;
}

struct metric_diff {
    const struct ledger *ledger;
    int *differences;
};

static void subtract(void *arg, uint32_t agency, int year, int metric, int64_t value)
{
    tables_add(arg, agency, year, metric, -value);
}

static void print_metric(void *arg, uint32_t agency, int year, int metric, int64_t value)
{
    struct metric_diff *d = arg;
    printf("agg_metric %s %d %s: stored - log = %lld\n", ledger_agency_code(d->ledger, agency),
           year, tables_metric_name(metric), (long long)value);
    (*d->differences)++;
}

/* Compares agg_metric at agg_cursor (one snapshot) with the fold at that seq. */
static int compare_stored(PGconn *c, struct fold *f, int *differences)
{
    if (db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        return -1;
    PGresult *r = PQexec(c, "SELECT applied_seq FROM agg_cursor WHERE id = 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        PQclear(r);
        db_exec(c, "ROLLBACK");
        return -1;
    }
    uint64_t cursor = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = PQexec(c, "SELECT agency, year, metric, value FROM agg_metric WHERE value <> 0");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || fold_to(c, f, cursor)) {
        PQclear(r);
        db_exec(c, "ROLLBACK");
        return -1;
    }
    db_exec(c, "COMMIT");
    int before = *differences;
    struct tables *diff = tables_new(); /* stored − fold: all zero when they agree */
    for (int i = 0; i < PQntuples(r); i++) {
        int m = tables_metric_by_name(PQgetvalue(r, i, 2));
        if (m < 0) {
            printf("agg_metric: unknown metric \"%s\"\n", PQgetvalue(r, i, 2));
            (*differences)++;
            continue;
        }
        tables_add(diff, ledger_agency_id(f->ledger, PQgetvalue(r, i, 0)), atoi(PQgetvalue(r, i, 1)),
                   m, strtoll(PQgetvalue(r, i, 3), NULL, 10));
    }
    PQclear(r);
    tables_foreach(f->tables, subtract, diff);
    struct metric_diff d = {f->ledger, differences};
    tables_foreach(diff, print_metric, &d);
    tables_destroy(&diff);
    printf("stored metrics at seq %llu: %s\n", (unsigned long long)cursor,
           *differences == before ? "no difference" : "DIFFERENT");
    return 0;
}

/* Waits until the aggregator has applied the log's head (or wait_s seconds
 * since t0 have passed): 0 with its seq in *applied, or 2 (said on stderr). */
static int wait_caught_up(struct query *q, PGconn *c, time_t t0, int wait_s, uint64_t *applied)
{
    int64_t head = logread_head(c);
    char *body = NULL, err[300];
    for (;;) {
        int r = query_report(q, "gongkai", 2000, NULL, "json", NULL, &body, applied, err, sizeof err);
        free(body);
        body = NULL;
        if (r) {
            fprintf(stderr, "gongkai verify: %s\n", err);
            return 2;
        }
        if (*applied >= (uint64_t)head)
            return 0;
        if (time(NULL) - t0 > wait_s) {
            fprintf(stderr, "gongkai verify: the aggregator is at seq %llu, the log at %lld after %d s\n",
                    (unsigned long long)*applied, (long long)head, wait_s);
            return 2;
        }
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
}

/* Compares the aggregator's report of (agency id/code, year y, case rule)
 * with the fold's, adding differences (printed) to *differences. The
 * aggregator answers at its applied seq, and the fold moves forward to it
 * first, so a busy log never forces a new start. 0 when compared; 2 when it
 * did not answer (said on stderr). */
static int compare_one(struct query *q, PGconn *c, struct fold *f, uint32_t id, const char *code,
                       int y, int rule, int64_t now, int *differences)
{
    const char *rn = rule ? "handled" : "filed";
    char *body = NULL, err[300];
    uint64_t at;
    for (int tries = 0;; tries++) {
        if (query_report(q, code, y, rn, "json", NULL, &body, &at, err, sizeof err)) {
            fprintf(stderr, "gongkai verify: %s\n", err);
            return 2;
        }
        if (at >= f->seq)
            break;
        /* Its memory moves a moment after the cursor the fold started from. */
        free(body);
        body = NULL;
        if (tries == 100) {
            fprintf(stderr, "gongkai verify: the aggregator stays at seq %llu, behind its cursor %llu\n",
                    (unsigned long long)at, (unsigned long long)f->seq);
            return 2;
        }
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    if (fold_to(c, f, at)) {
        free(body);
        return 2;
    }
    struct report r;
    tables_report(f->tables, id, code, y, (enum case_rule)rule, &r);
    struct buf mine = {0};
    render_report(&r, NULL, FORMAT_JSON, now, &mine);
    json_t *a = json_loads(mine.data, 0, NULL), *b = json_loads(body, 0, NULL);
    json_object_del(a, "as_of"), json_object_del(b, "as_of");
    json_object_del(a, "final"), json_object_del(b, "final");
    json_object_del(a, "name"), json_object_del(b, "name");
    char where[160];
    snprintf(where, sizeof where, "%s %d (%s)", code, y, rn);
    *differences += json_diff(where, "", a, b);
    json_decref(a), json_decref(b);
    buf_free(&mine);
    free(body);
    return 0;
}

/* One agency-year's digest, from either side. */
struct dig {
    const char *agency;
    int year;
    uint64_t digest;
};

static int dig_cmp(const void *pa, const void *pb)
{
    const struct dig *a = pa, *b = pb;
    int c = strcmp(a->agency, b->agency);
    return c ? c : (a->year > b->year) - (a->year < b->year);
}

#define DIGEST_PAGE 5000 /* agencies per DigestRequest */

/* Every agency-year, compared by digest (proto/gongkai.proto, DigestRequest):
 * page by page, each at the seq the aggregator answered it at, the fold
 * moved forward to it first. An agency-year whose digests differ (or that
 * only one side has) is compared report by report, which prints the cells.
 * 0, or 2 when the aggregator or the log could not be read. */
static int compare_digests(struct query *q, PGconn *c, struct fold *f, int64_t now,
                           int *differences, int *agency_years)
{
    uint32_t first = 0, known = 1;
    int64_t said = day_mono_us();
    int behind = 0;
    while (first < known) {
        Envelope *env = NULL;
        char err[300];
        if (query_digests(q, first, DIGEST_PAGE, &env, err, sizeof err)) {
            fprintf(stderr, "gongkai verify: %s\n", err);
            return 2;
        }
        Gongkai__V1__DigestReply *d = env->digest_reply;
        if (d->applied_seq < f->seq) { /* its memory trails its cursor a moment */
            uint64_t at = d->applied_seq;
            wire_free(env);
            if (++behind == 100) { /* not a moment: say so, do not wait for ever */
                fprintf(stderr, "gongkai verify: the aggregator stays at seq %llu, behind its cursor %llu\n",
                        (unsigned long long)at, (unsigned long long)f->seq);
                return 2;
            }
            nanosleep(&(struct timespec){0, 50000000}, NULL);
            continue;
        }
        behind = 0;
        known = d->agencies;
        if (fold_to(c, f, d->applied_seq)) {
            wire_free(env);
            return 2;
        }
        uint32_t end = known - first < DIGEST_PAGE ? known : first + DIGEST_PAGE;
        size_t na = d->n_digests, nb = 0, cap = 64;
        struct dig *a = xmalloc((na ? na : 1) * sizeof *a), *b = xmalloc(cap * sizeof *b);
        for (size_t i = 0; i < na; i++)
            a[i] = (struct dig){d->digests[i]->agency ? d->digests[i]->agency : "",
                                d->digests[i]->year, d->digests[i]->digest};
        for (uint32_t id = first; id < end && id < ledger_agency_count(f->ledger); id++) {
            int years[YEAR_MAX - YEAR_MIN + 1];
            uint64_t dg[YEAR_MAX - YEAR_MIN + 1];
            size_t k = tables_digests(f->tables, id, years, dg, sizeof years / sizeof years[0]);
            for (size_t i = 0; i < k; i++) {
                if (nb == cap)
                    b = xrealloc(b, (cap *= 2) * sizeof *b);
                b[nb++] = (struct dig){ledger_agency_code(f->ledger, id), years[i], dg[i]};
            }
        }
        qsort(a, na, sizeof *a, dig_cmp);
        qsort(b, nb, sizeof *b, dig_cmp);
        int rc = 0;
        for (size_t i = 0, j = 0; rc == 0 && (i < na || j < nb);) {
            int cmp = i == na ? 1 : j == nb ? -1 : dig_cmp(&a[i], &b[j]);
            const struct dig *x = cmp <= 0 ? &a[i] : &b[j];
            if (cmp != 0 || a[i].digest != b[j].digest) {
                uint32_t id;
                int before = *differences;
                if (ledger_agency_find(f->ledger, x->agency, &id) != 0) {
                    printf("%s %d: the aggregator counts an agency the log does not name\n",
                           x->agency, x->year);
                    (*differences)++;
                } else {
                    for (int rule = 0; rule < 2 && rc == 0; rule++)
                        rc = compare_one(q, c, f, id, x->agency, x->year, rule, now, differences);
                    if (rc == 0 && *differences == before) {
                        printf("%s %d: the metrics differ (digest %016llx in the aggregator, "
                               "%016llx from the log) where the reports agree\n",
                               x->agency, x->year, (unsigned long long)(cmp <= 0 ? a[i].digest : 0),
                               (unsigned long long)(cmp >= 0 ? b[j].digest : 0));
                        (*differences)++;
                    }
                }
            }
            (*agency_years)++;
            i += cmp <= 0;
            j += cmp >= 0;
        }
        free(a);
        free(b);
        wire_free(env);
        if (rc)
            return rc;
        first = end;
        if (day_mono_us() - said > 5000000 || first >= known) {
            fprintf(stderr, "verify: compared %u of %u agencies (%d agency-years, seq %llu)\n",
                    first, known, *agency_years, (unsigned long long)f->seq);
            said = day_mono_us();
        }
    }
    /* Agencies of the log the aggregator never counted. */
    for (uint32_t id = known; id < ledger_agency_count(f->ledger); id++) {
        int lo, hi;
        if (tables_year_range(f->tables, id, &lo, &hi)) {
            printf("%s: in the log up to seq %llu, unknown to the aggregator\n",
                   ledger_agency_code(f->ledger, id), (unsigned long long)f->seq);
            (*differences)++;
        }
    }
    return 0;
}

int cmd_verify(int argc, char **argv)
{
    const char *db, *endpoint, *only_agency, *only_year, *wait_s, *cert, *server_key, *insecure;
    const struct config_opt opts[] = {
        {"agency", NULL, NULL, "only this agency", &only_agency},
        {"year", NULL, NULL, "only this year", &only_year},
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {"endpoint", "GONGKAI_QUERY", "tcp://127.0.0.1:7103", "aggregator's query endpoint", &endpoint},
        {"wait", NULL, "60", "seconds to wait for the aggregator to reach the log's head", &wait_s},
        {"client-cert", "GONGKAI_CLIENT_CERT", NULL, "this client's secret key file (a dashboard or aggregator key)", &cert},
        {"aggregator-key", "GONGKAI_AGGREGATOR_KEY", NULL, "the aggregator's public key: .pub file or Z85 text", &server_key},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext, for an aggregator started with GONGKAI_INSECURE=1", &insecure},
        {0}};
    int i = config_parse("gongkai verify",
                         "usage: gongkai verify [--agency A] [--year Y]\n\n"
                         "Recomputes every agency's metrics from the event log alone and compares\n"
                         "them with the aggregator's: its stored metrics (agg_metric), and its live\n"
                         "state, every agency-year by digest, in pages, each at the seq the\n"
                         "aggregator answered at (the recomputation follows it forward, so new\n"
                         "events do not force a new start). An agency-year that differs is compared\n"
                         "report by report, both case rules, and every differing cell printed.\n"
                         "--agency/--year compare those reports directly. Progress on stderr.\n"
                         "Exit 0 when there is no difference, 1 when there is, 2 when the database\n"
                         "or the aggregator cannot be reached.",
                         opts, argc, argv);
    if (i != argc) {
        fprintf(stderr, "gongkai verify: unexpected argument \"%s\"\n", argv[i]);
        return 2;
    }
    struct query *q = query_open("gongkai verify", endpoint, 10000, insecure, cert, server_key);
    if (!q)
        return 2;
    PGconn *c = cmd_db("gongkai verify", db);
    if (!c) {
        query_destroy(&q);
        return 2;
    }
    struct fold f = {ledger_new(), tables_new(), 0, 0};
    int differences = 0, rc = 0;
    time_t t0 = time(NULL);
    if (compare_stored(c, &f, &differences)) {
        fprintf(stderr, "gongkai verify: cannot read agg_cursor/agg_metric or the log\n");
        rc = 2;
        goto out;
    }
    if (f.seq && f.seconds > 0)
        fprintf(stderr, "verify: rebuilt %llu events in %.2f s (%.0f events/s)\n",
                (unsigned long long)f.seq, f.seconds, (double)f.seq / f.seconds);
    /* Live state: from a seq the aggregator has reached, the fold moves
     * forward with every answer (it never has to start again). */
    uint64_t applied = 0;
    if ((rc = wait_caught_up(q, c, t0, atoi(wait_s), &applied)))
        goto out;
    if (fold_to(c, &f, applied)) {
        rc = 2;
        goto out;
    }
    int64_t now = day_now_us();
    if (!only_agency && !only_year) {
        int agency_years = 0;
        if ((rc = compare_digests(q, c, &f, now, &differences, &agency_years)))
            goto out;
        printf("live state up to seq %llu: %d agency-years compared, %s\n",
               (unsigned long long)f.seq, agency_years, differences ? "DIFFERENT" : "no difference");
    } else {
        int reports = 0, found = 0;
        int this_year = day_year(day_beijing(now));
        for (uint32_t id = 0; id < ledger_agency_count(f.ledger); id++) {
            const char *code = ledger_agency_code(f.ledger, id);
            if (only_agency && strcmp(only_agency, code) != 0)
                continue;
            int lo, hi;
            if (!tables_year_range(f.tables, id, &lo, &hi))
                continue;
            found = 1;
            if (hi < this_year)
                hi = this_year;
            if (only_year)
                lo = hi = atoi(only_year);
            for (int y = lo; y <= hi; y++)
                for (int rule = 0; rule < 2; rule++) {
                    if ((rc = compare_one(q, c, &f, id, code, y, rule, now, &differences)))
                        goto out;
                    reports++;
                }
        }
        if (only_agency && !found)
            printf("agency %s has no events in the log\n", only_agency);
        printf("live reports up to seq %llu: %d compared, %s\n", (unsigned long long)f.seq,
               reports, differences ? "DIFFERENT" : "no difference");
    }
    rc = differences ? 1 : 0;
    printf("%d difference%s\n", differences, differences == 1 ? "" : "s");
out:
    query_destroy(&q);
    ledger_destroy(&f.ledger);
    tables_destroy(&f.tables);
    PQfinish(c);
    return rc;
}
