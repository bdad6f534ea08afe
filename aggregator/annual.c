/* annual — the annual report's routes that need the database (see annual.h). */
#include "annual.h"

#include <jansson.h>
#include <pthread.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "day.h"
#include "convert.h"
#include "db.h"
#include "document.h"
#include "ledger.h"
#include "logread.h"
#include "narrative.h"
#include "render.h"
#include "registry.h"
#include "release.h"
#include "releases.h"
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

void annual_convert(struct annual_answer *a, const char *format)
{
    if (a->status != MHD_HTTP_OK || strcmp(format, "html") == 0)
        return;
    struct buf out = {0};
    char why[400];
    int rc = convert_document(a->body.data, a->body.len, format, &out, why, sizeof why);
    if (rc) {
        buf_free(&out);
        if (rc == -2)
            annual_error(a, MHD_HTTP_NOT_IMPLEMENTED, "not_available",
                         "document.docx and document.pdf need LibreOffice (soffice) on the aggregator's host, "
                         "which this one has not; gongkai document --format docx|pdf makes them where it is");
        else
            annual_error(a, MHD_HTTP_INTERNAL_SERVER_ERROR, "convert_failed", why);
        return;
    }
    buf_free(&a->body);
    a->body = out;
    a->type = strcmp(format, "docx") == 0
                  ? "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                  : "application/pdf";
}

void annual_document(struct agg *st, const char *agency, int year, int rule, int subtree, const char *format,
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
        struct document_prose p = {.section = {n[0].body, n[1].body, n[2].body}};
        buf_reset(&a->body);
        document_html(&r, *name ? name : NULL, &p, &a->body);
        a->status = MHD_HTTP_OK;
        a->type = "text/html; charset=utf-8";
    }
    for (int k = 0; k < 3; k++)
        narrative_clear(&n[k]);
    annual_convert(a, format);
}

void annual_release(struct agg *st, const char *agency, int year, int n, int document,
                    struct annual_answer *a)
{
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        unavailable(a);
        return;
    }
    buf_reset(&a->body);
    int rc = release_read(c, agency, year, n, document, &a->body);
    sidedb_release(st->side, rc == DB_RETRY);
    if (rc == 1) {
        char msg[200];
        snprintf(msg, sizeof msg, "release: %s %d has no release %d (GET .../releases lists them)", agency,
                 year, n);
        annual_error(a, MHD_HTTP_NOT_FOUND, "no_release", msg);
    } else if (!failed(a, rc, "read")) {
        a->status = MHD_HTTP_OK;
        a->type = document ? "text/html; charset=utf-8" : JSON_TYPE;
    }
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

/* The report of (agency, year) as of the end of Beijing day `day`, counted
 * afresh from the agency's events dated up to then, rendered in fmt into
 * out. DB_OK, or DB_RETRY (the database cannot be reached) / DB_FATAL. */
static int render_as_of(struct agg *st, const char *agency, int year, int32_t day, int rule, int fmt,
                        struct buf *out)
{
    /* The end of that Beijing day, in UTC. */
    int64_t before_us = ((int64_t)(day + 1) * 86400 - BEIJING_OFFSET_S) * 1000000;
    char name[256] = "";
    struct report r;
    agg_report(st, agency, year, (enum case_rule)rule, 0, &r, name, sizeof name, NULL);
    PGconn *c = sidedb_acquire(st->side);
    if (!c)
        return DB_RETRY;
    /* One snapshot for all the chunks. */
    int rc = db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    struct ledger *l = ledger_new();
    struct tables *t = tables_new();
    struct logrow *rows = NULL;
    size_t cap = 0;
    uint64_t after = 0;
    long n = 0;
    while (!rc && (n = logread_agency_chunk(c, agency, before_us, after, 20000, &rows, &cap)) > 0) {
        for (long i = 0; i < n; i++) {
            struct ledger_change chg;
            ledger_apply(l, &rows[i].ev, &chg);
            tables_apply(t, &chg);
        }
        after = rows[n - 1].seq;
    }
    if (!rc && n < 0)
        rc = n == LOGREAD_BAD ? DB_FATAL : DB_RETRY;
    PQclear(PQexec(c, "ROLLBACK"));
    sidedb_release(st->side, rc == DB_RETRY);
    if (!rc) {
        uint32_t id;
        if (ledger_agency_find(l, agency, &id))
            id = UINT32_MAX;
        tables_report(t, id, agency, year, (enum case_rule)rule, &r);
        /* "as_of" says the day asked: its last second, Beijing time (or the
         * year's end, once that has passed by then). */
        render_report(&r, *name ? name : NULL, (enum render_format)fmt, before_us - 1000000, out);
    }
    free(rows);
    tables_destroy(&t);
    ledger_destroy(&l);
    return rc;
}

