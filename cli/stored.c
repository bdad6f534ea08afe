/* stored — a report as the aggregator last committed it (see stored.h). */
#include "stored.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

void stored_clear(struct stored *s)
{
    for (int k = 0; k < 3; k++)
        narrative_clear(&s->prose[k]);
    memset(s, 0, sizeof *s);
}

static int failed(PGconn *c, PGresult *r, char *err, size_t cap)
{
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(err, cap, "%s", m ? m : PQerrorMessage(c));
    err[strcspn(err, "\n")] = '\0';
    PQclear(r);
    PQclear(PQexec(c, "ROLLBACK"));
    return -1;
}

int stored_read(PGconn *c, const char *agency, int year, enum case_rule rule, int subtree,
                struct stored *out, char *err, size_t err_cap)
{
    stored_clear(out);
    PGresult *r = PQexec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return failed(c, r, err, err_cap);
    PQclear(r);
    r = PQexec(c, "SELECT applied_seq FROM agg_cursor WHERE id = 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return failed(c, r, err, err_cap);
    out->seq = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *p[] = {agency, y, subtree ? "1" : "0"};
    /* Every year up to the report's: carried-over and in-force figures are
     * sums over the years before (tables_report). The subtree as registry.c walks it: the agency, then every agency
     * whose parent is in it. Sums are numeric here; each is clamped to
     * int64 below, as report_add saturates. */
    r = PQexecParams(c,
                     "WITH RECURSIVE sub(code) AS ("
                     "  SELECT $1::text"
                     "  UNION SELECT a.code FROM agency a JOIN sub ON a.parent = sub.code WHERE $3 = '1')"
                     " SELECT year, metric, sum(value)::text FROM agg_metric"
                     " WHERE year <= $2::int AND agency IN (SELECT code FROM sub) GROUP BY year, metric",
                     3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return failed(c, r, err, err_cap);
    struct tables *t = tables_new();
    for (int i = 0; i < PQntuples(r); i++) {
        int m = tables_metric_by_name(PQgetvalue(r, i, 1));
        if (m < 0)
            continue; /* a metric of a newer build: gongkai verify says so */
        long long v = strtoll(PQgetvalue(r, i, 2), NULL, 10); /* out of range: clamped */
        tables_add(t, 0, atoi(PQgetvalue(r, i, 0)), m, v);
    }
    PQclear(r);
    tables_report(t, 0, agency, year, rule, &out->r);
    tables_destroy(&t);
    r = PQexecParams(c, "SELECT name FROM agency WHERE code = $1", 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return failed(c, r, err, err_cap);
    if (PQntuples(r) == 1)
        snprintf(out->name, sizeof out->name, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    static const int sections[3] = {1, 5, 6};
    for (int k = 0; k < 3; k++)
        if (narrative_get(c, agency, year, sections[k], 0, &out->prose[k]) != DB_OK)
            return failed(c, NULL, err, err_cap);
    PQclear(PQexec(c, "COMMIT"));
    return 0;
}
