/* stored — an agency's annual report as the aggregator last committed it,
 * read from PostgreSQL in one snapshot: the tables (agg_metric at
 * agg_cursor's applied_seq, folded by lib/rules/tables.c as the aggregator
 * folds them), the registered name, and the newest prose sections (sql/010).
 * What `gongkai document` renders, with nothing but GONGKAI_DB: the same
 * page as GET /v1/reports/{agency}/{year}/document.html once the aggregator
 * has committed what it applied.
 *
 * The caller owns the connection; one thread.
 */
#ifndef GK_STORED_H
#define GK_STORED_H

#include <libpq-fe.h>
#include <stdint.h>

#include "narrative.h"
#include "tables.h"

struct stored {
    struct report r;
    char name[256];               /* registered name, or "" */
    uint64_t seq;                 /* the applied seq the tables are at */
    struct narrative prose[3];    /* sections 1, 5, 6 */
};

/* Reads (agency, year); with subtree, the tables summed over the agency and
 * its registered descendants (the prose and name are the agency's own).
 * 0, or -1 with err (the database's message). out is cleared first; free
 * with stored_clear. */
int stored_read(PGconn *c, const char *agency, int year, enum case_rule rule, int subtree,
                struct stored *out, char *err, size_t err_cap);
void stored_clear(struct stored *s);

#endif
