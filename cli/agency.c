/* gongkai agency — the registry of agencies: code, Chinese name, parent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "db.h"

static const char USAGE[] =
    "usage: gongkai agency add CODE --name NAME [--parent CODE]\n"
    "       gongkai agency list\n"
    "       gongkai agency load FILE.csv      (lines: code,name,parent — parent may be empty)\n\n"
    "Registers agencies for names in reports and for roll-ups (?scope=subtree).\n"
    "`add` on a registered code updates its name and parent (moving it in the\n"
    "hierarchy); the aggregator follows at once, without a restart.";

/* Upserts one agency; 0 or -1 with a message on stderr. */
static int upsert(PGconn *c, const char *code, const char *name, const char *parent, long line)
{
    const char *p[] = {code, name, parent && *parent ? parent : NULL};
    PGresult *r = PQexecParams(c,
                               "INSERT INTO agency (code, name, parent) VALUES ($1, $2, $3)"
                               " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,"
                               " parent = EXCLUDED.parent, updated_at = now()",
                               3, NULL, p, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        if (line)
            fprintf(stderr, "gongkai agency: line %ld: %s: %s\n", line, code, msg ? msg : "failed");
        else
            fprintf(stderr, "gongkai agency: %s: %s\n", code, msg ? msg : "failed");
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static int load(PGconn *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gongkai agency: cannot open %s: %s\n", path, strerror(errno));
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    long n = 0, loaded = 0;
    int rc = 0;
    db_exec(c, "BEGIN"); /* all or nothing; parents may come after children */
    while (getline(&line, &cap, f) > 0) {
        n++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line || *line == '#' || (n == 1 && strncmp(line, "code,", 5) == 0))
            continue;
        char *code = line, *name = strchr(line, ',');
        if (!name) {
            fprintf(stderr, "gongkai agency: line %ld: expected code,name[,parent]\n", n);
            rc = 1;
            break;
        }
        *name++ = '\0';
        char *parent = strchr(name, ',');
        if (parent)
            *parent++ = '\0';
        if (upsert(c, code, name, parent, n)) {
            rc = 1;
            break;
        }
        loaded++;
    }
    if (rc == 0 && db_exec(c, "COMMIT") == 0) {
        printf("loaded %ld agencies\n", loaded);
    } else {
        db_exec(c, "ROLLBACK");
        rc = 1;
    }
    free(line);
    fclose(f);
    return rc;
}

int cmd_agency(int argc, char **argv)
{
    const char *db, *name, *parent;
    const struct config_opt opts[] = {
        {"name", NULL, NULL, "display name (add)", &name},
        {"parent", NULL, NULL, "parent agency code (add)", &parent},
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {0}};
    int early = cmd_verb_or_help(argc, argv, USAGE);
    if (early >= 0)
        return early;
    const char *verb = argv[1];
    int i = config_parse("gongkai agency", USAGE, opts, argc - 1, argv + 1) + 1;
    char **args = argv + i;
    int nargs = argc - i;
    PGconn *c = NULL;
    int rc = 2;
    if (strcmp(verb, "add") == 0 && nargs == 1 && name) {
        if ((c = db_connect(db, "gongkai-agency")))
            rc = upsert(c, args[0], name, parent, 0) ? 1 : 0;
    } else if (strcmp(verb, "load") == 0 && nargs == 1) {
        if ((c = db_connect(db, "gongkai-agency")))
            rc = load(c, args[0]);
    } else if (strcmp(verb, "list") == 0 && nargs == 0) {
        if ((c = db_connect(db, "gongkai-agency"))) {
            PGresult *r = PQexec(c, "SELECT code, name, coalesce(parent, '-') FROM agency ORDER BY code");
            rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : 1;
            for (int k = 0; rc == 0 && k < PQntuples(r); k++)
                printf("%s\t%s\t%s\n", PQgetvalue(r, k, 0), PQgetvalue(r, k, 1), PQgetvalue(r, k, 2));
            PQclear(r);
        }
    } else {
        fprintf(stderr, "%s\n", USAGE);
        return 2;
    }
    if (!c) {
        fprintf(stderr, "gongkai agency: cannot connect to the database\n");
        return 2;
    }
    PQfinish(c);
    return rc;
}
