/* releases — the newest release of each agency-year (see releases.h). */
#include "releases.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "hash.h"
#include "map.h"
#include "day.h"
#include "render.h"
#include "tables.h"

#define NS_RELEASE 0x52454c /* key namespace of key128_of: "REL" */

struct releases {
    struct map *by_key; /* key128_of(NS_RELEASE, year, agency) → struct release_mark */
    long long last_id;  /* report_release.id read up to */
    /* releases_count's answer and until when it stands; its own mutex (any
     * thread), never held with st->lock's write side. */
    pthread_mutex_t count_mu;
    int64_t count_until_us;
    uint64_t count_released, count_changed;
};

struct releases *releases_new(void)
{
    struct releases *r = xcalloc(1, sizeof *r);
    r->by_key = map_new(sizeof(struct release_mark));
    pthread_mutex_init(&r->count_mu, NULL);
    return r;
}

void releases_destroy(struct releases **pr)
{
    struct releases *r = *pr;
    if (!r)
        return;
    map_destroy(&r->by_key);
    pthread_mutex_destroy(&r->count_mu);
    free(r);
    *pr = NULL;
}

int releases_refresh(struct agg *st, PGconn *c)
{
    struct releases *r = st->releases;
    char after[24];
    snprintf(after, sizeof after, "%lld", r->last_id);
    const char *p[] = {after};
    PGresult *res = PQexecParams(c,
                                 "SELECT id, agency, year, release, case_rule, tables_sha256"
                                 " FROM report_release WHERE id > $1::bigint ORDER BY id",
                                 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return -1;
    }
    int n = PQntuples(res);
    if (n) {
        /* Rows in id order: a later release of the same agency-year replaces
         * an earlier one. The map is written under the write lock only. */
        pthread_rwlock_wrlock(&st->lock);
        for (int i = 0; i < n; i++) {
            int year = atoi(PQgetvalue(res, i, 2));
            struct release_mark *m =
                map_put(r->by_key, key128_of(NS_RELEASE, (uint32_t)year, PQgetvalue(res, i, 1)), NULL);
            snprintf(m->agency, sizeof m->agency, "%s", PQgetvalue(res, i, 1));
            m->year = year;
            m->release = atoi(PQgetvalue(res, i, 3));
            m->case_rule = strcmp(PQgetvalue(res, i, 4), "handled") == 0 ? CASE_RULE_HANDLED : CASE_RULE_FILED;
            snprintf(m->tables_sha256, sizeof m->tables_sha256, "%s", PQgetvalue(res, i, 5));
        }
        r->last_id = strtoll(PQgetvalue(res, n - 1, 0), NULL, 10);
        pthread_rwlock_unlock(&st->lock);
    }
    PQclear(res);
    return 0;
}

int releases_find(const struct releases *r, const char *agency, int year, struct release_mark *m)
{
    if (!r)
        return 0;
    const struct release_mark *v = map_get(r->by_key, key128_of(NS_RELEASE, (uint32_t)year, agency));
    if (!v)
        return 0;
    *m = *v;
    return 1;
}

void releases_count(struct agg *st, uint64_t *released, uint64_t *changed)
{
    struct releases *rs = st->releases; /* set before threads, never replaced */
    pthread_mutex_lock(&rs->count_mu);
    if (day_mono_us() >= rs->count_until_us) {
        /* The marks copied under the lock, the tables compared after it. */
        pthread_rwlock_rdlock(&st->lock);
        size_t n = map_count(rs->by_key), k = 0;
        struct release_mark *marks = xmalloc((n ? n : 1) * sizeof *marks);
        struct key128 key;
        const struct release_mark *m;
        for (size_t i = 0; k < n && (m = map_next(rs->by_key, &i, &key)) != NULL;)
            marks[k++] = *m;
        pthread_rwlock_unlock(&st->lock);
        uint64_t ch = 0;
        for (size_t i = 0; i < k; i++) {
            struct report r;
            char live[SHA256_HEX_LEN + 1];
            agg_report(st, marks[i].agency, marks[i].year, (enum case_rule)marks[i].case_rule, 0, &r, NULL, 0,
                       NULL);
            render_tables_sha256(&r, live);
            ch += strcmp(live, marks[i].tables_sha256) != 0;
        }
        free(marks);
        rs->count_released = k, rs->count_changed = ch;
        rs->count_until_us = day_mono_us() + (int64_t)RELEASES_COUNT_TTL_S * 1000000;
    }
    *released = rs->count_released, *changed = rs->count_changed;
    pthread_mutex_unlock(&rs->count_mu);
}
