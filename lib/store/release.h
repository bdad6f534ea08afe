/* release — reading a frozen annual report back (sql/011): its document or
 * its tables JSON, byte for byte as released. Shared by `gongkai document
 * --release N` and the aggregator's ?release=N routes.
 *
 * The caller owns the connection and uses it from one thread at a time.
 */
#ifndef GK_RELEASE_H
#define GK_RELEASE_H

#include <libpq-fe.h>

#include "buf.h"

/* Appends release n of (agency, year) to out: the document (document != 0)
 * or the tables JSON. DB_OK; 1 when there is no such release; DB_RETRY /
 * DB_FATAL (db.h; logged). */
int release_read(PGconn *c, const char *agency, int year, int n, int document, struct buf *out);

#endif
