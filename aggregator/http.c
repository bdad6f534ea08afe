/* http — the aggregator's HTTP interface (libmicrohttpd, its own threads).
 *
 *   GET /v1/reports/{agency}/{year}[?format=json|csv|md|text][&case_rule=filed|handled]
 *   GET /v1/reports/{agency}/{year}/timeliness[?scope=subtree][&as_of=YYYY-MM-DD]
 *   GET /v1/agencies/{agency}/open[?scope=subtree][&as_of=YYYY-MM-DD]    (due.c)
 *   GET /v1/agencies    GET /healthz    GET /metrics    GET /
 *
 * Handlers copy what they need under agg's read lock and render outside it.
 * Bad input is a 400 with {"error": CODE, "message": TEXT}.
 *
 * Bearer tokens (GONGKAI_HTTP_TOKENS, optional): a file of "NAME TOKEN"
 * lines; when given, /v1/... needs "Authorization: Bearer TOKEN" (401
 * otherwise) while /, /healthz and /metrics stay open for probes and
 * scrapers. Tokens are compared in constant time and never logged; SIGHUP
 * re-reads the file. TLS belongs to a reverse proxy in front (README).
 */
#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "agg.h"
#include "serve.h"
#include "alloc.h"
#include "buf.h"
#include "day.h"
#include "httpguard.h"
#include "log.h"
#include "net.h"
#include "metrics.h"
#include "page.h"
#include "render.h"
#include "timeliness.h"
#include "utf8.h"
#include "reportcheck.h"
#include "workers.h"
#include "annual.h"
#include "releases.h"
#include "narrative.h"

#define TOKEN_MIN 16        /* shorter tokens are guessable: refused */
#define HTTP_BODY_MAX 65536 /* a declared body above this is refused unread (413) */
#define HTTP_PER_ADDRESS 64 /* connections one client address may hold open */
#define HTTP_CONNECTIONS 4000 /* in all, at most (and below the descriptor limit) */
#define HTTP_IDLE_S 10      /* a connection silent this long is closed */
#define HTTP_HEADER_DEADLINE_S 10 /* a request's headers, complete within (httpguard.h) */
#define TOKENS_FILE_MAX (1 << 20)

struct tokens {
    char **name, **token;   /* owned */
    size_t n;
};

static struct httpguard *guard; /* owned by http_start/http_stop */
static struct workers *heavy; /* heavy requests' threads (workers.h) */

static struct {
    char *path;              /* owned; NULL when /v1/... is open */
    pthread_mutex_t lock;    /* guards cur: handlers run on libmicrohttpd's threads */
    struct tokens *cur;
} auth_http = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void tokens_free(struct tokens *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        explicit_bzero(t->token[i], strlen(t->token[i]));
        free(t->token[i]);
        free(t->name[i]);
    }
    free(t->name);
    free(t->token);
    free(t);
}

/* Parses the tokens file; NULL with err ("PATH:LINE: reason") when bad. */
static struct tokens *tokens_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct tokens *t = xcalloc(1, sizeof *t);
    char *line = NULL;
    size_t cap = 0, total = 0;
    ssize_t len;
    int lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        total += (size_t)len;
        char *save = NULL, *name = strtok_r(line, " \t\r\n", &save);
        if (!name || name[0] == '#')
            continue;
        char *tok = strtok_r(NULL, " \t\r\n", &save), *extra = strtok_r(NULL, " \t\r\n", &save);
        const char *why = NULL;
        if (total > TOKENS_FILE_MAX)
            why = "file too large";
        else if (!tok || (extra && extra[0] != '#'))
            why = "expected NAME TOKEN";
        else if (strlen(tok) < TOKEN_MIN)
            why = "token shorter than 16 characters";
        for (size_t i = 0; !why && i < t->n; i++)
            if (strcmp(t->name[i], name) == 0)
                why = "name listed twice";
        if (why) {
            /* The line's text may be a token: never echo it. */
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            explicit_bzero(line, cap);
            free(line);
            fclose(f);
            tokens_free(t);
            return NULL;
        }
        t->name = xrealloc(t->name, (t->n + 1) * sizeof *t->name);
        t->token = xrealloc(t->token, (t->n + 1) * sizeof *t->token);
        t->name[t->n] = xstrndup(name, 64);
        t->token[t->n++] = xstrdup(tok);
    }
    if (line)
        explicit_bzero(line, cap);
    free(line);
    fclose(f);
    if (!t->n) {
        snprintf(err, errlen, "%s: no tokens (an empty file would lock every client out)", path);
        tokens_free(t);
        return NULL;
    }
    return t;
}

void http_reload_tokens(void)
{
    if (!auth_http.path)
        return;
    char err[400];
    struct tokens *t = tokens_load(auth_http.path, err, sizeof err);
    if (!t) {
        log_error("HTTP tokens not reloaded; the previous ones stay in force", "error=\"%s\"", err);
        return;
    }
    pthread_mutex_lock(&auth_http.lock);
    struct tokens *old = auth_http.cur;
    auth_http.cur = t;
    pthread_mutex_unlock(&auth_http.lock);
    tokens_free(old);
    log_info("HTTP tokens reloaded", "tokens=%zu", t->n);
}

/* Equal strings, in time that depends only on the length of b. */
static int same(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char d = na != nb;
    for (size_t i = 0; i < nb; i++)
        d |= (unsigned char)(a[i < na ? i : 0] ^ b[i]);
    return d == 0;
}

/* 1 when the request may use /v1/...; the name of its token (or "" when
 * /v1/ is open) into who. */