void annual_as_of(struct agg *st, const char *agency, int year, int32_t day, int rule, int fmt,
                  struct annual_answer *a)
{
    buf_reset(&a->body);
    int rc = render_as_of(st, agency, year, day, rule, fmt, &a->body);
    if (!failed(a, rc, "read")) {
        a->status = MHD_HTTP_OK;
        a->type = render_content_type((enum render_format)fmt);
    }
}

/* ---- diff ---- */

/* One side of a diff: "live", "release:N" or "as_of:YYYY-MM-DD". */
struct side {
    enum { SIDE_LIVE, SIDE_RELEASE, SIDE_AS_OF } kind;
    int release;
    int32_t day;
};

static int side_parse(const char *name, const char *text, struct side *s, char *msg, size_t cap)
{
    char shown[80], code[32];
    if (text && strcmp(text, "live") == 0) {
        s->kind = SIDE_LIVE;
        return 0;
    }
    if (text && strncmp(text, "release:", 8) == 0) {
        char *end;
        long n = strtol(text + 8, &end, 10);
        if (text[8] && !*end && n >= 1 && n <= 1000000000) {
            s->kind = SIDE_RELEASE, s->release = (int)n;
            return 0;
        }
    }
    if (text && strncmp(text, "as_of:", 6) == 0 &&
        agg_check_as_of(text + 6, &s->day, code, sizeof code, msg, cap) == 0) {
        s->kind = SIDE_AS_OF;
        return 0;
    }
    snprintf(msg, cap, "%s: \"%s\": live, release:N or as_of:YYYY-MM-DD", name,
             utf8_shown(text ? text : "", shown, sizeof shown));
    return -1;
}

/* A release's case rule, or -1 when it does not exist; DB errors in *rc. */
static int release_rule(struct agg *st, const char *agency, int year, int n, int *rc)
{
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        *rc = DB_RETRY;
        return -1;
    }
    char y[16], r[16];
    snprintf(y, sizeof y, "%d", year);
    snprintf(r, sizeof r, "%d", n);
    const char *p[] = {agency, y, r};
    PGresult *res = PQexecParams(c,
                                 "SELECT case_rule FROM report_release"
                                 " WHERE agency = $1 AND year = $2::int AND release = $3::int",
                                 3, NULL, p, NULL, NULL, 0);
    *rc = PQresultStatus(res) == PGRES_TUPLES_OK ? DB_OK : db_failure(c, res, "reading a release");
    sidedb_release(st->side, *rc == DB_RETRY);
    int rule = -1;
    if (!*rc && PQntuples(res) == 1)
        rule = strcmp(PQgetvalue(res, 0, 0), "handled") == 0 ? CASE_RULE_HANDLED : CASE_RULE_FILED;
    PQclear(res);
    return rule;
}

/* The side's report JSON into out (answered into a on failure): 0 or -1. */
static int side_json(struct agg *st, const char *agency, int year, const struct side *s, int rule,
                     struct buf *out, struct annual_answer *a)
{
    if (s->kind == SIDE_LIVE) {
        agg_render(st, agency, year, (enum case_rule)rule, 0, FORMAT_JSON, day_now_us(), out, NULL);
        return 0;
    }
    if (s->kind == SIDE_AS_OF)
        return failed(a, render_as_of(st, agency, year, s->day, rule, FORMAT_JSON, out), "read") ? -1 : 0;
    annual_release(st, agency, year, s->release, 0, a);
    if (a->status != MHD_HTTP_OK)
        return -1;
    buf_append(out, a->body.data, a->body.len);
    return 0;
}

/* Every cell of a report JSON's tables, by name, into cells:
 * active_disclosure.ROW.COLUMN, applications.ROW.COLUMN,
 * reviews_litigation.ROW.COLUMN. */
