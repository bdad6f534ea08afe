/* logwrite — event_log rows as COPY binary (see logwrite.h). */
#include "logwrite.h"

#include <string.h>

#include "db.h"
#include "hash.h"

uint64_t logwrite_digest(const void *body, size_t blen)
{
    return hash64(body, blen, 0);
}

void logwrite_row(struct buf *rows, uint64_t seq, const struct ev *e, uint64_t digest,
                  const void *body, size_t blen, const char *peer, const char *identity)
{
    char json[4096];
    size_t jlen = ev_to_json(e, json, sizeof json); /* strlen: a valid event fits */
    const char *type = ev_type_names[e->type];
    db_bin_row(rows, 10);
    db_bin_int8(rows, (int64_t)seq);
    db_bin_bytes(rows, e->event_id, strlen(e->event_id));
    db_bin_bytes(rows, type, strlen(type));
    db_bin_bytes(rows, e->agency, strlen(e->agency));
    db_bin_timestamptz(rows, e->occurred_us);
    db_bin_int8(rows, (int64_t)digest);
    db_bin_bytes(rows, body, blen);
    db_bin_jsonb(rows, json, jlen);
    db_bin_bytes(rows, peer, strlen(peer));
    if (identity[0])
        db_bin_bytes(rows, identity, strlen(identity));
    else
        db_bin_null(rows);
}
