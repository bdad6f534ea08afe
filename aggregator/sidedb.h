/* sidedb — the aggregator's second PostgreSQL connection, for the cold HTTP
 * routes that read or write the database: the report's prose sections and
 * the whole document (annual.c). The counting thread's connection
 * (follow.c) is never lent out: a dashboard's request must not hold up
 * counting, nor counting a dashboard.
 *
 * Threads: the heavy workers (workers.h) call sidedb_acquire /
 * sidedb_release; one holder at a time (a mutex). The connection is made on
 * first use and made again after it broke. While PostgreSQL cannot be
 * reached, acquire fails at once for SIDEDB_RETRY_MS after a failed
 * attempt, so requests are answered 503 instead of waiting behind connect
 * timeouts; the outage and its end are logged once each.
 */
#ifndef GK_SIDEDB_H
#define GK_SIDEDB_H

#include <libpq-fe.h>

#define SIDEDB_RETRY_MS 2000

struct sidedb;

/* conninfo is copied. Nothing connects yet. */
struct sidedb *sidedb_new(const char *conninfo);
/* Closes the connection; *ps set to NULL. No holder may remain. */
void sidedb_destroy(struct sidedb **ps);
/* The connection, held until sidedb_release; NULL (released already) when
 * the database cannot be reached now. */
PGconn *sidedb_acquire(struct sidedb *s);
/* Gives it back; failed (a db_failure() of DB_RETRY, or any doubt about the
 * connection) drops it so the next acquire connects afresh. */
void sidedb_release(struct sidedb *s, int failed);

#endif
