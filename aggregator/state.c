/* state — the aggregator's one state object and what reads it whole (see
 * st->h for the lock rule). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "day.h"
#include "event.h"
#include "registry.h"
#include "releases.h"
#include "render.h"
#include "utf8.h"

void agg_init(struct agg *st)
{
    memset(st, 0, sizeof *st);
    /* Writers first: with the default (readers first) a steady stream of
     * HTTP readers could keep the feed from ever taking the write lock. */
    pthread_rwlockattr_t la;
    pthread_rwlockattr_init(&la);
    pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&st->lock, &la);
    pthread_rwlockattr_destroy(&la);
    st->due_cache = xcalloc(1, sizeof *st->due_cache);
    pthread_mutex_init(&st->due_cache->mu, NULL);
}

void agg_report(struct agg *st, const char *agency, int year, enum case_rule rule, int subtree, struct report *r,
                char *name, size_t name_cap, uint64_t *applied)
{
    pthread_rwlock_rdlock(&st->lock);
    const char **codes = NULL;
    size_t n = 1;
    if (subtree)
        n = registry_subtree(st->registry, agency, &codes);
    for (size_t i = 0; i < n; i++) {
        const char *code = codes ? codes[i] : agency;
        uint32_t id;
        if (ledger_agency_find(st->ledger, code, &id))
            id = UINT32_MAX;
        struct report part;
        tables_report(st->live, id, agency, year, rule, i ? &part : r);
        if (i)
            report_add(r, &part);
    }
    free(codes);
    if (name) {
        const char *nm = registry_name(st->registry, agency);
        snprintf(name, name_cap, "%s", nm ? nm : "");
    }
    if (applied)
        *applied = st->applied;
    pthread_rwlock_unlock(&st->lock);
}

void agg_render(struct agg *st, const char *agency, int year, enum case_rule rule, int subtree, int fmt,
                int64_t now_us, struct buf *out, uint64_t *applied)
{
    struct report r;
    char name[256];
    agg_report(st, agency, year, rule, subtree, &r, name, sizeof name, applied);
    render_report(&r, *name ? name : NULL, (enum render_format)fmt, now_us, out);
    if (fmt != FORMAT_JSON || subtree)
        return;
    struct release_mark m;
    pthread_rwlock_rdlock(&st->lock);
    int released = releases_find(st->releases, agency, year, &m);
    pthread_rwlock_unlock(&st->lock);
    if (!released)
        return;
    /* The release froze section 四 under one case rule: the tables are
     * compared under that one, whatever this request asked. */
    if ((int)rule != m.case_rule)
        agg_report(st, agency, year, (enum case_rule)m.case_rule, 0, &r, NULL, 0, NULL);
    char live[SHA256_HEX_LEN + 1];
    render_tables_sha256(&r, live);
    render_json_release(out, m.release, strcmp(live, m.tables_sha256) != 0);
}

int agg_check_request(const char *agency, const char *year_text, int *year, char *code,
                      size_t code_cap, char *message, size_t message_cap)
{
    struct ev e = {0};
    struct ev_error err;
    snprintf(e.agency, sizeof e.agency, "%s", agency);
    int ok = ev_agency_valid(agency);
    if (!ok) {
        snprintf(code, code_cap, "bad_agency");
        char shown[120];
        snprintf(message, message_cap, "agency: \"%s\" does not match " EV_AGENCY_PATTERN,
                 utf8_shown(agency, shown, sizeof shown));
        return -1;
    }
    (void)err;
    /* Four digits, nothing else: no sign, space or padding ("+2019",
     * " 2019" and "02019" are not years, issue 23). */
    long y = -1;
    if (strlen(year_text) == 4 && strspn(year_text, "0123456789") == 4 && year_text[0] != '0')
        y = strtol(year_text, NULL, 10);
    if (y < YEAR_MIN || y > YEAR_MAX) {
        char shown[40];
        snprintf(code, code_cap, "bad_year");
        snprintf(message, message_cap, "year: \"%s\" is not a year in %d-%d",
                 utf8_shown(year_text, shown, sizeof shown), YEAR_MIN, YEAR_MAX);
        return -1;
    }
    *year = (int)y;
    return 0;
}


int agg_check_as_of(const char *as_of, int32_t *day, char *code, size_t code_cap, char *message,
                    size_t message_cap)
{
    int32_t d;
    int y, m, dd;
    char shown[64];
    utf8_shown(as_of, shown, sizeof shown);
    if (day_parse_date(as_of, &d) != 0) {
        snprintf(code, code_cap, "bad_as_of");
        snprintf(message, message_cap, "as_of: \"%s\" is not a date YYYY-MM-DD", shown);
        return -1;
    }
    day_to_ymd(d, &y, &m, &dd);
    if (y < YEAR_MIN || y > YEAR_MAX) {
        snprintf(code, code_cap, "bad_as_of");
        snprintf(message, message_cap, "as_of: \"%s\" is outside the years %d-%d", shown, YEAR_MIN,
                 YEAR_MAX);
        return -1;
    }
    *day = d;
    return 0;
}