static void flatten(json_t *report, json_t *cells)
{
    char name[256];
    const char *row, *col;
    json_t *cols, *v;
    json_object_foreach(json_object_get(report, "active_disclosure"), row, cols)
        json_object_foreach(cols, col, v) {
            snprintf(name, sizeof name, "active_disclosure.%s.%s", row, col);
            json_object_set(cells, name, v);
        }
    json_t *apps = json_object_get(report, "applications");
    json_t *acols = json_object_get(apps, "columns"), *r;
    size_t i, k;
    json_array_foreach(json_object_get(apps, "rows"), i, r) {
        json_array_foreach(json_object_get(r, "values"), k, v) {
            snprintf(name, sizeof name, "applications.%s.%s", json_string_value(json_object_get(r, "key")),
                     json_string_value(json_array_get(acols, k)));
            json_object_set(cells, name, v);
        }
    }
    json_t *rl = json_object_get(report, "reviews_litigation");
    json_t *rcols = json_object_get(rl, "columns");
    json_object_foreach(rl, row, r) {
        if (!json_is_array(r) || r == rcols)
            continue;
        json_array_foreach(r, k, v) {
            snprintf(name, sizeof name, "reviews_litigation.%s.%s", row,
                     json_string_value(json_array_get(rcols, k)));
            json_object_set(cells, name, v);
        }
    }
}

void annual_diff(struct agg *st, const char *agency, int year, const char *from, const char *to,
                 int rule, struct annual_answer *a)
{
    struct side sf, stt;
    char msg[300];
    if (side_parse("from", from, &sf, msg, sizeof msg) || side_parse("to", to ? to : "live", &stt, msg, sizeof msg)) {
        annual_error(a, MHD_HTTP_BAD_REQUEST, "bad_side", msg);
        return;
    }
    /* A release froze section 四 under one case rule: both sides are
     * compared under it (two releases must agree on it). */
    const struct side *rels[2] = {&sf, &stt};
    int fixed = -1;
    for (int k = 0; k < 2; k++) {
        if (rels[k]->kind != SIDE_RELEASE)
            continue;
        int rc;
        int r = release_rule(st, agency, year, rels[k]->release, &rc);
        if (failed(a, rc, "read"))
            return;
        if (r < 0) {
            snprintf(msg, sizeof msg, "%s: %s %d has no release %d", k ? "to" : "from", agency, year,
                     rels[k]->release);
            annual_error(a, MHD_HTTP_NOT_FOUND, "no_release", msg);
            return;
        }
        if (fixed >= 0 && r != fixed) {
            annual_error(a, MHD_HTTP_BAD_REQUEST, "bad_case_rule",
                         "the two releases froze section 四 under different case rules");
            return;
        }
        fixed = r;
    }
    if (fixed >= 0)
        rule = fixed;
    struct buf jf = {0}, jt = {0};
    if (side_json(st, agency, year, &sf, rule, &jf, a) || side_json(st, agency, year, &stt, rule, &jt, a)) {
        buf_free(&jf);
        buf_free(&jt);
        return;
    }
    json_t *rf = json_loadb(jf.data, jf.len, 0, NULL), *rt = json_loadb(jt.data, jt.len, 0, NULL);
    buf_free(&jf);
    buf_free(&jt);
    json_t *cf = json_object(), *ct = json_object();
    flatten(rf, cf);
    flatten(rt, ct);
    json_t *changes = json_array();
    const char *cell;
    json_t *v;
    json_object_foreach(cf, cell, v) {
        json_t *w = json_object_get(ct, cell);
        if (w && json_equal(v, w))
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "cell", json_string(cell));
        json_object_set(o, "from", v);
        json_object_set(o, "to", w ? w : json_null());
        json_array_append_new(changes, o);
    }
    json_object_foreach(ct, cell, v) {
        if (json_object_get(cf, cell))
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "cell", json_string(cell));
        json_object_set_new(o, "from", json_null());
        json_object_set(o, "to", v);
        json_array_append_new(changes, o);
    }
    json_t *o = json_object();
    json_object_set_new(o, "agency", json_string(agency));
    json_object_set_new(o, "year", json_integer(year));
    json_object_set_new(o, "from", json_string(from));
    json_object_set_new(o, "to", json_string(to ? to : "live"));
    json_object_set_new(o, "case_rule", json_string(rule == CASE_RULE_HANDLED ? "handled" : "filed"));
    json_object_set_new(o, "changed", json_integer((json_int_t)json_array_size(changes)));
    json_object_set_new(o, "changes", changes);
    json_decref(cf);
    json_decref(ct);
    json_decref(rf);
    json_decref(rt);
    json_answer(a, o);
}

/* ---- the release overview ---- */

struct overview_row {
    char *code, *name;  /* owned */
    int release;        /* newest, 0: none */
    int final;          /* a non-draft release exists */
    int changed;        /* the live tables differ from the newest release's */
    int late;
    char first_final_at[32]; /* "" when none */
};

static const char *row_state(const struct overview_row *r)
{
    return !r->release ? "not_released" : !r->final ? "draft" : r->changed ? "changed_since_release" : "released";
}

