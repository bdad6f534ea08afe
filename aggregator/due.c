/* due — the aggregator's timeliness outputs (spec/timeliness.md): the open
 * list, the year's timeliness report, the overdue gauges of /metrics, and
 * the working-day calendar they are counted in, read from PostgreSQL.
 *
 * Everything is computed at request time, so a calendar loaded a second ago
 * and the event applied a millisecond ago both show in the next answer; but
 * not under the lock: under it a request only copies the applications it
 * covers (tl_copy: a walk and a copy) and takes the calendar in use, then
 * unlocks and computes due dates on the copy. Counting working days is the
 * expensive part (seconds for a few hundred thousand applications), and the
 * feed must never wait for it (issue 24). A calendar replaced by a newer one
 * is kept until exit (st->retired), as a request may still be counting in it. "Today" is the Beijing date;
 * ?as_of=YYYY-MM-DD asks for the state at the end of an earlier day (events
 * dated later are left out), which is also what makes answers reproducible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "serve.h"
#include "alloc.h"
#include "calendar.h"
#include "day.h"
#include "log.h"
#include "registry.h"
#include "timeliness.h"
#include "utf8.h"

/* ---- the calendar ------------------------------------------------------ */

int due_calendar_refresh(struct agg *st, PGconn *c)
{
    PGresult *res = PQexec(c, "SELECT version FROM calendar_version WHERE id = 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    int64_t version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (st->calendar_version == version)
        return 0;
    res = PQexec(c, "SELECT day, kind FROM calendar_day ORDER BY day");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return -1;
    }
    /* Through the same loader as a CSV file, so the table gets the same
     * checks (a weekday marked work is refused, not silently ignored). */
    struct buf csv = {0};
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++)
        buf_printf(&csv, "%s,%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    struct calendar *cal = calendar_new();
    char err[300] = "";
    calendar_set_count_makeup_days(cal, st->count_makeup_days);
    if (rows > 0 && calendar_load_csv(cal, csv.data, err, sizeof err)) {
        log_error("calendar_day refused; keeping the calendar in use", "version=%lld error=\"%s\"",
                  (long long)version, err);
        calendar_destroy(&cal);
        buf_free(&csv);
        /* Not again every second: the next change of the table is the
         * next chance. */
        pthread_rwlock_wrlock(&st->lock);
        st->calendar_version = version;
        pthread_rwlock_unlock(&st->lock);
        return -1;
    }
    buf_free(&csv);
    pthread_rwlock_wrlock(&st->lock);
    if (st->calendar) {
        st->retired = xrealloc(st->retired, (st->nretired + 1) * sizeof *st->retired);
        st->retired[st->nretired++] = st->calendar;
    }
    st->calendar = cal;
    st->calendar_version = version;
    pthread_rwlock_unlock(&st->lock);
    log_info("calendar loaded", "rows=%d last_year=%d count_makeup_days=%d version=%lld", rows,
             calendar_last_year(cal), (int)st->count_makeup_days, (long long)version);
    return 0;
}

/* ---- requests ---------------------------------------------------------- */

/* Where a heavy read counts, off the lock: GONGKAI_DEBUG_READ_DELAY_MS
 * makes it last as long as a country's worth of counting would, so a test
 * can tell that the feed does not wait for it (test_agg_readers.py). */
static void counting(const struct agg *st)
{
    if (st->debug_read_delay_ms > 0)
        nanosleep(&(struct timespec){st->debug_read_delay_ms / 1000,
                                     (long)(st->debug_read_delay_ms % 1000) * 1000000L},
                  NULL);
}

/* ?as_of= (default today in Beijing) and ?scope=. */
static int parse_params(const char *scope, const char *as_of, int *subtree, int32_t *day,
                        char *code, size_t code_cap, char *message, size_t message_cap)
{
    *subtree = scope && strcmp(scope, "subtree") == 0;
    if (scope && !*subtree && strcmp(scope, "self") != 0) {
        snprintf(code, code_cap, "bad_scope");
        char shown[64];
        snprintf(message, message_cap, "scope: \"%s\": use self or subtree",
                 utf8_shown(scope, shown, sizeof shown));
        return -1;
    }
    if (!as_of) {
        *day = day_beijing(day_now_us());
        return 0;
    }
    return agg_check_as_of(as_of, day, code, code_cap, message, message_cap);
}

/* The agencies a request covers, as a want[] over ledger ids. Call under the
 * read lock; free the array. An agency with no events wants nothing. */
