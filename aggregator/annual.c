/* annual — the annual report's routes that need the database (see annual.h). */
#include "annual.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "db.h"
#include "document.h"
#include "narrative.h"
#include "sidedb.h"
#include "template.h"
#include "utf8.h"

static const char JSON_TYPE[] = "application/json; charset=utf-8";

void annual_error(struct annual_answer *a, unsigned status, const char *code, const char *message)
{
    buf_reset(&a->body);
    buf_puts(&a->body, "{\"error\": ");
    buf_json_string(&a->body, code);
    buf_puts(&a->body, ", \"message\": ");
    buf_json_string(&a->body, message);
    buf_puts(&a->body, "}\n");
    a->status = status;
    a->type = JSON_TYPE;
}

static void unavailable(struct annual_answer *a)
{
    annual_error(a, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                 "the database cannot be reached now (the aggregator's log says why); retry later");
}

/* After a statement on the side connection: 1 when rc is a failure, which
 * is then the answer (503 for a connection gone, 500 for a refusal: the
 * server's message is in the log, db_failure), else 0. */
static int failed(struct annual_answer *a, int rc, const char *what)
{
    if (rc == DB_RETRY) {
        unavailable(a);
        return 1;
    }
    if (rc != DB_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "the database refused the %s (the aggregator's log has its message)", what);
        annual_error(a, MHD_HTTP_INTERNAL_SERVER_ERROR, "store_error", msg);
        return 1;
    }
    return 0;
}

/* The JSON of obj into a (200), obj consumed. */
static void json_answer(struct annual_answer *a, json_t *obj)
{
    char *text = json_dumps(obj, JSON_INDENT(2));
    json_decref(obj);
    if (!text) { /* only a string that is not UTF-8 makes this fail: a bug */
        annual_error(a, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "the answer could not be encoded");
        return;
    }
    buf_reset(&a->body);
    buf_puts(&a->body, text);
    buf_putc(&a->body, '\n');
    free(text);
    a->status = MHD_HTTP_OK;
    a->type = JSON_TYPE;
}

static const char *heading(int section)
{
    return tmpl_prose_section[section == 1 ? 0 : section == 5 ? 1 : 2];
}

void annual_narrative_get(struct agg *st, const char *agency, int year, int section,
                          const char *version, struct annual_answer *a)
{
    long want = 0;
    if (version) {
        char *end;
        want = strtol(version, &end, 10);
        if (!*version || *end || want < 1 || want > 1000000000) {
            char shown[40], msg[160];
            snprintf(msg, sizeof msg, "version: \"%s\": a version number from 1 (leave it out for the newest)",
                     utf8_shown(version, shown, sizeof shown));
            annual_error(a, MHD_HTTP_BAD_REQUEST, "bad_version", msg);
            return;
        }
    }
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        unavailable(a);
        return;
    }
    struct narrative n = {0};
    int rc = narrative_get(c, agency, year, section, (int)want, &n);
    sidedb_release(st->side, rc == DB_RETRY);
    if (rc == 1) {
        char msg[200];
        snprintf(msg, sizeof msg, "version: %s %d section %d has no version %ld", agency, year, section, want);
        annual_error(a, MHD_HTTP_NOT_FOUND, "no_version", msg);
    } else if (!failed(a, rc, "read")) {
        json_t *o = json_object();
        json_object_set_new(o, "agency", json_string(agency));
        json_object_set_new(o, "year", json_integer(year));
        json_object_set_new(o, "section", json_integer(section));
        json_object_set_new(o, "heading", json_string(heading(section)));
        json_object_set_new(o, "version", json_integer(n.version));
        json_object_set_new(o, "written_by", n.version ? json_string(n.written_by) : json_null());
        json_object_set_new(o, "written_at", n.version ? json_string(n.written_at) : json_null());
        json_object_set_new(o, "markdown", json_string(n.body));
        json_answer(a, o);
    }
    narrative_clear(&n);
}

void annual_narrative_put(struct agg *st, const char *agency, int year, int section,
                          const char *text, size_t n, const char *who, struct annual_answer *a)
{
    char why[200];
    if (narrative_text_check(text, n, why, sizeof why)) {
        annual_error(a, MHD_HTTP_BAD_REQUEST, "bad_text", why);
        return;
    }
    char *copy = strndup(text, n); /* NUL-free: checked above */
    if (!copy)
        abort();
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        free(copy);
        unavailable(a);
        return;
    }
    int version = 0;
    int rc = narrative_set(c, agency, year, section, copy, who, &version);
    sidedb_release(st->side, rc == DB_RETRY);
    free(copy);
    if (!failed(a, rc, "write")) {
        json_t *o = json_object();
        json_object_set_new(o, "agency", json_string(agency));
        json_object_set_new(o, "year", json_integer(year));
        json_object_set_new(o, "section", json_integer(section));
        json_object_set_new(o, "version", json_integer(version));
        json_object_set_new(o, "written_by", json_string(who));
        json_answer(a, o);
    }
}