static void overview_html(const char *agency, int year, const struct overview_row *rows, size_t n,
                          struct buf *b)
{
    static const char *const zh[] = {"未发布", "仅草稿", "已发布", "发布后有变动"};
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    buf_html_text(b, agency);
    buf_printf(b, " %d年政府信息公开工作年度报告发布情况</title>\n<style>body{font-family:sans-serif;margin:2em}"
                  "table{border-collapse:collapse}th,td{border:1px solid #999;padding:.2em .5em}"
                  ".late{color:#b00;font-weight:bold}</style>\n</head>\n<body>\n<h1>", year);
    buf_html_text(b, agency);
    buf_printf(b, " %d年度报告发布情况</h1>\n<p>截止日期 %d-01-31（北京时间）。"
                  "<a href=\"/v1/reports/", year, year + 1);
    buf_html_text(b, agency);
    buf_printf(b, "/%d/document.html?scope=subtree\">汇总报告 (the subtree's roll-up)</a></p>\n<table>\n"
                  "<tr><th>机关</th><th>名称</th><th>状态</th><th>最新版本</th><th>首次正式发布</th>"
                  "<th>逾期</th><th>文档</th></tr>\n", year);
    for (size_t i = 0; i < n; i++) {
        const struct overview_row *r = &rows[i];
        const char *st = row_state(r);
        int k = !r->release ? 0 : !r->final ? 1 : r->changed ? 3 : 2;
        buf_puts(b, "<tr><td>");
        buf_html_text(b, r->code);
        buf_puts(b, "</td><td>");
        buf_html_text(b, r->name);
        buf_printf(b, "</td><td class=\"%s\">%s (%s)</td><td>", r->changed || r->late ? "late" : "", zh[k], st);
        if (r->release)
            buf_printf(b, "%d", r->release);
        buf_puts(b, "</td><td>");
        buf_html_text(b, r->first_final_at);
        buf_printf(b, "</td><td class=\"late\">%s</td><td>", r->late ? "逾期 late" : "");
        if (r->release) {
            buf_puts(b, "<a href=\"/v1/reports/");
            buf_html_text(b, r->code);
            buf_printf(b, "/%d/document.html?release=%d\">第 %d 版</a>", year, r->release, r->release);
        }
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n</body>\n</html>\n");
}

/* The agencies of the scope, their names and whether each changed since its
 * newest release: copied out under the read lock, the digests outside it. */
static struct overview_row *overview_rows(struct agg *st, const char *agency, int year, int subtree,
                                          size_t *count)
{
    pthread_rwlock_rdlock(&st->lock);
    const char **codes = NULL;
    size_t n = subtree ? registry_subtree(st->registry, agency, &codes) : 1;
    struct overview_row *rows = xcalloc(n, sizeof *rows);
    struct release_mark *marks = xcalloc(n, sizeof *marks);
    for (size_t i = 0; i < n; i++) {
        const char *code = codes ? codes[i] : agency;
        const char *nm = registry_name(st->registry, code);
        rows[i].code = xstrdup(code);
        rows[i].name = xstrdup(nm ? nm : "");
        if (!releases_find(st->releases, code, year, &marks[i]))
            marks[i].release = 0;
    }
    pthread_rwlock_unlock(&st->lock);
    free(codes);
    for (size_t i = 0; i < n; i++) {
        if (!marks[i].release)
            continue;
        struct report r;
        char live[SHA256_HEX_LEN + 1];
        agg_report(st, rows[i].code, year, (enum case_rule)marks[i].case_rule, 0, &r, NULL, 0, NULL);
        render_tables_sha256(&r, live);
        rows[i].changed = strcmp(live, marks[i].tables_sha256) != 0;
    }
    free(marks);
    *count = n;
    return rows;
}

/* Each row's newest release, first final release and whether that was late,
 * from report_release (the side connection). DB_OK, DB_RETRY or DB_FATAL. */
static int overview_releases(struct agg *st, int year, struct overview_row *rows, size_t n)
{
    struct buf list = {0};
    buf_putc(&list, '{');
    for (size_t i = 0; i < n; i++)
        buf_printf(&list, "%s%s", i ? "," : "", rows[i].code); /* codes need no quoting: [a-z0-9._-] */
    buf_putc(&list, '}');
    buf_putc(&list, '\0');
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *p[] = {y, list.data};
    PGconn *c = sidedb_acquire(st->side);
    if (!c) {
        buf_free(&list);
        return DB_RETRY;
    }
    PGresult *res = PQexecParams(c,
                                 "SELECT agency, max(release),"
                                 " to_char(min(released_at) FILTER (WHERE NOT draft) AT TIME ZONE 'UTC',"
                                 "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                                 " coalesce(min(released_at) FILTER (WHERE NOT draft)"
                                 "  > (make_date($1::int + 1, 2, 1)::timestamp AT TIME ZONE 'Asia/Shanghai'), false)"
                                 " FROM report_release WHERE year = $1::int AND agency = ANY($2::text[])"
                                 " GROUP BY agency",
                                 2, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? DB_OK : db_failure(c, res, "reading releases");
    sidedb_release(st->side, rc == DB_RETRY);
    buf_free(&list);
    for (int k = 0; !rc && k < PQntuples(res); k++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i].code, PQgetvalue(res, k, 0)) == 0) {
                rows[i].release = atoi(PQgetvalue(res, k, 1));
                snprintf(rows[i].first_final_at, sizeof rows[i].first_final_at, "%s", PQgetvalue(res, k, 2));
                rows[i].final = !PQgetisnull(res, k, 2);
                rows[i].late = *PQgetvalue(res, k, 3) == 't';
                break;
            }
    PQclear(res);
    /* No final release when the deadline (the end of 31 January of the next
     * year, Beijing time) has passed: late too. */
    int64_t deadline_us = ((int64_t)day_from_ymd(year + 1, 2, 1) * 86400 - BEIJING_OFFSET_S) * 1000000;
    int past = day_now_us() >= deadline_us;
    for (size_t i = 0; !rc && i < n; i++) {
        if (!rows[i].final && past)
            rows[i].late = 1;
        if (!rows[i].release)
            rows[i].changed = 0;
    }
    return rc;
}

static json_t *overview_json(const char *agency, int year, int subtree, const struct overview_row *rows,
                             size_t n)
{
    long counts[4] = {0}, late = 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *s = row_state(&rows[i]);
        counts[strcmp(s, "not_released") == 0 ? 0 : strcmp(s, "draft") == 0 ? 1 : strcmp(s, "released") == 0 ? 2 : 3]++;
        late += rows[i].late;
        json_t *o = json_object();
        json_object_set_new(o, "agency", json_string(rows[i].code));
        json_object_set_new(o, "name", json_string(rows[i].name));
        json_object_set_new(o, "state", json_string(s));
        json_object_set_new(o, "release", rows[i].release ? json_integer(rows[i].release) : json_null());
        json_object_set_new(o, "first_released_at", rows[i].final ? json_string(rows[i].first_final_at) : json_null());
        json_object_set_new(o, "late", json_boolean(rows[i].late));
        char link[200];
        snprintf(link, sizeof link, "/v1/reports/%s/%d/document.html?release=%d", rows[i].code, year, rows[i].release);
        json_object_set_new(o, "document", rows[i].release ? json_string(link) : json_null());
        json_array_append_new(arr, o);
    }
    char deadline[48]; /* the last day, Beijing time */
    snprintf(deadline, sizeof deadline, "%04d-01-31", year + 1);
    json_t *o = json_object();
    json_object_set_new(o, "agency", json_string(agency));
    json_object_set_new(o, "year", json_integer(year));
    json_object_set_new(o, "scope", json_string(subtree ? "subtree" : "self"));
    json_object_set_new(o, "deadline", json_string(deadline));
    json_t *cnt = json_object();
    json_object_set_new(cnt, "agencies", json_integer((json_int_t)n));
    json_object_set_new(cnt, "not_released", json_integer(counts[0]));
    json_object_set_new(cnt, "draft", json_integer(counts[1]));
    json_object_set_new(cnt, "released", json_integer(counts[2]));
    json_object_set_new(cnt, "changed_since_release", json_integer(counts[3]));
    json_object_set_new(cnt, "late", json_integer(late));
    json_object_set_new(o, "counts", cnt);
    json_object_set_new(o, "agencies", arr);
    return o;
}

void annual_overview(struct agg *st, const char *agency, int year, int subtree, int html,
                     struct annual_answer *a)
{
    size_t n;
    struct overview_row *rows = overview_rows(st, agency, year, subtree, &n);
    if (!failed(a, overview_releases(st, year, rows, n), "read")) {
        if (html) {
            buf_reset(&a->body);
            overview_html(agency, year, rows, n, &a->body);
            a->status = MHD_HTTP_OK;
            a->type = "text/html; charset=utf-8";
        } else {
            json_answer(a, overview_json(agency, year, subtree, rows, n));
        }
    }
    for (size_t i = 0; i < n; i++)
        free(rows[i].code), free(rows[i].name);
    free(rows);
}
