/* narrative — the report's prose sections in PostgreSQL (see narrative.h). */
#include "narrative.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "utf8.h"

int narrative_section_valid(long section)
{
    return section == 1 || section == 5 || section == 6;
}

int narrative_section_parse(const char *text, int *section, char *why, size_t why_cap)
{
    if (text && strlen(text) == 1 && narrative_section_valid(text[0] - '0')) {
        *section = text[0] - '0';
        return 0;
    }
    char shown[40];
    snprintf(why, why_cap,
             "section: \"%s\": the prose sections are 1 (总体情况), 5 (存在的主要问题及改进情况) and "
             "6 (其他需要报告的事项)",
             utf8_shown(text ? text : "", shown, sizeof shown));
    return -1;
}

int narrative_text_check(const char *text, size_t n, char *why, size_t why_cap)
{
    if (n > NARRATIVE_MAX) {
        snprintf(why, why_cap, "text: %zu bytes, more than the %d a section may hold", n, NARRATIVE_MAX);
        return -1;
    }
    const char *nul = memchr(text, '\0', n);
    if (nul) {
        snprintf(why, why_cap, "text: a NUL byte at offset %zu", (size_t)(nul - text));
        return -1;
    }
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)text + i, n - i, &cp);
        if (!k) {
            snprintf(why, why_cap, "text: not UTF-8 at byte offset %zu (0x%02x)", i,
                     (unsigned char)text[i]);
            return -1;
        }
        i += k;
    }
    return 0;
}

int narrative_set(PGconn *c, const char *agency, int year, int section, const char *text,
                  const char *who, int *version)
{
    char y[16], s[8], w[NARRATIVE_WHO_MAX + 1];
    snprintf(y, sizeof y, "%d", year);
    snprintf(s, sizeof s, "%d", section);
    snprintf(w, sizeof w, "%.*s", (int)utf8_cut(who, strlen(who), NARRATIVE_WHO_MAX), who);
    const char *p[] = {agency, y, s, text, w};
    /* The next version under a lock on the section's key: two writers at
     * once take turns instead of one failing on the primary key. */
    PGresult *r = PQexec(c, "BEGIN");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? DB_OK : db_failure(c, r, "beginning a narrative write");
    PQclear(r);
    if (rc)
        return rc;
    r = PQexecParams(c, "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 14))", 3,
                     NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = db_failure(c, r, "locking a narrative section");
    PQclear(r);
    if (!rc) {
        r = PQexecParams(c,
                         "INSERT INTO report_narrative (agency, year, section, version, body, written_by)"
                         " SELECT $1, $2::int, $3::smallint, coalesce(max(version), 0) + 1, $4, $5"
                         " FROM report_narrative WHERE agency = $1 AND year = $2::int AND section = $3::smallint"
                         " RETURNING version",
                         5, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            *version = atoi(PQgetvalue(r, 0, 0));
        else
            rc = db_failure(c, r, "storing a narrative section");
        PQclear(r);
    }
    r = PQexec(c, rc ? "ROLLBACK" : "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc)
        rc = db_failure(c, r, "committing a narrative section");
    PQclear(r);
    return rc;
}

void narrative_clear(struct narrative *out)
{
    free(out->body);
    memset(out, 0, sizeof *out);
}

int narrative_get(PGconn *c, const char *agency, int year, int section, int version,
                  struct narrative *out)
{
    narrative_clear(out);
    out->section = section;
    char y[16], s[8], v[16];
    snprintf(y, sizeof y, "%d", year);
    snprintf(s, sizeof s, "%d", section);
    snprintf(v, sizeof v, "%d", version);
    const char *p[] = {agency, y, s, v};
    PGresult *r = PQexecParams(
        c,
        "SELECT version, body, written_by,"
        " to_char(written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        " FROM report_narrative WHERE agency = $1 AND year = $2::int AND section = $3::smallint"
        " AND ($4::int = 0 OR version = $4::int) ORDER BY version DESC LIMIT 1",
        4, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = db_failure(c, r, "reading a narrative section");
        PQclear(r);
        out->body = xstrdup("");
        return rc;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        out->body = xstrdup("");
        return version > 0 ? 1 : DB_OK;
    }
    out->version = atoi(PQgetvalue(r, 0, 0));
    out->body = xstrdup(PQgetvalue(r, 0, 1));
    snprintf(out->written_by, sizeof out->written_by, "%s", PQgetvalue(r, 0, 2));
    snprintf(out->written_at, sizeof out->written_at, "%s", PQgetvalue(r, 0, 3));
    PQclear(r);
    return DB_OK;
}