static int authorised(struct MHD_Connection *c, char *who, size_t who_cap)
{
    snprintf(who, who_cap, "%s", "");
    if (!auth_http.path)
        return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    int ok = 0;
    pthread_mutex_lock(&auth_http.lock);
    for (size_t i = 0; auth_http.cur && i < auth_http.cur->n; i++) {
        int hit = same(tok, auth_http.cur->token[i]); /* no early exit: timing says nothing */
        if (hit && !ok)
            snprintf(who, who_cap, "token:%s", auth_http.cur->name[i]);
        ok |= hit;
    }
    pthread_mutex_unlock(&auth_http.lock);
    return ok;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               struct buf *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body->len, body->data ? body->data : (char *)"", MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    buf_free(body);
    return ret;
}

/* {"error": code, "message": message} into b. */
static void error_body(struct buf *b, const char *code, const char *message)
{
    buf_puts(b, "{\"error\": ");
    buf_json_string(b, code);
    buf_puts(b, ", \"message\": ");
    buf_json_string(b, message);
    buf_puts(b, "}\n");
}

/* An error answer, with one more header when header is not NULL (Allow for
 * a 405, WWW-Authenticate for a 401, Retry-After for a 503). */
static enum MHD_Result error_with(struct MHD_Connection *c, unsigned status, const char *code,
                                  const char *message, const char *header, const char *value)
{
    struct buf b = {0};
    error_body(&b, code, message);
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (header)
        MHD_add_response_header(r, header, value);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    buf_free(&b);
    return ret;
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *code,
                             const char *message)
{
    return error_with(c, status, code, message, NULL, NULL);
}

/* Renders (agency, year) with the request's scope and case rule into out. */
static void render_one(struct agg *st, const char *agency, int year, int rule, int subtree, int fmt,
                       struct buf *out)
{
    agg_render(st, agency, year, (enum case_rule)rule, subtree, fmt, day_now_us(), out, NULL);
}

/* The report's own checks (lib/report/reportcheck.c) on the live tables of year and
 * year-1: always clean by construction, so this is a self-test in production. */
static enum MHD_Result check(struct agg *st, struct MHD_Connection *c, const char *agency, int year, int rule,
                             int subtree)
{
    struct buf prev = {0}, cur = {0}, b = {0};
    if (year > YEAR_MIN)
        render_one(st, agency, year - 1, rule, subtree, FORMAT_JSON, &prev);
    render_one(st, agency, year, rule, subtree, FORMAT_JSON, &cur);
    json_t *reports[2];
    size_t n = 0;
    if (prev.len)
        reports[n++] = json_loads(prev.data, 0, NULL);
    reports[n++] = json_loads(cur.data, 0, NULL);
    struct check_findings *f = reportcheck_run(reports, n);
    char y0[16], y1[16];
    snprintf(y0, sizeof y0, "%d", year - 1);
    snprintf(y1, sizeof y1, "%d", year);
    const char *names[2] = {n == 2 ? y0 : y1, y1};
    json_t *out = json_object();
    json_object_set_new(out, "agency", json_string(agency));
    json_object_set_new(out, "year", json_integer(year));
    json_object_set_new(out, "errors", json_integer((json_int_t)f->errors));
    json_object_set_new(out, "warnings", json_integer((json_int_t)f->warnings));
    json_object_set_new(out, "findings", reportcheck_to_json(f, names));
    char *text = json_dumps(out, JSON_INDENT(2));
    buf_puts(&b, text);
    buf_putc(&b, '\n');
    free(text);
    json_decref(out);
    reportcheck_free(f);
    for (size_t i = 0; i < n; i++)
        json_decref(reports[i]);
    buf_free(&prev);
    buf_free(&cur);
    return respond(c, MHD_HTTP_OK, "application/json; charset=utf-8", &b);
}

enum job_kind { JOB_OPEN, JOB_TIMELINESS, JOB_METRICS, JOB_NARRATIVE, JOB_NARRATIVE_PUT, JOB_DOCUMENT,
                JOB_RELEASE, JOB_RELEASES, JOB_AS_OF, JOB_DIFF, JOB_OVERVIEW };

enum report_route { REPORT_TABLES, REPORT_CHECK, REPORT_DOCUMENT, REPORT_RELEASES, REPORT_DIFF };

static enum MHD_Result document_job(struct agg *st, struct MHD_Connection *c, void **state,
                                    const char *agency, int year, int rule, int subtree, const char *format);
static enum MHD_Result release_job(struct MHD_Connection *c, void **state, struct agg *st,
                                   const char *agency, int year, int n, const char *document, enum job_kind kind);
static enum MHD_Result as_of_job(struct MHD_Connection *c, void **state, struct agg *st, const char *agency,
                                 int year, int32_t day, int rule, int fmt);
static enum MHD_Result diff_job(struct MHD_Connection *c, void **state, struct agg *st, const char *agency,
                                int year, int rule);

/* /v1/reports/{agency}/{year}[/check|/document.html]: the document is the
 * tables and the prose (annual.h), on a worker. */
