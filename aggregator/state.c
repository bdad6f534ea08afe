/* state — the aggregator's one state object and what reads it whole (see
 * st->h for the lock rule). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "event.h"
#include "registry.h"
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