void annual_document(struct agg *st, const char *agency, int year, int rule, int subtree,
                     struct annual_answer *a)
{
    struct report r;
    char name[256];
    agg_report(st, agency, year, (enum case_rule)rule, subtree, &r, name, sizeof name, NULL);
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        unavailable(a);
        return;
    }
    static const int sections[3] = {1, 5, 6};
    struct narrative n[3] = {{0}};
    int rc = DB_OK;
    for (int k = 0; k < 3 && rc == DB_OK; k++)
        rc = narrative_get(c, agency, year, sections[k], 0, &n[k]);
    sidedb_release(st->side, rc == DB_RETRY);
    if (!failed(a, rc, "read")) {
        struct document_prose p = {{n[0].body, n[1].body, n[2].body}};
        buf_reset(&a->body);
        document_html(&r, *name ? name : NULL, &p, &a->body);
        a->status = MHD_HTTP_OK;
        a->type = "text/html; charset=utf-8";
    }
    for (int k = 0; k < 3; k++)
        narrative_clear(&n[k]);
}

void annual_release(struct agg *st, const char *agency, int year, int n, int document,
                    struct annual_answer *a)
{
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        unavailable(a);
        return;
    }
    char y[16], r[16];
    snprintf(y, sizeof y, "%d", year);
    snprintf(r, sizeof r, "%d", n);
    const char *p[] = {agency, y, r};
    /* Binary results: the document's bytes arrive as they were stored. */
    PGresult *res = PQexecParams(c,
                                 document ? "SELECT document FROM report_release"
                                            " WHERE agency = $1 AND year = $2::int AND release = $3::int"
                                          : "SELECT convert_to(tables, 'UTF8') FROM report_release"
                                            " WHERE agency = $1 AND year = $2::int AND release = $3::int",
                                 3, NULL, p, NULL, NULL, 1);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? DB_OK : db_failure(c, res, "reading a release");
    sidedb_release(st->side, rc == DB_RETRY);
    if (failed(a, rc, "read")) {
        /* answered by failed() */
    } else if (PQntuples(res) == 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "release: %s %d has no release %d (GET .../releases lists them)", agency,
                 year, n);
        annual_error(a, MHD_HTTP_NOT_FOUND, "no_release", msg);
    } else {
        buf_reset(&a->body);
        buf_append(&a->body, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
        a->status = MHD_HTTP_OK;
        a->type = document ? "text/html; charset=utf-8" : JSON_TYPE;
    }
    PQclear(res);
}

void annual_releases(struct agg *st, const char *agency, int year, struct annual_answer *a)
{
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        unavailable(a);
        return;
    }
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *p[] = {agency, y};
    PGresult *res = PQexecParams(
        c,
        "SELECT release, draft, case_rule, as_of_seq,"
        " to_char(released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), released_by, note,"
        " document_sha256, tables_sha256, prose_versions[1], prose_versions[2], prose_versions[3]"
        " FROM report_release WHERE agency = $1 AND year = $2::int ORDER BY release",
        2, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? DB_OK : db_failure(c, res, "listing releases");
    sidedb_release(st->side, rc == DB_RETRY);
    if (!failed(a, rc, "read")) {
        json_t *list = json_array();
        for (int i = 0; i < PQntuples(res); i++) {
            json_t *o = json_object();
            json_object_set_new(o, "release", json_integer(atoi(PQgetvalue(res, i, 0))));
            json_object_set_new(o, "draft", json_boolean(*PQgetvalue(res, i, 1) == 't'));
            json_object_set_new(o, "case_rule", json_string(PQgetvalue(res, i, 2)));
            json_object_set_new(o, "as_of_seq", json_integer(strtoll(PQgetvalue(res, i, 3), NULL, 10)));
            json_object_set_new(o, "released_at", json_string(PQgetvalue(res, i, 4)));
            json_object_set_new(o, "released_by", json_string(PQgetvalue(res, i, 5)));
            json_object_set_new(o, "note", json_string(PQgetvalue(res, i, 6)));
            json_object_set_new(o, "document_sha256", json_string(PQgetvalue(res, i, 7)));
            json_object_set_new(o, "tables_sha256", json_string(PQgetvalue(res, i, 8)));
            json_t *v = json_array();
            for (int k = 0; k < 3; k++)
                json_array_append_new(v, json_integer(atoi(PQgetvalue(res, i, 9 + k))));
            json_object_set_new(o, "prose_versions", v);
            json_array_append_new(list, o);
        }
        json_t *o = json_object();
        json_object_set_new(o, "agency", json_string(agency));
        json_object_set_new(o, "year", json_integer(year));
        json_object_set_new(o, "releases", list);
        json_answer(a, o);
    }
    PQclear(res);
}