static enum MHD_Result report(struct agg *st, struct MHD_Connection *c, void **state, const char *agency,
                              const char *year_text, const char *doc_format, enum report_route route)
{
    char code[32], message[200];
    int year;
    if (agg_check_request(agency, year_text, &year, code, sizeof code, message, sizeof message))
        return error(c, MHD_HTTP_BAD_REQUEST, code, message);
    const char *f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    const char *cr = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "case_rule");
    const char *sc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scope");
    int fmt = route == REPORT_DOCUMENT ? FORMAT_HTML : f ? render_parse_format(f) : FORMAT_JSON;
    int rule = cr ? render_parse_case_rule(cr) : CASE_RULE_FILED;
    int subtree = sc && strcmp(sc, "subtree") == 0;
    char shown[64];
    if (fmt < 0) {
        snprintf(message, sizeof message, "format: \"%s\": use json, csv, md, text or html",
                 utf8_shown(f, shown, sizeof shown));
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_format", message);
    }
    if (rule < 0) {
        snprintf(message, sizeof message, "case_rule: \"%s\": use filed or handled",
                 utf8_shown(cr, shown, sizeof shown));
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_case_rule", message);
    }
    if (sc && !subtree && strcmp(sc, "self") != 0) {
        snprintf(message, sizeof message, "scope: \"%s\": use self or subtree",
                 utf8_shown(sc, shown, sizeof shown));
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_scope", message);
    }
    if (route == REPORT_RELEASES)
        return release_job(c, state, st, agency, year, 0, NULL, JOB_RELEASES);
    if (route == REPORT_DIFF)
        return diff_job(c, state, st, agency, year, rule);
    const char *rel = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "release");
    if (rel && MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "as_of"))
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_as_of",
                     "as_of and release: a release is already the tables of one moment; ask one or the other");
    if (rel) {
        /* A release is kept as its JSON and its document, as released. */
        char *end;
        long n = strtol(rel, &end, 10);
        if (!*rel || *end || n < 1 || n > 1000000000) {
            snprintf(message, sizeof message, "release: \"%s\": a release number from 1",
                     utf8_shown(rel, shown, sizeof shown));
            return error(c, MHD_HTTP_BAD_REQUEST, "bad_release", message);
        }
        if (route == REPORT_CHECK || (route == REPORT_TABLES && fmt != FORMAT_JSON))
            return error(c, MHD_HTTP_BAD_REQUEST, "bad_format",
                         "format: a release is served as it was released: json, or document.html");
        if (subtree || cr)
            return error(c, MHD_HTTP_BAD_REQUEST, subtree ? "bad_scope" : "bad_case_rule",
                         "a release is the agency's own report under the case rule it was released with: "
                         "leave scope and case_rule out");
        return release_job(c, state, st, agency, year, (int)n, route == REPORT_DOCUMENT ? doc_format : NULL,
                           JOB_RELEASE);
    }
    const char *as_of = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "as_of");
    if (as_of) {
        int32_t day;
        if (agg_check_as_of(as_of, &day, code, sizeof code, message, sizeof message))
            return error(c, MHD_HTTP_BAD_REQUEST, code, message);
        if (route != REPORT_TABLES)
            return error(c, MHD_HTTP_BAD_REQUEST, "bad_as_of",
                         "as_of: the tables as of a day are served by /v1/reports/{agency}/{year} "
                         "(a document of a past day is a release: ?release=N)");
        if (subtree)
            return error(c, MHD_HTTP_BAD_REQUEST, "bad_scope",
                         "scope: subtree with as_of is not served by this build: ask each agency");
        return as_of_job(c, state, st, agency, year, day, rule, fmt);
    }
    if (route == REPORT_CHECK)
        return check(st, c, agency, year, rule, subtree);
    if (route == REPORT_DOCUMENT)
        return document_job(st, c, state, agency, year, rule, subtree, doc_format);
    struct buf b = {0};
    render_one(st, agency, year, rule, subtree, fmt, &b);
    return respond(c, MHD_HTTP_OK, render_content_type((enum render_format)fmt), &b);
}

static enum MHD_Result agencies(struct agg *st, struct MHD_Connection *c)
{
    /* Copied under the lock (codes are interned: they live as long as the
     * ledger), rendered after it: a country's 200,000 agencies make some
     * megabytes of JSON, and the feed must not wait for them. */
    pthread_rwlock_rdlock(&st->lock);
    uint32_t n = st->agencies;
    const char **code = xmalloc((n ? n : 1) * sizeof *code);
    int *lo = xmalloc((n ? n : 1) * sizeof *lo), *hi = xmalloc((n ? n : 1) * sizeof *hi);
    for (uint32_t id = 0; id < n; id++) {
        code[id] = ledger_agency_code(st->ledger, id);
        if (!tables_year_range(st->live, id, &lo[id], &hi[id]))
            lo[id] = hi[id] = 0;
    }
    pthread_rwlock_unlock(&st->lock);
    struct buf b = {0};
    buf_puts(&b, "{\"agencies\": [");
    for (uint32_t id = 0; id < n; id++) {
        /* Every agency with an applied event, even one whose events count in
         * no table (say, only lawsuits as the review body): no years then. */
        buf_printf(&b, "%s\n  {\"agency\": ", id ? "," : "");
        buf_json_string(&b, code[id]);
        if (lo[id])
            buf_printf(&b, ", \"first_year\": %d, \"last_year\": %d}", lo[id], hi[id]);
        else
            buf_puts(&b, ", \"first_year\": null, \"last_year\": null}");
    }
    buf_puts(&b, "\n]}\n");
    free(code), free(lo), free(hi);
    return respond(c, MHD_HTTP_OK, "application/json; charset=utf-8", &b);
}

static enum MHD_Result healthz(struct agg *st, struct MHD_Connection *c)
{
    /* Without the lock (atomics, agg.h): a probe answers at once, whatever
     * holds the lock or waits for it. */
    uint64_t applied = __atomic_load_n(&st->applied, __ATOMIC_RELAXED);
    uint64_t head = __atomic_load_n(&st->head, __ATOMIC_RELAXED);
    int64_t last = __atomic_load_n(&st->last_event_us, __ATOMIC_RELAXED);
    struct buf b = {0};
    char ts[40] = "";
    if (last)
        day_format_utc(last, ts, sizeof ts);
    buf_printf(&b,
               "{\"status\": \"ok\", \"applied_seq\": %llu, \"head_seq\": %llu, \"lag\": %llu, "
               "\"last_applied_at\": %s%s%s}\n",
               (unsigned long long)applied, (unsigned long long)head,
               (unsigned long long)(head > applied ? head - applied : 0), last ? "\"" : "",
               last ? ts : "null", last ? "\"" : "");
    return respond(c, MHD_HTTP_OK, "application/json; charset=utf-8", &b);
}

/* Intake's counters from its last heartbeat (see metrics.h for why they
 * come this way). */