static struct tl_scope scope_of(struct agg *st, const char *agency, int subtree)
{
    uint32_t n = ledger_agency_count(st->ledger);
    bool *want = xcalloc(n ? n : 1, sizeof *want);
    const char **codes = NULL;
    size_t k = 1;
    if (subtree)
        k = registry_subtree(st->registry, agency, &codes);
    for (size_t i = 0; i < k; i++) {
        uint32_t id;
        if (ledger_agency_find(st->ledger, codes ? codes[i] : agency, &id) == 0)
            want[id] = true;
    }
    free(codes);
    return (struct tl_scope){want, n};
}

static void json_date(struct buf *b, int32_t day)
{
    char d[CAL_DATE_LEN];
    if (day == CAL_DAY_NONE)
        buf_puts(b, "null");
    else
        buf_printf(b, "\"%s\"", cal_format_date(day, d));
}

static void head(struct agg *st, struct buf *b, const char *agency, int subtree)
{
    const char *name = registry_name(st->registry, agency);
    buf_puts(b, "{\"agency\": ");
    buf_json_string(b, agency);
    buf_puts(b, ", \"name\": ");
    if (name)
        buf_json_string(b, name);
    else
        buf_puts(b, "null");
    buf_printf(b, ", \"scope\": \"%s\", \"count_makeup_days\": %s, \"calendar_last_year\": %d",
               subtree ? "subtree" : "self", st->count_makeup_days ? "true" : "false",
               st->calendar ? calendar_last_year(st->calendar) : 0);
}

/* One open application as a JSON object; agency is its agency's code. */
static void open_json(struct buf *b, const struct tl_open *o, const char *agency)
{
    buf_puts(b, "{\"application_id\": ");
    buf_json_string(b, o->id);
    buf_puts(b, ", \"agency\": ");
    buf_json_string(b, agency);
    buf_printf(b, ", \"applicant\": \"%s\", \"received\": ",
               o->applicant > 0 && o->applicant < N_APPLICANT ? ev_applicant_names[o->applicant]
                                                             : "");
    json_date(b, o->received);
    buf_printf(b, ", \"state\": \"%s\", \"due\": ", dl_state_name(o->state));
    json_date(b, o->due);
    buf_puts(b, ", \"working_days_left\": ");
    if (o->due == CAL_DAY_NONE)
        buf_puts(b, "null");
    else
        buf_printf(b, "%d", o->left);
    buf_printf(b,
               ", \"overdue\": %s, \"provisional\": %s, \"working_days_used\": %d, "
               "\"limit\": %d}",
               o->overdue ? "true" : "false", o->provisional ? "true" : "false", o->elapsed,
               o->limit);
}

/* The cursor of a page's last application, for ?after=: its place in the
 * order of tl_open_list — due day ("-" for none), receipt day, agency id,
 * then the application id (last: it may hold any character) — so the next
 * page starts right after it even if it has been answered since. */
static void cursor_of(struct buf *b, const struct tl_open *o)
{
    char c[EV_ID_MAX + 64];
    if (o->due == CAL_DAY_NONE)
        snprintf(c, sizeof c, "-.%ld.%lu.%s", (long)o->received, (unsigned long)o->agency, o->id);
    else
        snprintf(c, sizeof c, "%ld.%ld.%lu.%s", (long)o->due, (long)o->received,
                 (unsigned long)o->agency, o->id);
    buf_json_string(b, c);
}

static int cursor_parse(const char *s, struct tl_open *o)
{
    memset(o, 0, sizeof *o);
    char *end;
    if (s[0] == '-' && s[1] == '.') {
        o->due = CAL_DAY_NONE;
        end = (char *)s + 1;
    } else {
        long due = strtol(s, &end, 10);
        if (end == s || *end != '.' || due < 0 || due > INT32_MAX - 1)
            return -1;
        o->due = (int32_t)due;
    }
    const char *p = end + 1;
    long rec = strtol(p, &end, 10);
    if (end == p || *end != '.' || rec < 0 || rec > INT32_MAX - 1)
        return -1;
    o->received = (int32_t)rec;
    p = end + 1;
    unsigned long ag = strtoul(p, &end, 10);
    if (end == p || *end != '.' || ag > UINT32_MAX || *p == '-')
        return -1;
    o->agency = (uint32_t)ag;
    p = end + 1;
    if (strlen(p) > EV_ID_MAX)
        return -1;
    snprintf(o->id, sizeof o->id, "%s", p);
    return 0;
}

