/* registry — names and hierarchy of agencies (see registry.h). */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "day.h"
#include "log.h"

/* Entries sorted by code (strcmp), so a code is found by binary search; the
 * children of each entry are a run of `kids` (CSR), so a subtree is walked
 * in time proportional to its size. Building is O(n log n): a country's
 * 200,000 agencies load in a fraction of a second (the first version
 * searched linearly for every parent: 49 s at 100,000). */
struct entry {
    char *code, *name;   /* owned */
    long parent;         /* index into e, -1 for a root or an unknown parent */
    size_t first_kid;    /* its children: kids[first_kid .. first_kid + nkids) */
    size_t nkids;
};

struct registry {
    struct entry *e;
    size_t n;
    long *kids;
    int64_t version;
};

void registry_destroy(struct registry **pr)
{
    struct registry *r = *pr;
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->e[i].code), free(r->e[i].name);
    free(r->e);
    free(r->kids);
    free(r);
    *pr = NULL;
}

static long find(const struct registry *r, const char *code)
{
    if (!r)
        return -1;
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->e[mid].code, code);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *registry_name(const struct registry *r, const char *code)
{
    long i = find(r, code);
    return i < 0 ? NULL : r->e[i].name;
}

size_t registry_subtree(const struct registry *r, const char *code, const char ***out)
{
    size_t n = 0, cap = 8;
    const char **v = xmalloc(cap * sizeof *v);
    v[n++] = code;
    long root = find(r, code);
    if (root >= 0) {
        /* Breadth first over the children runs; v doubles as the queue (of
         * codes), idx as the queue of indices. The registry refuses cycles;
         * a visited entry is never queued twice all the same (n <= r->n). */
        long *idx = xmalloc((r->n + 1) * sizeof *idx);
        size_t head = 0, tail = 0;
        idx[tail++] = root;
        while (head < tail) {
            const struct entry *p = &r->e[idx[head++]];
            for (size_t k = 0; k < p->nkids && tail <= r->n; k++) {
                long c = r->kids[p->first_kid + k];
                if (c == root)
                    continue;
                idx[tail++] = c;
                if (n == cap)
                    v = xrealloc(v, (cap *= 2) * sizeof *v);
                v[n++] = r->e[c].code;
            }
        }
        free(idx);
    }
    *out = v;
    return n;
}

struct row {
    char *code, *name;
    const char *parent; /* borrowed from the result */
};

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->code, ((const struct row *)b)->code);
}

/* A registry from the rows of `SELECT code, name, parent`. */
static struct registry *build(PGresult *res, int64_t version)
{
    struct registry *r = xcalloc(1, sizeof *r);
    r->version = version;
    r->n = (size_t)PQntuples(res);
    struct row *rows = xcalloc(r->n ? r->n : 1, sizeof *rows);
    for (size_t i = 0; i < r->n; i++)
        rows[i] = (struct row){xstrdup(PQgetvalue(res, (int)i, 0)),
                               xstrdup(PQgetvalue(res, (int)i, 1)), PQgetvalue(res, (int)i, 2)};
    /* strcmp order, whatever the database's collation sorts by. */
    qsort(rows, r->n, sizeof *rows, row_cmp);
    r->e = xcalloc(r->n ? r->n : 1, sizeof *r->e);
    for (size_t i = 0; i < r->n; i++)
        r->e[i] = (struct entry){rows[i].code, rows[i].name, -1, 0, 0};
    for (size_t i = 0; i < r->n; i++) {
        long p = find(r, rows[i].parent);
        r->e[i].parent = p == (long)i ? -1 : p;
        if (r->e[i].parent >= 0)
            r->e[r->e[i].parent].nkids++;
    }
    free(rows);
    size_t at = 0;
    for (size_t i = 0; i < r->n; i++) {
        r->e[i].first_kid = at;
        at += r->e[i].nkids;
        r->e[i].nkids = 0;
    }
    r->kids = xmalloc((at ? at : 1) * sizeof *r->kids);
    for (size_t i = 0; i < r->n; i++) {
        long p = r->e[i].parent;
        if (p >= 0)
            r->kids[r->e[p].first_kid + r->e[p].nkids++] = (long)i;
    }
    return r;
}

int registry_refresh(struct agg *st, PGconn *c)
{
    PGresult *res = PQexec(c, "SELECT version FROM agency_version WHERE id = 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    int64_t version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (st->registry && st->registry->version == version)
        return 0;
    res = PQexec(c, "SELECT code, name, coalesce(parent, '') FROM agency");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return -1;
    }
    int64_t t0 = day_mono_us();
    struct registry *r = build(res, version);
    PQclear(res);
    pthread_rwlock_wrlock(&st->lock);
    struct registry *old = st->registry;
    st->registry = r;
    pthread_rwlock_unlock(&st->lock);
    registry_destroy(&old);
    log_info("agency registry loaded", "agencies=%zu version=%lld build_ms=%.1f", r->n,
             (long long)version, (double)(day_mono_us() - t0) / 1000);
    return 0;
}
