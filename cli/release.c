/* gongkai release — freeze an agency's annual report for a year as release N
 * (sql/011): the tables the aggregator last committed, the prose versions
 * in force, the rendered document and their SHA-256, who and when; and
 * list the releases made. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "day.h"
#include "db.h"
#include "document.h"
#include "render.h"
#include "sha256.h"
#include "stored.h"
#include "utf8.h"

#define NOTE_MAX 2000 /* bytes of --note */

static const char USAGE[] =
    "usage: gongkai release --agency A --year Y [--note TEXT] [--case-rule filed|handled] [--draft]\n"
    "       gongkai release --agency A --year Y --list\n\n"
    "Freezes agency A's annual report for year Y as its next release (1, 2, ...):\n"
    "the tables as the aggregator last committed them, the prose sections in force\n"
    "(gongkai narrative) and the document rendered from them (gongkai document),\n"
    "with the SHA-256 of each, who released it and when. A release is never changed:\n"
    "GET /v1/reports/{agency}/{year}/document.html?release=N serves it byte for byte,\n"
    "and a correction is a new release (勘误) that supersedes it, --note saying why.\n"
    "A year is released after it has ended (Beijing time); --draft releases one\n"
    "before. --list prints the releases made, oldest first.";

static int list(PGconn *c, const char *agency, int year)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *p[] = {agency, y};
    PGresult *r = PQexecParams(
        c,
        "SELECT release, CASE WHEN draft THEN 'draft' ELSE 'final' END, as_of_seq,"
        " to_char(released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), released_by,"
        " document_sha256, note FROM report_release WHERE agency = $1 AND year = $2::int ORDER BY release",
        2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "gongkai release: cannot list: %s", PQerrorMessage(c));
        PQclear(r);
        return 1;
    }
    char shown[4 * NOTE_MAX + 1]; /* every byte may show as \xNN */
    for (int i = 0; i < PQntuples(r); i++)
        printf("%s\t%s\tseq %s\t%s\t%s\tsha256 %s\t%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
               utf8_shown(PQgetvalue(r, i, 6), shown, sizeof shown));
    PQclear(r);
    return 0;
}

/* Numbers, renders and stores the release in one transaction, under a lock
 * on the agency-year (two releases at once take turns): the number first,
 * so the document can carry it with the note. 0, or -1 after a message. */
static int store(PGconn *c, const char *agency, int year, int draft, const char *rule, const struct stored *s,
                 const char *who, const char *note)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *k[] = {agency, y};
    int n = 0, rc = db_exec(c, "BEGIN");
    PGresult *r = NULL;
    /* The lock first, then the number in a statement of its own: its
     * snapshot (READ COMMITTED) is taken after the lock is held, so it sees
     * a release another process committed while this one waited. */
    if (!rc) {
        r = PQexecParams(c, "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 11))", 2, NULL, k,
                         NULL, NULL, 0);
        rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
        PQclear(r);
    }
    if (!rc) {
        r = PQexecParams(c,
                         "SELECT coalesce(max(release), 0) + 1 FROM report_release WHERE agency = $1 AND year = $2::int",
                         2, NULL, k, NULL, NULL, 0);
        rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? 0 : -1;
        if (!rc)
            n = atoi(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    struct document_prose p = {.section = {s->prose[0].body, s->prose[1].body, s->prose[2].body},
                               .note = note,
                               .release = n};
    struct buf doc = {0}, json = {0};
    document_html(&s->r, *s->name ? s->name : NULL, &p, &doc);
    render_report(&s->r, *s->name ? s->name : NULL, FORMAT_JSON, day_now_us(), &json);
    buf_putc(&json, '\0');
    char seq[24], versions[64], rel[16], tables_sha[65], doc_sha[65];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)s->seq);
    snprintf(versions, sizeof versions, "{%d,%d,%d}", s->prose[0].version, s->prose[1].version,
             s->prose[2].version);
    snprintf(rel, sizeof rel, "%d", n);
    render_tables_sha256(&s->r, tables_sha);
    sha256_hex(doc.data, doc.len, doc_sha);
    const char *v[] = {agency, y, rel, draft ? "t" : "f", rule, seq, json.data, tables_sha, versions,
                       doc.data, doc_sha, who, note};
    int lens[13] = {0}, formats[13] = {0};
    lens[9] = (int)doc.len;
    formats[9] = 1; /* the document as bytes: stored exactly as rendered */
    if (!rc) {
        r = PQexecParams(c,
                         "INSERT INTO report_release (agency, year, release, draft, case_rule, as_of_seq, tables,"
                         " tables_sha256, prose_versions, document, document_sha256, released_by, note)"
                         " VALUES ($1, $2::int, $3::int, $4::boolean, $5, $6::bigint, $7, $8, $9::int[],"
                         " $10::bytea, $11, $12, $13)",
                         13, NULL, v, lens, formats, 0);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
        PQclear(r);
    }
    if (rc)
        fprintf(stderr, "gongkai release: not stored: %s", PQerrorMessage(c));
    rc = rc ? (db_exec(c, "ROLLBACK"), -1) : db_exec(c, "COMMIT") ? -1 : 0;
    if (!rc)
        printf("%s %d: release %d%s of the tables at seq %llu; document sha256 %s (%zu bytes), "
               "tables sha256 %s\n",
               agency, year, n, draft ? " (draft)" : "", (unsigned long long)s->seq, doc_sha, doc.len,
               tables_sha);
    buf_free(&doc);
    buf_free(&json);
    return rc;
}

