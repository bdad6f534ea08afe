/* gongkai doctor — reads the whole event log and reports every row this
 * build cannot use, changing nothing.
 *
 * What the services stop at (proto/PROTOCOL.md, "When a service stops on a
 * permanent error") is found here in one pass, all of it at once: a hole in
 * seq, a body that does not decode as an event the contract accepts, and an
 * event that today's rules would refuse where it stands in the log (a sum
 * past EV_SUM_MAX written by an older build, say). Read-only: one REPEATABLE
 * READ transaction, so it may run beside live services.
 *
 * Exit 0 when every row is sound, 1 when something was found (one line per
 * row on stdout), 2 when the log cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "codec.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "ledger.h"

#define CHUNK 20000

/* One finding, with the row's event_id made safe to print. */
static void finding(long long seq, const char *event_id, const char *code, const char *message)
{
    char shown[256];
    printf("seq %lld\t%s\t%s\t%s\n", seq, ev_show(event_id, shown, sizeof shown), code, message);
}

int cmd_doctor(int argc, char **argv)
{
    const char *db;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {0}};
    int i = config_parse("gongkai doctor",
                         "usage: gongkai doctor\n\n"
                         "Reads the whole event log and lists, one line per row (seq, event_id,\n"
                         "code, message), every row this build cannot use: a gap in seq, a body\n"
                         "that does not decode, an event today's rules refuse where it stands.\n"
                         "Changes nothing. Exit 0 when the log is sound, 1 when rows were listed,\n"
                         "2 when the log cannot be read.",
                         opts, argc, argv);
    if (i != argc) {
        fprintf(stderr, "gongkai doctor: no arguments (see --help)\n");
        return 2;
    }
    PGconn *c = cmd_db("gongkai doctor", db);
    if (!c)
        return 2;
    struct ledger *ledger = ledger_new();
    long long expect = 1, rows = 0, found = 0;
    int rc = db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") == DB_OK ? 0 : 2;
    while (!rc) {
        char after[24], limit[24];
        snprintf(after, sizeof after, "%lld", expect - 1);
        snprintf(limit, sizeof limit, "%d", CHUNK);
        const char *p[] = {after, limit};
        PGresult *r = PQexecParams(c,
                                   "SELECT seq, event_id, body FROM event_log WHERE seq > $1::bigint"
                                   " ORDER BY seq LIMIT $2::int",
                                   2, NULL, p, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "gongkai doctor: reading the event log: %s", PQerrorMessage(c));
            PQclear(r);
            rc = 2;
            break;
        }
        int n = PQntuples(r);
        for (int k = 0; k < n; k++) {
            long long seq = (long long)db_int8(PQgetvalue(r, k, 0));
            const char *id = PQgetvalue(r, k, 1);
            char msg[400];
            if (seq != expect) {
                snprintf(msg, sizeof msg, "seq %lld to %lld are missing", expect, seq - 1);
                finding(expect, "-", "gap", msg);
                found++;
            }
            expect = seq + 1;
            rows++;
            struct ev e;
            struct ev_error err;
            if (codec_decode((const uint8_t *)PQgetvalue(r, k, 2), (size_t)PQgetlength(r, k, 2), &e,
                             &err)) {
                finding(seq, id, err.code, err.message);
                found++;
                continue;
            }
            if (ledger_check(ledger, &e, &err)) {
                snprintf(msg, sizeof msg, "today's rules refuse it here: %s", err.message);
                finding(seq, id, err.code, msg);
                found++;
            }
            struct ledger_change chg;
            ledger_apply(ledger, &e, &chg); /* as the services did */
        }
        PQclear(r);
        if (n < CHUNK)
            break;
        fprintf(stderr, "doctor: %lld rows read\n", rows);
    }
    db_exec(c, "ROLLBACK");
    PQfinish(c);
    ledger_destroy(&ledger);
    if (rc)
        return rc;
    fprintf(stderr, "doctor: %lld rows read, %lld %s\n", rows, found,
            found == 1 ? "finding" : "findings");
    return found ? 1 : 0;
}
