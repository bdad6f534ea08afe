/* gongkai calendar — the working-day calendar in PostgreSQL (calendar_day):
 * load a year's State Council holiday notice, list what is loaded.
 *
 * A file is checked by the same loader the aggregator uses (lib/rules/calendar.c)
 * before anything is written, then every notice year it contains replaces
 * that year's rows in one transaction; the aggregator sees calendar_version
 * move and re-reads the table within a second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "calendar.h"
#include "cmd.h"
#include "config.h"
#include "db.h"

static const char USAGE[] =
    "usage: gongkai calendar load FILE.csv\n"
    "       gongkai calendar years\n\n"
    "load: adds or replaces notice years of the working-day calendar from a CSV\n"
    "like data/cn-workdays.csv (date,kind[,holiday] with kind off or work; a\n"
    "December date belongs to the next year's notice). Every notice year in the\n"
    "file replaces all of that year's rows; other years stay. Due dates and\n"
    "reports follow at once.\n"
    "years: the notice years loaded, with their rows.";

/* The file's text, or NULL after a message naming the file. */
static char *read_file(const char *path)
{
    size_t len;
    char *text = buf_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "gongkai calendar: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (strlen(text) != len) {
        fprintf(stderr, "gongkai calendar: %s: contains a NUL byte; not a CSV text\n", path);
        free(text);
        return NULL;
    }
    return text;
}

/* Appends s as an element of a PostgreSQL array literal. */
static void array_add(struct buf *b, const char *s, size_t n)
{
    buf_puts(b, b->len > 1 ? ",\"" : "\"");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            buf_putc(b, '\\');
        buf_putc(b, s[i]);
    }
    buf_putc(b, '"');
}

static const char *trim(const char *s, const char **end)
{
    while (s < *end && (*s == ' ' || *s == '\t'))
        s++;
    while (*end > s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
        (*end)--;
    return s;
}

static int load(PGconn *c, const char *path)
{
    char *text = read_file(path), err[300];
    if (!text)
        return 2;
    struct calendar *check = calendar_new();
    int bad = calendar_load_csv(check, text, err, sizeof err);
    calendar_destroy(&check);
    if (bad) {
        fprintf(stderr, "gongkai calendar: %s: %s\n", path, err);
        free(text);
        return 1;
    }
    /* The loader accepted every line, so the split below meets only
     * well-formed rows: date,kind[,label]. */
    struct buf days = {0}, kinds = {0}, labels = {0}, years = {0};
    bool seen[CAL_MAX_YEAR + 1] = {false};
    buf_putc(&days, '{'), buf_putc(&kinds, '{'), buf_putc(&labels, '{'), buf_putc(&years, '{');
    long rows = 0;
    const char *p = text;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (*p) {
        const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        const char *s = trim(p, &end);
        p = nl ? nl + 1 : end;
        if (s == end || strncmp(s, "date,", 5) == 0 || strncmp(s, "date ", 5) == 0)
            continue;
        const char *c1 = memchr(s, ',', (size_t)(end - s));
        const char *c2 = memchr(c1 + 1, ',', (size_t)(end - c1 - 1));
        const char *de = c1, *ks = c1 + 1, *ke = c2 ? c2 : end;
        const char *ds = trim(s, &de);
        ks = trim(ks, &ke);
        const char *ls = c2 ? c2 + 1 : end, *le = end;
        ls = trim(ls, &le);
        array_add(&days, ds, (size_t)(de - ds));
        array_add(&kinds, ks, (size_t)(ke - ks));
        array_add(&labels, ls, (size_t)(le - ls));
        int y = atoi(ds), m = atoi(ds + 5);
        int notice = m == 12 ? y + 1 : y;
        if (notice <= CAL_MAX_YEAR && !seen[notice]) {
            seen[notice] = true;
            buf_printf(&years, "%s%d", years.len > 1 ? "," : "", notice);
        }
        rows++;
    }
    buf_putc(&days, '}'), buf_putc(&kinds, '}'), buf_putc(&labels, '}'), buf_putc(&years, '}');
    free(text);

    int rc = 1;
    PGresult *r = NULL;
    const char *del[] = {years.data};
    const char *ins[] = {days.data, kinds.data, labels.data};
    if (db_exec(c, "BEGIN"))
        goto out;
    r = PQexecParams(c, "DELETE FROM calendar_day WHERE gk_notice_year(day) = ANY ($1::int[])", 1,
                     NULL, del, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        goto failed;
    long replaced = atol(PQcmdTuples(r));
    PQclear(r);
    r = PQexecParams(c,
                     "INSERT INTO calendar_day (day, kind, label)"
                     " SELECT * FROM unnest($1::date[], $2::text[], $3::text[])",
                     3, NULL, ins, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        goto failed;
    PQclear(r);
    r = NULL;
    if (db_exec(c, "COMMIT"))
        goto out;
    printf("loaded %ld rows for notice years %.*s (replacing %ld rows)\n", rows,
           (int)years.len - 2, years.data + 1, replaced);
    rc = 0;
    goto out;
failed:
    fprintf(stderr, "gongkai calendar: %s: %s", path, PQerrorMessage(c));
    db_exec(c, "ROLLBACK");
out:
    PQclear(r);
    buf_free(&days), buf_free(&kinds), buf_free(&labels), buf_free(&years);
    return rc;
}

static int years(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT gk_notice_year(day), count(*), min(day), max(day)"
                            " FROM calendar_day GROUP BY 1 ORDER BY 1");
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : 1;
    if (rc)
        fprintf(stderr, "gongkai calendar: %s", PQerrorMessage(c));
    for (int k = 0; rc == 0 && k < PQntuples(r); k++)
        printf("%s\t%s rows\t%s … %s\n", PQgetvalue(r, k, 0), PQgetvalue(r, k, 1),
               PQgetvalue(r, k, 2), PQgetvalue(r, k, 3));
    PQclear(r);
    return rc;
}

int cmd_calendar(int argc, char **argv)
{
    const char *db;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {0}};
    int early = cmd_verb_or_help(argc, argv, USAGE);
    if (early >= 0)
        return early;
    const char *verb = argv[1];
    int i = config_parse("gongkai calendar", USAGE, opts, argc - 1, argv + 1) + 1;
    int nargs = argc - i;
    if (!((strcmp(verb, "load") == 0 && nargs == 1) || (strcmp(verb, "years") == 0 && nargs == 0))) {
        fprintf(stderr, "%s\n", USAGE);
        return 2;
    }
    PGconn *c = cmd_db("gongkai calendar", db);
    if (!c)
        return 2;
    int rc = strcmp(verb, "load") == 0 ? load(c, argv[i]) : years(c);
    PQfinish(c);
    return rc;
}