static void metrics_intake(struct buf *b, const struct agg *s, int64_t now)
{
    const struct intake_stats *in = &s->intake;
    int up = s->intake_seen_us && now - s->intake_seen_us < 5000000;
    prom_family(b, "gongkai_intake_up", "gauge",
                "1 while intake's heartbeat arrives (the gongkai_intake_* figures are current).");
    prom_u64(b, "gongkai_intake_up", NULL, (uint64_t)up);
    prom_family(b, "gongkai_intake_heartbeat_age_seconds", "gauge",
                "Seconds since intake's last heartbeat reached this aggregator (-1: none yet).");
    prom_f64(b, "gongkai_intake_heartbeat_age_seconds", NULL,
             s->intake_seen_us ? (double)(now - s->intake_seen_us) / 1e6 : -1);
    prom_family(b, "gongkai_intake_restarts_total", "counter",
                "Intake restarts seen in its heartbeats (its counters restart from zero).");
    prom_u64(b, "gongkai_intake_restarts_total", NULL, s->intake_restarts);
    if (!s->intake_seen_us)
        return;
    prom_family(b, "gongkai_intake_start_time_seconds", "gauge",
                "When intake started, Unix time.");
    prom_f64(b, "gongkai_intake_start_time_seconds", NULL, (double)in->started_at_us / 1e6);
    prom_family(b, "gongkai_intake_head_seq", "gauge", "Last sequence number intake committed.");
    prom_u64(b, "gongkai_intake_head_seq", NULL, s->head);
    prom_family(b, "gongkai_intake_events_total", "counter",
                "Events acknowledged by intake, by status.");
    prom_u64(b, "gongkai_intake_events_total", "status=\"accepted\"", in->accepted);
    prom_u64(b, "gongkai_intake_events_total", "status=\"duplicate\"", in->duplicate);
    prom_u64(b, "gongkai_intake_events_total", "status=\"rejected\"", in->rejected);
    prom_family(b, "gongkai_intake_rejections_total", "counter",
                "Events (or whole messages) intake rejected, by code.");
    for (int i = 0; i < in->ncodes; i++) {
        struct buf l = {0};
        prom_label(&l, "code", in->code[i]);
        prom_u64(b, "gongkai_intake_rejections_total", l.data, in->code_count[i]);
        buf_free(&l);
    }
    prom_family(b, "gongkai_intake_messages_total", "counter", "Submit messages intake read.");
    prom_u64(b, "gongkai_intake_messages_total", NULL, in->messages);
    prom_family(b, "gongkai_intake_commit_failures_total", "counter",
                "Intake batch transactions that failed (validated again and retried).");
    prom_u64(b, "gongkai_intake_commit_failures_total", NULL, in->commit_failures);
    prom_family(b, "gongkai_intake_publishers_connected", "gauge",
                "Publisher connections open on intake's ROUTER.");
    prom_u64(b, "gongkai_intake_publishers_connected", NULL, in->publishers);
    prom_histo(b, "gongkai_intake_batch_events", "Events per intake transaction.",
               &in->batch_events);
    prom_histo(b, "gongkai_intake_commit_seconds",
               "Intake batch transaction time, BEGIN to COMMIT returned.", &in->commit_seconds);
}

/* The /metrics body (on a worker: the timeliness gauges count). */
static void metrics_body(struct agg *st, uint32_t top, struct buf *out)
{
    struct agg *s = xmalloc(sizeof *s); /* a consistent copy, rendered outside the lock */
    pthread_rwlock_rdlock(&st->lock);
    memcpy(s, st, offsetof(struct agg, http_requests));
    /* The request counters move without the lock (atomics, agg.h). */
    s->http_requests = __atomic_load_n(&st->http_requests, __ATOMIC_RELAXED);
    s->query_requests = __atomic_load_n(&st->query_requests, __ATOMIC_RELAXED);
    memcpy((char *)s + offsetof(struct agg, batch_events), (const char *)st + offsetof(struct agg, batch_events),
           sizeof *st - offsetof(struct agg, batch_events));
    size_t ents = ledger_entities(st->ledger), bytes = ledger_bytes(st->ledger) + tables_bytes(st->live);
    size_t tl_mem = tl_bytes(st->tl);
    uint32_t nag = st->agencies;
    uint64_t saturated = tables_overflows(st->live);
    pthread_rwlock_unlock(&st->lock);
    struct buf b = {0};
#define G(name, help, type, v) (prom_family(&b, name, type, help), prom_u64(&b, name, NULL, (v)))
    G("gongkai_aggregator_applied_seq", "Last event log sequence number applied.", "gauge", s->applied);
    G("gongkai_aggregator_head_seq", "Highest sequence number intake announced.", "gauge", s->head);
    G("gongkai_aggregator_lag_events", "Events announced but not applied yet.", "gauge",
      s->head > s->applied ? s->head - s->applied : 0);
    G("gongkai_aggregator_events_applied_total", "Events applied since start.", "counter", s->events_applied);
    G("gongkai_aggregator_batches_applied_total", "Transactions applied since start.", "counter", s->batches_applied);
    G("gongkai_aggregator_catchups_total", "Catch-ups from the event log.", "counter", s->catchups);
    G("gongkai_aggregator_feed_gaps_total", "Gaps detected in the feed.", "counter", s->feed_gaps);
    G("gongkai_aggregator_db_failures_total", "Batches whose transaction failed.", "counter", s->db_failures);
    G("gongkai_aggregator_http_requests_total", "HTTP requests served.", "counter", s->http_requests);
    G("gongkai_aggregator_query_requests_total", "ZeroMQ report queries served.", "counter", s->query_requests);
    G("gongkai_aggregator_agencies", "Agencies known.", "gauge", nag);
    uint64_t released, changed;
    releases_count(st, &released, &changed);
    G("gongkai_aggregator_reports_released", "Agency-years with a release (gongkai release), counted at most once a minute.",
      "gauge", released);
    G("gongkai_aggregator_reports_changed_since_release",
      "Of those, the ones whose tables changed since their newest release (a late correction), at most a minute old.",
      "gauge", changed);
    G("gongkai_aggregator_entities", "Entities tracked (applications, documents, ...).", "gauge", ents);
    G("gongkai_aggregator_state_bytes", "Bytes of in-memory state: the ledger and the tables.", "gauge", bytes);
    G("gongkai_aggregator_timeliness_bytes",
      "Bytes of the timeliness store (every application's dates and id, for the open list).", "gauge", tl_mem);
    G("gongkai_aggregator_sums_saturated_total",
      "Metric additions that saturated instead of wrapping (only a log written before the "
      "per agency-year limit can cause one; alert on any).", "counter", saturated);
    G("gongkai_aggregator_http_slow_cut_total",
      "HTTP connections cut because their request headers were not complete in time.", "counter",
      (uint64_t)httpguard_cut(guard));
    G("gongkai_aggregator_http_heavy_busy", "Heavy HTTP requests (open lists, timeliness, /metrics) "
      "waiting for or running on a worker.", "gauge", (uint64_t)workers_busy(heavy));
#undef G
    int64_t now = day_now_us();
    prom_family(&b, "gongkai_aggregator_last_apply_time_seconds", "gauge",
                "When the last batch was applied, Unix time (0: none since start).");
    prom_f64(&b, "gongkai_aggregator_last_apply_time_seconds", NULL, (double)s->last_event_us / 1e6);
    prom_histo(&b, "gongkai_aggregator_batch_events", "Events per applied transaction.",
               &s->batch_events);
    prom_histo(&b, "gongkai_aggregator_commit_seconds",
               "Aggregator transaction time (metrics and cursor), BEGIN to COMMIT.", &s->commit_seconds);
    prom_histo(&b, "gongkai_aggregator_e2e_lag_seconds",
               "End-to-end lag of events that came by the feed: intake read the event, "
               "its counters committed here.",
               &s->e2e_seconds);
    metrics_intake(&b, s, now);
    due_metrics(st, top, &b);
    free(s);
    *out = b;
}

