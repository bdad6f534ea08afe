/* gongkai migrate — applies the numbered migrations of sql/ (embedded in
 * the binary at build time) that GONGKAI_DB has not recorded yet, each in its
 * own transaction, under an advisory lock so two runs cannot interleave. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "db.h"
#include "log.h"

#include "migrations.inc"

#define MIGRATE_LOCK 710100

int cmd_migrate(int argc, char **argv)
{
    const char *db;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo of the database", &db},
        {0}};
    int i = config_parse("gongkai migrate",
                         "usage: gongkai migrate [--db CONNINFO]\n\n"
                         "Applies the migrations this binary carries that the database has not\n"
                         "recorded in schema_migrations yet. Safe to run any number of times.",
                         opts, argc, argv);
    if (i != argc) {
        fprintf(stderr, "gongkai migrate: unexpected argument \"%s\"\n", argv[i]);
        return 2;
    }
    PGconn *c = cmd_db("gongkai migrate", db);
    if (!c)
        return 2;
    int rc = 0;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%d)", MIGRATE_LOCK);
    if (db_exec(c, "SET client_min_messages = warning") ||
        db_exec(c, sql) ||
        db_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version int PRIMARY KEY, name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())")) {
        rc = 1;
        goto out;
    }
    int applied = 0;
    for (size_t k = 0; k < sizeof migrations / sizeof migrations[0]; k++) {
        const struct migration *m = &migrations[k];
        char v[16];
        snprintf(v, sizeof v, "%d", m->version);
        const char *params[] = {v};
        PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                   NULL, params, NULL, NULL, 0);
        int done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        PQclear(r);
        if (done)
            continue;
        if (db_exec(c, "BEGIN") || db_exec(c, m->sql)) {
            fprintf(stderr, "gongkai migrate: %s failed: %s", m->name, PQerrorMessage(c));
            db_exec(c, "ROLLBACK");
            rc = 1;
            goto out;
        }
        const char *p2[] = {v, m->name};
        r = PQexecParams(c, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                         NULL, p2, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok || db_exec(c, "COMMIT")) {
            fprintf(stderr, "gongkai migrate: recording %s failed: %s", m->name, PQerrorMessage(c));
            rc = 1;
            goto out;
        }
        printf("applied %s\n", m->name);
        applied++;
    }
    printf("schema up to date (%d applied now, %zu known)\n", applied,
           sizeof migrations / sizeof migrations[0]);
out:
    PQfinish(c);
    return rc;
}
