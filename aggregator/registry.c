/* registry — names and hierarchy of agencies (see registry.h). */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "log.h"

struct entry {
    char *code, *name; /* owned */
    long parent;       /* index into entries, -1 for a root or an unknown parent */
};

struct registry {
    struct entry *e;
    size_t n;
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
    free(r);
    *pr = NULL;
}

static long find(const struct registry *r, const char *code)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (strcmp(r->e[i].code, code) == 0)
            return (long)i;
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
    for (size_t i = 0; root >= 0 && i < r->n; i++) {
        if ((long)i == root)
            continue;
        /* Walk up from i; the registry refuses cycles, the bound is belt and braces. */
        long p = r->e[i].parent;
        for (size_t depth = 0; p >= 0 && p != root && depth < r->n; depth++)
            p = r->e[p].parent;
        if (p == root) {
            if (n == cap)
                v = xrealloc(v, (cap *= 2) * sizeof *v);
            v[n++] = r->e[i].code;
        }
    }
    *out = v;
    return n;
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
    res = PQexec(c, "SELECT code, name, coalesce(parent, '') FROM agency ORDER BY code");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return -1;
    }
    struct registry *r = xcalloc(1, sizeof *r);
    r->version = version;
    r->n = (size_t)PQntuples(res);
    r->e = xcalloc(r->n ? r->n : 1, sizeof *r->e);
    for (size_t i = 0; i < r->n; i++) {
        r->e[i].code = xstrdup(PQgetvalue(res, (int)i, 0));
        r->e[i].name = xstrdup(PQgetvalue(res, (int)i, 1));
    }
    for (size_t i = 0; i < r->n; i++)
        r->e[i].parent = find(r, PQgetvalue(res, (int)i, 2));
    PQclear(res);
    pthread_rwlock_wrlock(&st->lock);
    struct registry *old = st->registry;
    st->registry = r;
    pthread_rwlock_unlock(&st->lock);
    registry_destroy(&old);
    log_info("agency registry loaded", "agencies=%zu version=%lld", r->n, (long long)version);
    return 0;
}