int due_open(struct agg *st, const char *agency, const char *scope, const char *as_of, const char *limit_text,
             const char *after_text, struct buf *out, char *code, size_t code_cap, char *message,
             size_t message_cap)
{
    struct tl_open after;
    if (after_text && cursor_parse(after_text, &after) != 0) {
        char b[256];
        snprintf(code, code_cap, "bad_after");
        snprintf(message, message_cap, "after: \"%s\": not the \"next\" of a previous page",
                 ev_show(after_text, b, sizeof b));
        return -1;
    }
    int subtree, year;
    int32_t day;
    if (agg_check_request(agency, "2000", &year, code, code_cap, message, message_cap) ||
        parse_params(scope, as_of, &subtree, &day, code, code_cap, message, message_cap))
        return -1;
    size_t limit = OPEN_LIST_DEFAULT;
    if (limit_text) {
        char *end;
        unsigned long long l = strtoull(limit_text, &end, 10);
        if (!*limit_text || *end || *limit_text < '0' || *limit_text > '9' || l < 1 ||
            l > OPEN_LIST_MAX) {
            char b[256];
            snprintf(code, code_cap, "bad_limit");
            snprintf(message, message_cap, "limit: \"%s\": a number of applications, 1-%d",
                     ev_show(limit_text, b, sizeof b), OPEN_LIST_MAX);
            return -1;
        }
        limit = (size_t)l;
    }
    struct tl_open *v = NULL;
    size_t n, bad_timelines = 0;
    pthread_rwlock_rdlock(&st->lock);
    struct tl_scope sc = scope_of(st, agency, subtree);
    struct tl *copy = tl_copy(st->tl, sc, day + 1, day);
    const struct calendar *cal = st->calendar;
    head(st, out, agency, subtree);
    pthread_rwlock_unlock(&st->lock);
    free((void *)sc.want);
    counting(st);
    n = tl_open_list(copy, cal, (struct tl_scope){NULL, 0}, day, &v, &bad_timelines);
    tl_destroy(&copy);
    /* The page: from just after the cursor (binary search: v is in that
     * order), at most limit. */
    size_t first = 0;
    if (after_text) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (tl_open_cmp(&v[mid], &after) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        first = lo;
    }
    size_t shown = n - first < limit ? n - first : limit;
    /* The codes of the listed applications' agencies: interned strings,
     * which live as long as the ledger; looked up under the lock again,
     * at most limit of them. */
    const char **codes = xmalloc((shown ? shown : 1) * sizeof *codes);
    pthread_rwlock_rdlock(&st->lock);
    for (size_t i = 0; i < shown; i++)
        codes[i] = ledger_agency_code(st->ledger, v[first + i].agency);
    pthread_rwlock_unlock(&st->lock);
    buf_puts(out, ", \"as_of\": ");
    json_date(out, day);
    size_t overdue = 0;
    for (size_t i = 0; i < n; i++)
        overdue += v[i].overdue;
    buf_printf(out, ", \"open\": %zu, \"overdue\": %zu, \"inconsistent\": %zu, \"listed\": %zu, ",
               n, overdue, bad_timelines, shown);
    buf_puts(out, "\"next\": ");
    if (first + shown < n)
        cursor_of(out, &v[first + shown - 1]);
    else
        buf_puts(out, "null");
    buf_puts(out, ", \"applications\": [");
    for (size_t i = 0; i < shown; i++) {
        buf_puts(out, i ? ",\n  " : "\n  ");
        open_json(out, &v[first + i], codes[i]);
    }
    buf_puts(out, shown ? "\n]}\n" : "]}\n");
    free(codes);
    free(v);
    return 0;
}

