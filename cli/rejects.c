/* gongkai rejects — the rejection log, newest first. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "db.h"
#include "utf8.h"

int cmd_rejects(int argc, char **argv)
{
    const char *db, *limit;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {"limit", NULL, "50", "how many to list", &limit},
        {0}};
    int i = config_parse("gongkai rejects",
                         "usage: gongkai rejects [--limit N]\n\n"
                         "Lists the events intake refused, newest first: time, peer, identity,\n"
                         "event_id, code and message (the raw bytes are in table rejection).",
                         opts, argc, argv);
    char *end;
    long n = strtol(limit, &end, 10);
    if (i != argc || *end || n < 1) {
        fprintf(stderr, "gongkai rejects: --limit must be a positive number\n");
        return 2;
    }
    PGconn *c = cmd_db("gongkai rejects", db);
    if (!c)
        return 2;
    const char *params[] = {limit};
    PGresult *r = PQexecParams(
        c,
        "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), peer,"
        " coalesce(identity, '-'), coalesce(event_id, '-'), code, message"
        " FROM rejection ORDER BY at DESC, id DESC LIMIT $1::int",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "gongkai rejects: %s", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return 1;
    }
    /* Every field shown (utf8.h): what a publisher sent cannot hold a tab
     * or a newline here (no forged row), nor a terminal escape. */
    char f[6][1200];
    for (int k = 0; k < PQntuples(r); k++) {
        for (int j = 0; j < 6; j++)
            utf8_shown(PQgetvalue(r, k, j), f[j], sizeof f[j]);
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", f[0], f[1], f[2], f[3], f[4], f[5]);
    }
    PQclear(r);
    PQfinish(c);
    return 0;
}
