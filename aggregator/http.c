/* http — the aggregator's HTTP interface (libmicrohttpd, its own threads).
 *
 *   GET /v1/reports/{agency}/{year}[?format=json|csv|md|text][&case_rule=filed|handled]
 *   GET /v1/agencies    GET /healthz    GET /metrics    GET /
 *
 * Handlers copy what they need under agg's read lock and render outside it.
 * Bad input is a 400 with {"error": CODE, "message": TEXT}.
 */
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agg.h"
#include "buf.h"
#include "day.h"
#include "log.h"
#include "page.h"
#include "render.h"
#include "reportcheck.h"

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

static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *code,
                             const char *message)
{
    struct buf b = {0};
    buf_puts(&b, "{\"error\": ");
    buf_json_string(&b, code);
    buf_puts(&b, ", \"message\": ");
    buf_json_string(&b, message);
    buf_puts(&b, "}\n");
    return respond(c, status, "application/json; charset=utf-8", &b);
}

/* Renders (agency, year) with the request's scope and case rule into out. */
static void render_one(const char *agency, int year, int rule, int subtree, int fmt,
                       struct buf *out)
{
    struct report r;
    char name[256];
    agg_report(agency, year, (enum case_rule)rule, subtree, &r, name, sizeof name, NULL);
    render_report(&r, *name ? name : NULL, (enum render_format)fmt, day_now_us(), out);
}

/* The report's own checks (lib/reportcheck.c) on the live tables of year and
 * year-1: always clean by construction, so this is a self-test in production. */
static enum MHD_Result check(struct MHD_Connection *c, const char *agency, int year, int rule,
                             int subtree)
{
    struct buf prev = {0}, cur = {0}, b = {0};
    if (year > YEAR_MIN)
        render_one(agency, year - 1, rule, subtree, FORMAT_JSON, &prev);
    render_one(agency, year, rule, subtree, FORMAT_JSON, &cur);
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

static enum MHD_Result report(struct MHD_Connection *c, const char *agency, const char *year_text,
                              int want_check)
{
    char code[32], message[200];
    int year;
    if (agg_check_request(agency, year_text, &year, code, sizeof code, message, sizeof message))
        return error(c, MHD_HTTP_BAD_REQUEST, code, message);
    const char *f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    const char *cr = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "case_rule");
    const char *sc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scope");
    int fmt = f ? render_parse_format(f) : FORMAT_JSON;
    int rule = cr ? render_parse_case_rule(cr) : CASE_RULE_FILED;
    int subtree = sc && strcmp(sc, "subtree") == 0;
    if (fmt < 0) {
        snprintf(message, sizeof message, "format: \"%.40s\": use json, csv, md or text", f);
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_format", message);
    }
    if (rule < 0) {
        snprintf(message, sizeof message, "case_rule: \"%.40s\": use filed or handled", cr);
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_case_rule", message);
    }
    if (sc && !subtree && strcmp(sc, "self") != 0) {
        snprintf(message, sizeof message, "scope: \"%.40s\": use self or subtree", sc);
        return error(c, MHD_HTTP_BAD_REQUEST, "bad_scope", message);
    }
    if (want_check)
        return check(c, agency, year, rule, subtree);
    struct buf b = {0};
    render_one(agency, year, rule, subtree, fmt, &b);
    return respond(c, MHD_HTTP_OK, render_content_type((enum render_format)fmt), &b);
}

static enum MHD_Result agencies(struct MHD_Connection *c)
{
    struct buf b = {0};
    buf_puts(&b, "{\"agencies\": [");
    pthread_rwlock_rdlock(&agg.lock);
    int first = 1;
    for (uint32_t id = 0; id < ledger_agency_count(agg.ledger); id++) {
        int lo, hi;
        if (!tables_year_range(agg.live, id, &lo, &hi))
            continue;
        buf_printf(&b, "%s\n  {\"agency\": ", first ? "" : ",");
        buf_json_string(&b, ledger_agency_code(agg.ledger, id));
        buf_printf(&b, ", \"first_year\": %d, \"last_year\": %d}", lo, hi);
        first = 0;
    }
    pthread_rwlock_unlock(&agg.lock);
    buf_puts(&b, "\n]}\n");
    return respond(c, MHD_HTTP_OK, "application/json; charset=utf-8", &b);
}