int due_report(struct agg *st, const char *agency, const char *year_text, const char *scope, const char *as_of,
               struct buf *out, char *code, size_t code_cap, char *message, size_t message_cap)
{
    int subtree, year;
    int32_t day;
    if (agg_check_request(agency, year_text, &year, code, code_cap, message, message_cap) ||
        parse_params(scope, as_of, &subtree, &day, code, code_cap, message, message_cap))
        return -1;
    struct tl_year *s = xmalloc(sizeof *s);
    int32_t first = day_from_ymd(year, 1, 1), last = day_from_ymd(year, 12, 31);
    pthread_rwlock_rdlock(&st->lock);
    struct tl_scope sc = scope_of(st, agency, subtree);
    struct tl *copy = tl_copy(st->tl, sc, first, day < last ? day : last);
    const struct calendar *cal = st->calendar;
    head(st, out, agency, subtree);
    pthread_rwlock_unlock(&st->lock);
    free((void *)sc.want);
    counting(st);
    tl_year_stats(copy, cal, (struct tl_scope){NULL, 0}, year, day, s);
    tl_destroy(&copy);
    buf_printf(out, ", \"year\": %d, \"as_of\": ", year);
    json_date(out, day);
    buf_puts(out, ", \"cut_off\": ");
    json_date(out, s->cutoff);
    /* Final once the cut-off is the year's last day; before, the figures
     * are the year so far. */
    buf_printf(out, ", \"final\": %s,\n",
               s->cutoff != CAL_DAY_NONE && s->cutoff == day_from_ymd(year, 12, 31) ? "true"
                                                                                    : "false");
    buf_printf(out,
               " \"answered\": {\"total\": %llu, \"on_the_spot\": %llu, \"on_time\": %llu, "
               "\"late\": %llu},\n",
               (unsigned long long)s->answered, (unsigned long long)s->on_the_spot,
               (unsigned long long)s->on_time, (unsigned long long)s->late);
    if (s->answered)
        buf_printf(out,
                   " \"working_days_to_answer\": {\"median\": %.1f, \"mean\": %.2f, \"max\": %d},\n",
                   s->median_days, s->mean_days, s->max_days);
    else
        buf_puts(out,
                 " \"working_days_to_answer\": {\"median\": null, \"mean\": null, \"max\": null},\n");
    buf_printf(out,
               " \"extensions\": {\"applications\": %llu, \"working_days\": %llu},\n"
               " \"supplements\": {\"requested\": %llu, \"late_notices\": %llu},\n"
               " \"consultations\": {\"applications\": %llu, \"consultations\": %llu},\n"
               " \"at_cut_off\": {\"open\": %llu, \"overdue\": %llu, \"oldest_open\": [",
               (unsigned long long)s->extended, (unsigned long long)s->extension_days,
               (unsigned long long)s->supplement_requested, (unsigned long long)s->supplement_late,
               (unsigned long long)s->consulted, (unsigned long long)s->consultations,
               (unsigned long long)s->open, (unsigned long long)s->overdue);
    const char *codes[TL_OLDEST];
    pthread_rwlock_rdlock(&st->lock);
    for (size_t i = 0; i < s->noldest; i++)
        codes[i] = ledger_agency_code(st->ledger, s->oldest[i].agency);
    pthread_rwlock_unlock(&st->lock);
    for (size_t i = 0; i < s->noldest; i++) {
        buf_puts(out, i ? ",\n  " : "\n  ");
        open_json(out, &s->oldest[i], codes[i]);
    }
    buf_printf(out, "%s]},\n \"inconsistent\": %llu}\n", s->noldest ? "\n " : "",
               (unsigned long long)s->inconsistent);
    free(s);
    return 0;
}

/* Agencies by overdue, then open, then id (a total order, so the series
 * a scrape shows do not flicker between equal agencies). */
struct agency_count {
    uint32_t id;
    uint64_t open, overdue;
};

static int count_cmp(const void *pa, const void *pb)
{
    const struct agency_count *a = pa, *b = pb;
    if (a->overdue != b->overdue)
        return a->overdue > b->overdue ? -1 : 1;
    if (a->open != b->open)
        return a->open > b->open ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

int due_metrics_agencies(const char *text, uint32_t *n)
{
    if (!text) {
        *n = METRICS_AGENCIES_DEFAULT;
        return 0;
    }
    if (strcmp(text, "all") == 0) {
        *n = UINT32_MAX;
        return 0;
    }
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || *text < '0' || *text > '9' || v > UINT32_MAX - 1)
        return -1;
    *n = (uint32_t)v;
    return 0;
}

/* The per-agency open and overdue counts of today, into open/overdue
 * (arrays of *n, the caller frees). Reused for ten times as long as they took
 * to count (st->due_cache): a small state is counted afresh for every scrape,
 * while a country's (a copy of a million applications under the lock, then
 * seconds of counting) is counted at most every so often, however many
 * clients scrape, so scrapes cannot keep the lock busy. */