/* ---- heavy requests, answered on a worker (workers.h) ---- */

#define HEAVY_WORKERS 2    /* threads that count; libmicrohttpd's stay free */
#define HEAVY_QUEUE 256    /* heavy requests waiting at most; then 503 */


/* The marker of a request seen once (its headers are in); a heavy one's
 * *state is its struct job instead. */
static int seen;


/* One heavy request: what it asks (copied: the worker runs while the
 * connection is suspended) and, once done, its answer. A PUT's job is made
 * when its headers are in and gathers the body (collecting) before it is
 * submitted. */
struct job {
    struct agg *st;
    enum job_kind kind;
    char agency[128], year[32];
    char *scope, *as_of, *limit, *after, *version, *from, *to;
    uint32_t top;
    int year_n, section, rule, subtree; /* the annual routes (annual.h), checked */
    int release, want_document;         /* ?release=N, of the tables or the document */
    const char *doc_format;             /* the document as "html", "docx" or "pdf" (static) */
    int32_t day;                        /* ?as_of=, a day number */
    int fmt;                            /* enum render_format of an as_of answer */
    int collecting;                     /* a PUT whose body is still arriving */
    int too_large;                      /* ... and it held more than NARRATIVE_MAX */
    struct buf upload;                  /* that body */
    char who[80];                       /* the token's name, for a PUT */
    unsigned status;
    const char *type;
    struct buf body;
    /* Set by the worker (release) once status, type and body are final, read
     * by the handler (acquire) when the connection is resumed. The resume
     * orders them too, but inside libmicrohttpd, where ThreadSanitizer cannot
     * see it; this edge is ours and visible. */
    int answered;
};

static char *copy_arg(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v ? xstrdup(v) : NULL;
}

static void job_free(struct job *j)
{
    free(j->scope), free(j->as_of), free(j->limit), free(j->after), free(j->version), free(j->from), free(j->to);
    buf_free(&j->body);
    buf_free(&j->upload);
    free(j);
}

/* The annual routes' answers (annual.h) into the job. */
static void job_annual(struct job *j)
{
    struct annual_answer a = {0};
    switch (j->kind) {
    case JOB_NARRATIVE:
        annual_narrative_get(j->st, j->agency, j->year_n, j->section, j->version, &a);
        break;
    case JOB_NARRATIVE_PUT:
        annual_narrative_put(j->st, j->agency, j->year_n, j->section, j->upload.data ? j->upload.data : "",
                             j->upload.len, j->who, &a);
        break;
    case JOB_RELEASE:
        annual_release(j->st, j->agency, j->year_n, j->release, j->want_document, &a);
        if (j->want_document)
            annual_convert(&a, j->doc_format);
        break;
    case JOB_RELEASES:
        annual_releases(j->st, j->agency, j->year_n, &a);
        break;
    case JOB_AS_OF:
        annual_as_of(j->st, j->agency, j->year_n, j->day, j->rule, j->fmt, &a);
        break;
    case JOB_DIFF:
        annual_diff(j->st, j->agency, j->year_n, j->from, j->to, j->rule, &a);
        break;
    case JOB_OVERVIEW:
        annual_overview(j->st, j->agency, j->year_n, j->subtree, j->fmt == FORMAT_HTML, &a);
        break;
    default:
        annual_document(j->st, j->agency, j->year_n, j->rule, j->subtree, j->doc_format, &a);
        break;
    }
    j->status = a.status;
    j->type = a.type;
    buf_free(&j->body);
    j->body = a.body;
}