static enum MHD_Result healthz(struct MHD_Connection *c)
{
    pthread_rwlock_rdlock(&agg.lock);
    uint64_t applied = agg.applied, head = agg.head;
    int64_t last = agg.last_event_us;
    pthread_rwlock_unlock(&agg.lock);
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

static enum MHD_Result metrics(struct MHD_Connection *c)
{
    pthread_rwlock_rdlock(&agg.lock);
    struct agg s = agg;
    size_t ents = ledger_entities(agg.ledger), bytes = ledger_bytes(agg.ledger) + tables_bytes(agg.live);
    uint32_t nag = ledger_agency_count(agg.ledger);
    pthread_rwlock_unlock(&agg.lock);
    struct buf b = {0};
#define G(name, help, type, v)                                                                 \
    buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,        \
               (unsigned long long)(v))
    G("gongkai_aggregator_applied_seq", "Last event log sequence number applied.", "gauge", s.applied);
    G("gongkai_aggregator_head_seq", "Highest sequence number intake announced.", "gauge", s.head);
    G("gongkai_aggregator_lag_events", "Events announced but not applied yet.", "gauge",
      s.head > s.applied ? s.head - s.applied : 0);
    G("gongkai_aggregator_events_applied_total", "Events applied since start.", "counter", s.events_applied);
    G("gongkai_aggregator_batches_applied_total", "Transactions applied since start.", "counter", s.batches_applied);
    G("gongkai_aggregator_catchups_total", "Catch-ups from the event log.", "counter", s.catchups);
    G("gongkai_aggregator_feed_gaps_total", "Gaps detected in the feed.", "counter", s.feed_gaps);
    G("gongkai_aggregator_db_failures_total", "Batches whose transaction failed.", "counter", s.db_failures);
    G("gongkai_aggregator_http_requests_total", "HTTP requests served.", "counter", s.http_requests);
    G("gongkai_aggregator_query_requests_total", "ZeroMQ report queries served.", "counter", s.query_requests);
    G("gongkai_aggregator_agencies", "Agencies known.", "gauge", nag);
    G("gongkai_aggregator_entities", "Entities tracked (applications, documents, ...).", "gauge", ents);
    G("gongkai_aggregator_state_bytes", "Bytes of in-memory state.", "gauge", bytes);
#undef G
    return respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **state)
{
    (void)cls, (void)version, (void)upload, (void)upload_size;
    /* Answer on the second call: a response queued on the first (headers
     * only) makes libmicrohttpd close the connection (it cannot know there
     * is no body to skip), and keep-alive is worth more than the extra call. */
    static int seen;
    if (!*state) {
        *state = &seen;
        return MHD_YES;
    }
    __atomic_add_fetch(&agg.http_requests, 1, __ATOMIC_RELAXED);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "bad_method", "only GET is served");
    if (strncmp(url, "/v1/reports/", 12) == 0) {
        char agency[128], year[32];
        const char *p = url + 12, *slash = strchr(p, '/');
        const char *rest = slash ? strchr(slash + 1, '/') : NULL;
        int want_check = rest && strcmp(rest, "/check") == 0;
        size_t ylen = slash ? (rest ? (size_t)(rest - slash - 1) : strlen(slash + 1)) : 0;
        if (!slash || (size_t)(slash - p) >= sizeof agency || ylen >= sizeof year ||
            (rest && !want_check))
            return error(c, MHD_HTTP_NOT_FOUND, "not_found",
                         "use /v1/reports/{agency}/{year} or /v1/reports/{agency}/{year}/check");
        snprintf(agency, sizeof agency, "%.*s", (int)(slash - p), p);
        snprintf(year, sizeof year, "%.*s", (int)ylen, slash + 1);
        return report(c, agency, year, want_check);
    }
    if (strcmp(url, "/v1/agencies") == 0)
        return agencies(c);
    if (strcmp(url, "/healthz") == 0)
        return healthz(c);
    if (strcmp(url, "/metrics") == 0)
        return metrics(c);
    if (strcmp(url, "/") == 0) {
        struct buf b = {0};
        buf_puts(&b, page_html);
        return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
    }
    return error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such route");
}

struct MHD_Daemon *http_start(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        log_error("GONGKAI_HTTP must be host:port", "http=%s", hostport);
        return NULL;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    if (host[0] == '[') { /* [::1]:7180 */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(*host ? host : NULL, colon + 1, &hints, &ai)) {
        log_error("cannot resolve the HTTP address", "http=%s", hostport);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d)
        log_error("cannot start HTTP", "http=%s", hostport);
    return d;
}

void http_stop(struct MHD_Daemon *d)
{
    if (d)
        MHD_stop_daemon(d);
}