static void open_counts(struct agg *st, int32_t today, uint32_t *n, uint64_t **open,
                        uint64_t **overdue, int *last_year)
{
    struct due_cache *dc = st->due_cache;
    pthread_mutex_lock(&dc->mu);
    int64_t t0 = day_mono_us();
    pthread_rwlock_rdlock(&st->lock);
    int fresh = dc->open && t0 < dc->until_us && dc->day == today &&
                dc->calendar_version == st->calendar_version;
    struct tl *copy = fresh ? NULL : tl_copy(st->tl, (struct tl_scope){NULL, 0}, today + 1, today);
    uint32_t known = st->agencies;
    const struct calendar *cal = st->calendar;
    int64_t version = st->calendar_version;
    *last_year = cal ? calendar_last_year(cal) : 0;
    pthread_rwlock_unlock(&st->lock);
    if (!fresh) {
        counting(st);
        free(dc->open), free(dc->overdue);
        dc->n = known;
        dc->open = xcalloc(known ? known : 1, sizeof *dc->open);
        dc->overdue = xcalloc(known ? known : 1, sizeof *dc->overdue);
        tl_open_counts(copy, cal, today, known, dc->open, dc->overdue);
        tl_destroy(&copy);
        dc->day = today;
        dc->calendar_version = version;
        dc->until_us = day_mono_us() + 10 * (day_mono_us() - t0);
    }
    /* Agencies newer than the counts have none counted yet. */
    *n = known > dc->n ? known : dc->n;
    *open = xcalloc(*n ? *n : 1, sizeof **open);
    *overdue = xcalloc(*n ? *n : 1, sizeof **overdue);
    memcpy(*open, dc->open, dc->n * sizeof **open);
    memcpy(*overdue, dc->overdue, dc->n * sizeof **overdue);
    pthread_mutex_unlock(&dc->mu);
}

void due_metrics(struct agg *st, uint32_t top, struct buf *out)
{
    int32_t today = day_beijing(day_now_us());
    uint32_t n;
    uint64_t *open, *overdue;
    int last_year;
    open_counts(st, today, &n, &open, &overdue, &last_year);
    uint64_t all_open = 0, all_overdue = 0;
    struct agency_count *v = xmalloc((n ? n : 1) * sizeof *v);
    for (uint32_t i = 0; i < n; i++) {
        v[i] = (struct agency_count){i, open[i], overdue[i]};
        all_open += open[i], all_overdue += overdue[i];
    }
    free(open);
    free(overdue);
    uint32_t shown = n < top ? n : top;
    if (shown < n)
        qsort(v, n, sizeof *v, count_cmp);
    const char **codes = xmalloc((shown ? shown : 1) * sizeof *codes);
    pthread_rwlock_rdlock(&st->lock);
    for (uint32_t i = 0; i < shown; i++)
        codes[i] = ledger_agency_code(st->ledger, v[i].id);
    pthread_rwlock_unlock(&st->lock);
    buf_printf(out,
               "# HELP gongkai_aggregator_open_applications_all Applications open today (Beijing), all agencies.\n"
               "# TYPE gongkai_aggregator_open_applications_all gauge\n"
               "gongkai_aggregator_open_applications_all %llu\n"
               "# HELP gongkai_aggregator_overdue_applications_all Open applications past their legal "
               "due date today (Beijing), all agencies.\n"
               "# TYPE gongkai_aggregator_overdue_applications_all gauge\n"
               "gongkai_aggregator_overdue_applications_all %llu\n",
               (unsigned long long)all_open, (unsigned long long)all_overdue);
    buf_printf(out,
               "# HELP gongkai_aggregator_open_applications Applications open today (Beijing), per agency "
               "(the %u agencies with most overdue; ?agencies=N|all).\n"
               "# TYPE gongkai_aggregator_open_applications gauge\n", shown);
    for (uint32_t i = 0; i < shown; i++)
        buf_printf(out, "gongkai_aggregator_open_applications{agency=\"%s\"} %llu\n", codes[i],
                   (unsigned long long)v[i].open);
    buf_printf(out,
               "# HELP gongkai_aggregator_overdue_applications Open applications past their legal "
               "due date today (Beijing), per agency (the same %u agencies).\n"
               "# TYPE gongkai_aggregator_overdue_applications gauge\n", shown);
    for (uint32_t i = 0; i < shown; i++)
        buf_printf(out, "gongkai_aggregator_overdue_applications{agency=\"%s\"} %llu\n", codes[i],
                   (unsigned long long)v[i].overdue);
    buf_printf(out,
               "# HELP gongkai_aggregator_calendar_last_year Newest holiday notice year loaded.\n"
               "# TYPE gongkai_aggregator_calendar_last_year gauge\n"
               "gongkai_aggregator_calendar_last_year %d\n",
               last_year);
    free(codes);
    free(v);
}
