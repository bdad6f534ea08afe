/* gongkai agency — the registry of agencies: code, Chinese name, parent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "db.h"
#include "event.h"

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

struct load_row {
    char *code, *name, *parent; /* owned; parent "" for none */
    long line;
};

static int load_row_cmp(const void *a, const void *b)
{
    const struct load_row *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Reads FILE into rows, checking each line as the table would: -1 after a
 * message naming the line. */
static int read_rows(FILE *f, struct load_row **out, size_t *count)
{
    char *line = NULL, shown[160];
    size_t cap = 0, n = 0, rcap = 0;
    long no = 0;
    struct load_row *v = NULL;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line || *line == '#' || (no == 1 && strncmp(line, "code,", 5) == 0))
            continue;
        char *code = line, *name = strchr(line, ','), *parent = NULL;
        if (name) {
            *name++ = '\0';
            if ((parent = strchr(name, ',')))
                *parent++ = '\0';
        }
        const char *why = !name ? "expected code,name[,parent]"
                          : !ev_agency_valid(code) ? "code: lowercase letters, digits, . _ -, at most 64, "
                                             "starting with a letter or digit"
                          : !*name ? "name: empty"
                          : parent && *parent && !ev_agency_valid(parent) ? "parent: not an agency code"
                          : parent && strcmp(parent, code) == 0 ? "parent: the agency itself"
                                                                 : NULL;
        if (why) {
            fprintf(stderr, "gongkai agency: line %ld: \"%s\": %s\n", no,
                    ev_show(code, shown, sizeof shown), why);
            rc = -1;
            break;
        }
        if (n == rcap)
            v = xrealloc(v, (rcap = rcap ? 2 * rcap : 1024) * sizeof *v);
        v[n++] = (struct load_row){xstrdup(code), xstrdup(name), xstrdup(parent ? parent : ""), no};
    }
    free(line);
    if (rc == 0) {
        qsort(v, n, sizeof *v, load_row_cmp);
        for (size_t i = 1; i < n; i++)
            if (strcmp(v[i].code, v[i - 1].code) == 0) {
                fprintf(stderr, "gongkai agency: line %ld: \"%s\" is given again (first on line %ld)\n",
                        v[i].line, v[i].code, v[i - 1].line);
                rc = -1;
                break;
            }
    }
    *out = v;
    *count = n;
    return rc;
}

/* All the file's rows in one transaction and one INSERT (set-based: one
 * version bump, one reload by the aggregator; the old row-by-row load was
 * quadratic — 8,000 rows took 7 s). */
static int load(PGconn *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gongkai agency: cannot open %s: %s\n", path, strerror(errno));
        return 2;
    }
    struct load_row *v;
    size_t n;
    int rc = read_rows(f, &v, &n);
    fclose(f);
    struct buf data = {0};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        db_copy_text(&data, v[i].code, strlen(v[i].code));
        buf_putc(&data, '\t');
        db_copy_text(&data, v[i].name, strlen(v[i].name));
        buf_putc(&data, '\t');
        db_copy_text(&data, v[i].parent, strlen(v[i].parent));
        buf_putc(&data, '\n');
    }
    if (rc == 0) {
        /* Parents may come after children: the foreign key is checked at COMMIT. */
        PGresult *r = NULL;
        rc = db_exec(c, "BEGIN") || db_exec(c, "CREATE TEMP TABLE agency_load (code text, name text, "
                                               "parent text) ON COMMIT DROP") ||
             db_copy_in(c, "COPY agency_load FROM STDIN", &data) != DB_OK;
        if (rc == 0) {
            r = PQexec(c, "INSERT INTO agency (code, name, parent)"
                          " SELECT code, name, nullif(parent, '') FROM agency_load"
                          " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,"
                          " parent = EXCLUDED.parent, updated_at = now()"
                          " WHERE (agency.name, agency.parent) IS DISTINCT FROM"
                          " (EXCLUDED.name, EXCLUDED.parent)");
            rc = PQresultStatus(r) != PGRES_COMMAND_OK;
        }
        if (rc == 0) {
            PQclear(r);
            r = PQexec(c, "COMMIT");
            rc = PQresultStatus(r) != PGRES_COMMAND_OK;
        }
        if (rc) {
            const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
            const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
            fprintf(stderr, "gongkai agency: %s: nothing loaded: %s%s%s\n", path,
                    msg ? msg : PQerrorMessage(c), detail ? " — " : "", detail ? detail : "");
            db_exec(c, "ROLLBACK");
        } else {
            printf("loaded %zu agencies\n", n);
        }
        PQclear(r);
    }
    buf_free(&data);
    for (size_t i = 0; i < n; i++)
        free(v[i].code), free(v[i].name), free(v[i].parent);
    free(v);
    return rc ? 1 : 0;
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
        if ((c = cmd_db("gongkai agency", db)))
            rc = upsert(c, args[0], name, parent, 0) ? 1 : 0;
    } else if (strcmp(verb, "load") == 0 && nargs == 1) {
        if ((c = cmd_db("gongkai agency", db)))
            rc = load(c, args[0]);
    } else if (strcmp(verb, "list") == 0 && nargs == 0) {
        if ((c = cmd_db("gongkai agency", db))) {
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
    if (!c)
        return 2;
    PQfinish(c);
    return rc;
}