static void job_answer(struct job *j)
{
    char code[32], message[200];
    int rc = 0;
    j->status = MHD_HTTP_OK;
    j->type = "application/json; charset=utf-8";
    switch (j->kind) {
    case JOB_NARRATIVE:
    case JOB_NARRATIVE_PUT:
    case JOB_DOCUMENT:
    case JOB_RELEASE:
    case JOB_RELEASES:
    case JOB_AS_OF:
    case JOB_DIFF:
    case JOB_OVERVIEW:
        job_annual(j);
        return;
    case JOB_METRICS:
        metrics_body(j->st, j->top, &j->body);
        j->type = "text/plain; version=0.0.4; charset=utf-8";
        return;
    case JOB_TIMELINESS:
        rc = due_report(j->st, j->agency, j->year, j->scope, j->as_of, &j->body, code, sizeof code,
                        message, sizeof message);
        break;
    case JOB_OPEN:
        rc = due_open(j->st, j->agency, j->scope, j->as_of, j->limit, j->after, &j->body, code,
                      sizeof code,
                      message, sizeof message);
        break;
    }
    if (rc) {
        buf_reset(&j->body);
        error_body(&j->body, code, message);
        j->status = MHD_HTTP_BAD_REQUEST;
    }
}

static void job_run(void *arg)
{
    struct job *j = arg;
    job_answer(j);
    __atomic_store_n(&j->answered, 1, __ATOMIC_RELEASE);
}

/* Hands j to a worker; the handler is called again, with *state = j, once
 * it is done. 503 at once when the workers are all taken and many wait. */
static enum MHD_Result submit(struct MHD_Connection *c, void **state, struct job *j)
{
    if (workers_submit(heavy, c, job_run, j) != 0) {
        if (*state == j)
            *state = &seen; /* a PUT's job: freed here, not again when the request ends */
        job_free(j);
        return error_with(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
                          "too many heavy requests (open lists, timeliness, /metrics, documents, "
                          "prose) are waiting; retry in a second",
                          "Retry-After", "1");
    }
    *state = j;
    return MHD_YES;
}

static enum MHD_Result metrics(struct agg *st, struct MHD_Connection *c, void **state)
{
    uint32_t top;
    const char *agencies = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "agencies");
    if (due_metrics_agencies(agencies, &top)) {
        char shown[64], msg[160];
        snprintf(msg, sizeof msg, "agencies: \"%s\": a number of agencies, or all",
                 utf8_shown(agencies, shown, sizeof shown));
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_agencies", msg);
    }
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = JOB_METRICS, j->top = top;
    return submit(c, state, j);
}

static enum MHD_Result document_job(struct agg *st, struct MHD_Connection *c, void **state,
                                    const char *agency, int year, int rule, int subtree, const char *format)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = JOB_DOCUMENT, j->year_n = year, j->rule = rule, j->subtree = subtree;
    j->doc_format = format;
    snprintf(j->agency, sizeof j->agency, "%s", agency);
    return submit(c, state, j);
}

static enum MHD_Result release_job(struct MHD_Connection *c, void **state, struct agg *st,
                                   const char *agency, int year, int n, const char *document, enum job_kind kind)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = kind, j->year_n = year, j->release = n, j->want_document = document != NULL;
    j->doc_format = document;
    snprintf(j->agency, sizeof j->agency, "%s", agency);
    return submit(c, state, j);
}

static enum MHD_Result as_of_job(struct MHD_Connection *c, void **state, struct agg *st, const char *agency,
                                 int year, int32_t day, int rule, int fmt)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = JOB_AS_OF, j->year_n = year, j->day = day, j->rule = rule, j->fmt = fmt;
    snprintf(j->agency, sizeof j->agency, "%s", agency);
    return submit(c, state, j);
}

static enum MHD_Result diff_job(struct MHD_Connection *c, void **state, struct agg *st, const char *agency,
                                int year, int rule)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = JOB_DIFF, j->year_n = year, j->rule = rule;
    snprintf(j->agency, sizeof j->agency, "%s", agency);
    j->from = copy_arg(c, "from");
    j->to = copy_arg(c, "to");
    return submit(c, state, j);
}

/* GET /v1/agencies/{agency}/releases?year=Y[&scope=][&format=json|html]. */
static enum MHD_Result overview(struct agg *st, struct MHD_Connection *c, void **state, const char *agency)
{
    char code[32], message[300], shown[64];
    const char *y = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "year");
    const char *sc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scope");
    const char *f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    int year;
    if (!y)
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_year", "year: required (?year=YYYY)");
    if (agg_check_request(agency, y, &year, code, sizeof code, message, sizeof message))
        return error(c, MHD_HTTP_BAD_REQUEST, code, message);
    if (sc && strcmp(sc, "self") != 0 && strcmp(sc, "subtree") != 0) {
        snprintf(message, sizeof message, "scope: \"%s\": use self or subtree", utf8_shown(sc, shown, sizeof shown));
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_scope", message);
    }
    if (f && strcmp(f, "json") != 0 && strcmp(f, "html") != 0) {
        snprintf(message, sizeof message, "format: \"%s\": use json or html", utf8_shown(f, shown, sizeof shown));
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_format", message);
    }
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = JOB_OVERVIEW, j->year_n = year, j->subtree = sc && strcmp(sc, "subtree") == 0;
    j->fmt = f && strcmp(f, "html") == 0 ? FORMAT_HTML : FORMAT_JSON;
    snprintf(j->agency, sizeof j->agency, "%s", agency);
    return submit(c, state, j);
}

/* GET and PUT /v1/reports/{agency}/{year}/narrative/{section}. j: the PUT's
 * job with its body gathered (NULL for a GET). */