int cmd_release(int argc, char **argv)
{
    const char *db, *agency, *year, *note, *rule, *draft, *list_flag;
    const struct config_opt opts[] = {
        {"agency", NULL, NULL, "agency code (required)", &agency},
        {"year", NULL, NULL, "report year (required)", &year},
        {"note", NULL, "", "what this release is (a correction: what it corrects)", &note},
        {"case-rule", NULL, "filed", "filed or handled (section 四)", &rule},
        {"draft", NULL, NULL, "[flag] release a year that has not ended", &draft},
        {"list", NULL, NULL, "[flag] list the releases made instead", &list_flag},
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {0}};
    const char *prog = "gongkai release";
    int i = config_parse(prog, USAGE, opts, argc, argv);
    if (i != argc || !agency || !year) {
        fprintf(stderr, "%s: --agency and --year are required (see --help)\n", prog);
        return 2;
    }
    int y, cr = render_parse_case_rule(rule);
    if (cmd_agency_year(prog, agency, year, &y))
        return 2;
    char shown[200];
    if (cr < 0) {
        fprintf(stderr, "%s: --case-rule \"%s\": filed or handled\n", prog, utf8_shown(rule, shown, sizeof shown));
        return 2;
    }
    size_t note_len = strlen(note);
    if (note_len > NOTE_MAX || !utf8_valid(note, note_len)) {
        fprintf(stderr, "%s: --note: at most %d bytes of UTF-8\n", prog, NOTE_MAX);
        return 2;
    }
    int is_draft = draft && strcmp(draft, "1") == 0;
    int this_year = day_year(day_beijing(day_now_us()));
    if (!list_flag && !is_draft && y >= this_year) {
        fprintf(stderr, "%s: year: %d has not ended (Beijing time, today is in %d): its report is "
                        "released from 1 January %d, or now with --draft\n",
                prog, y, this_year, y + 1);
        return 2;
    }
    PGconn *c = cmd_db(prog, db);
    if (!c)
        return 2;
    if (list_flag) {
        int rc = list(c, agency, y);
        PQfinish(c);
        return rc;
    }
    struct stored s = {0};
    char err[400];
    if (stored_read(c, agency, y, (enum case_rule)cr, 0, &s, err, sizeof err)) {
        fprintf(stderr, "%s: cannot read the report: %s\n", prog, err);
        stored_clear(&s);
        PQfinish(c);
        return 1;
    }
    struct passwd *pw = getpwuid(getuid());
    char who[80];
    snprintf(who, sizeof who, "cli:%s", pw && pw->pw_name ? pw->pw_name : "?");
    int rc = store(c, agency, y, is_draft, rule, &s, who, note);
    stored_clear(&s);
    PQfinish(c);
    return rc ? 1 : 0;
}