static enum MHD_Result narrative(struct agg *st, struct MHD_Connection *c, void **state, const char *agency,
                                 const char *year_text, const char *section_text, struct job *j)
{
    char code[32], message[300];
    int year, section;
    if (agg_check_request(agency, year_text, &year, code, sizeof code, message, sizeof message))
        return error(c, MHD_HTTP_BAD_REQUEST, code, message);
    if (narrative_section_parse(section_text, &section, message, sizeof message))
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_section", message);
    if (j) {
        if (!auth_http.path)
            return error(c, MHD_HTTP_FORBIDDEN, "writes_need_tokens",
                         "PUT needs bearer tokens (GONGKAI_HTTP_TOKENS): each version records "
                         "the token that wrote it");
        if (j->too_large) {
            snprintf(message, sizeof message, "the text is more than the %d bytes a section may hold",
                     NARRATIVE_MAX);
            return error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", message);
        }
        j->year_n = year, j->section = section;
        snprintf(j->agency, sizeof j->agency, "%s", agency);
        return submit(c, state, j);
    }
    j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = JOB_NARRATIVE, j->year_n = year, j->section = section;
    snprintf(j->agency, sizeof j->agency, "%s", agency);
    j->version = copy_arg(c, "version");
    return submit(c, state, j);
}

/* The timeliness routes (due.c): which is which by want_report. */
static enum MHD_Result timeliness(struct agg *st, struct MHD_Connection *c, const char *agency,
                                  const char *year, int want_report, void **state)
{
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    if (fmt && strcmp(fmt, "json") != 0) {
        /* Refused, not silently answered in JSON (issue 23). */
        char shown[64], message[200];
        snprintf(message, sizeof message, "format: \"%s\": these routes answer json only",
                 utf8_shown(fmt, shown, sizeof shown));
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_format", message);
    }
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st;
    j->kind = want_report ? JOB_TIMELINESS : JOB_OPEN;
    snprintf(j->agency, sizeof j->agency, "%s", agency);
    snprintf(j->year, sizeof j->year, "%s", year ? year : "");
    j->scope = copy_arg(c, "scope");
    j->as_of = copy_arg(c, "as_of");
    j->limit = copy_arg(c, "limit");
    j->after = copy_arg(c, "after");
    return submit(c, state, j);
}

/* /v1/reports/{agency}/{year}{rest}: agency and year copied out, *rest
 * pointing at what follows the year ("" when nothing); -1 when the parts do
 * not fit. */
static int report_url(const char *url, char *agency, size_t agency_cap, char *year, size_t year_cap,
                      const char **rest)
{
    const char *p = url + 12, *slash = strchr(p, '/');
    if (!slash)
        return -1;
    const char *r = strchr(slash + 1, '/');
    size_t ylen = r ? (size_t)(r - slash - 1) : strlen(slash + 1);
    if ((size_t)(slash - p) >= agency_cap || ylen >= year_cap)
        return -1;
    snprintf(agency, agency_cap, "%.*s", (int)(slash - p), p);
    snprintf(year, year_cap, "%.*s", (int)ylen, slash + 1);
    *rest = r ? r : "";
    return 0;
}

/* A PUT the server takes: its job, made when the headers are in, gathers the
 * body; NULL for any other (its body is skipped, then it is answered 405). */
static struct job *put_job(struct agg *st, const char *url)
{
    char agency[128], year[32];
    const char *rest;
    if (strncmp(url, "/v1/reports/", 12) != 0 ||
        report_url(url, agency, sizeof agency, year, sizeof year, &rest) ||
        strncmp(rest, "/narrative/", 11) != 0)
        return NULL;
    struct job *j = xcalloc(1, sizeof *j);
    j->st = st, j->kind = JOB_NARRATIVE_PUT, j->collecting = 1;
    return j;
}

/* /v1/reports/{agency}/{year}[/…]: which route, then its function. who: the
 * request's token name; put: a PUT's job, its body gathered (else NULL). */
static enum MHD_Result reports_route(struct agg *st, struct MHD_Connection *c, const char *url,
                                     const char *who, struct job *put, void **state)
{
    char agency[128], year[32];
    const char *rest;
    if (report_url(url, agency, sizeof agency, year, sizeof year, &rest))
        rest = NULL;
    if (rest && strncmp(rest, "/narrative/", 11) == 0) {
        if (put)
            snprintf(put->who, sizeof put->who, "%s", who);
        return narrative(st, c, state, agency, year, rest + 11, put);
    }
    int want_check = rest && strcmp(rest, "/check") == 0;
    int want_timeliness = rest && strcmp(rest, "/timeliness") == 0;
    const char *doc_format = !rest                                  ? NULL
                             : strcmp(rest, "/document.html") == 0 ? "html"
                             : strcmp(rest, "/document.docx") == 0 ? "docx"
                             : strcmp(rest, "/document.pdf") == 0  ? "pdf"
                                                                   : NULL;
    int want_document = doc_format != NULL;
    int want_releases = rest && strcmp(rest, "/releases") == 0;
    int want_diff = rest && strcmp(rest, "/diff") == 0;
    if (!rest ||
        (*rest && !want_check && !want_timeliness && !want_document && !want_releases && !want_diff))
        return error(c, MHD_HTTP_NOT_FOUND, "not_found",
                     "use /v1/reports/{agency}/{year}, /v1/reports/{agency}/{year}/check, "
                     "/v1/reports/{agency}/{year}/timeliness, "
                     "/v1/reports/{agency}/{year}/document.{html,docx,pdf}, "
                     "/v1/reports/{agency}/{year}/releases, "
                     "/v1/reports/{agency}/{year}/diff or "
                     "/v1/reports/{agency}/{year}/narrative/{section}");
    if (want_timeliness)
        return timeliness(st, c, agency, year, 1, state);
    return report(st, c, state, agency, year, doc_format,
                  want_check      ? REPORT_CHECK
                  : want_document ? REPORT_DOCUMENT
                  : want_releases ? REPORT_RELEASES
                  : want_diff     ? REPORT_DIFF
                                  : REPORT_TABLES);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **state)
{
    struct agg *st = cls; /* the state, given to MHD_start_daemon */
    (void)version;
    /* Answer on the call after the last piece of the body (the second call
     * when there is none): a response queued while a body is unread makes
     * libmicrohttpd close the connection, which would drop a request the
     * client pipelined behind it; keep-alive is worth the extra call. */
    struct job *put = NULL;
    if (*state && *state != &seen) {
        struct job *j = *state;
        if (!j->collecting) {
            /* Resumed: the worker has answered (workers.h). */
            int answered = __atomic_load_n(&j->answered, __ATOMIC_ACQUIRE);
            assert(answered);
            (void)answered;
            return respond(c, j->status, j->type, &j->body);
        }
        if (*upload_size) {
            if (j->upload.len + *upload_size > NARRATIVE_MAX)
                j->too_large = 1; /* the rest is skipped; answered 413 at the end */
            else
                buf_append(&j->upload, upload, *upload_size);
            *upload_size = 0;
            return MHD_YES;
        }
        j->collecting = 0;
        put = j;
    } else if (!*state) {
        *state = &seen;
        httpguard_headers_done(c);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
            /* Not worth reading: answered now, and the connection closes. */
            return error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large",
                         "a request body may hold at most 64 KiB (a prose section's most)");
        if (strcmp(method, "PUT") == 0 && (put = put_job(st, url)) != NULL)
            *state = put;
        return MHD_YES;
    } else if (*upload_size) {
        *upload_size = 0; /* a body no route reads: skipped, then answered */
        return MHD_YES;
    }
    __atomic_add_fetch(&st->http_requests, 1, __ATOMIC_RELAXED);
    if (!put && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return error_with(c, MHD_HTTP_METHOD_NOT_ALLOWED, "bad_method",
                          "GET and HEAD are served (and PUT on /v1/reports/{agency}/{year}/narrative/{section})",
                          "Allow", "GET, HEAD");
    char who[80];
    if (strncmp(url, "/v1/", 4) == 0 && !authorised(c, who, sizeof who))
        return error_with(c, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                          "/v1/ needs Authorization: Bearer TOKEN", "WWW-Authenticate",
                          "Bearer realm=\"gongkai\"");
    if (strncmp(url, "/v1/reports/", 12) == 0)
        return reports_route(st, c, url, who, put, state);
    if (strncmp(url, "/v1/agencies/", 13) == 0) {
        char agency[128];
        const char *p = url + 13, *slash = strchr(p, '/');
        if (!slash || (strcmp(slash, "/open") != 0 && strcmp(slash, "/releases") != 0) ||
            (size_t)(slash - p) >= sizeof agency)
            return error(c, MHD_HTTP_NOT_FOUND, "not_found",
                         "use /v1/agencies/{agency}/open or /v1/agencies/{agency}/releases?year=Y");
        snprintf(agency, sizeof agency, "%.*s", (int)(slash - p), p);
        if (strcmp(slash, "/releases") == 0)
            return overview(st, c, state, agency);
        return timeliness(st, c, agency, NULL, 0, state);
    }
    if (strcmp(url, "/v1/agencies") == 0)
        return agencies(st, c);
    if (strcmp(url, "/healthz") == 0)
        return healthz(st, c);
    if (strcmp(url, "/metrics") == 0)
        return metrics(st, c, state);
    if (strcmp(url, "/") == 0) {
        struct buf b = {0};
        buf_puts(&b, page_html);
        return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
    }
    return error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such route");
}

static void request_done(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)toe;
    if (*state && *state != &seen)
        job_free(*state);
    httpguard_request_done(c);
}

/* Connections the process may hold: its descriptor limit raised to the hard
 * limit (or 65536), less room for PostgreSQL, ZeroMQ and files. */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 256;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t n = rl.rlim_cur > 512 ? rl.rlim_cur - 256 : rl.rlim_cur / 2;
    return n > HTTP_CONNECTIONS ? HTTP_CONNECTIONS : (unsigned)n;
}

struct MHD_Daemon *http_start(struct agg *st, const char *hostport, const char *tokens_path)
{
    if (tokens_path) {
        char err[400];
        auth_http.cur = tokens_load(tokens_path, err, sizeof err);
        if (!auth_http.cur) {
            log_error("HTTP tokens refused", "error=\"%s\"", err);
            return NULL;
        }
        auth_http.path = xstrdup(tokens_path);
    }
    char err[300];
    struct addrinfo *ai = net_resolve(hostport, 1, err, sizeof err);
    if (!ai) {
        log_error("GONGKAI_HTTP must be host:port", "http=%s error=\"%s\"", hostport, err);
        return NULL;
    }
    /* epoll, not select: select stops at FD_SETSIZE (1024) descriptors, and
     * that many slow clients used to starve every other request. One address
     * may hold HTTP_PER_ADDRESS connections; a silent one is closed after
     * HTTP_IDLE_S; a request's headers must be complete within
     * HTTP_HEADER_DEADLINE_S however slowly they trickle (slowloris). */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (!(guard = httpguard_new(HTTP_HEADER_DEADLINE_S))) {
        freeaddrinfo(ai);
        return NULL;
    }
    if (!(heavy = workers_new(HEAVY_WORKERS, HEAVY_QUEUE))) {
        freeaddrinfo(ai);
        httpguard_destroy(&guard);
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, st, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_S,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_ADDRESS,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
        MHD_OPTION_NOTIFY_CONNECTION, httpguard_connection, guard,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d) {
        log_error("cannot start HTTP", "http=%s", hostport);
        workers_destroy(&heavy);
        httpguard_destroy(&guard);
    }
    return d;
}

void http_stop(struct MHD_Daemon *d)
{
    /* The workers first: they answer what is queued and resume every
     * suspended connection, which libmicrohttpd needs before it stops. */
    workers_destroy(&heavy);
    if (d)
        MHD_stop_daemon(d);
    httpguard_destroy(&guard);
    tokens_free(auth_http.cur);
    auth_http.cur = NULL;
    free(auth_http.path);
    auth_http.path = NULL;
}
