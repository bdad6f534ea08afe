/* db — the libpq helpers every process shares.
 *
 * Connections are plain PGconn*; the caller owns them (PQfinish). Errors are
 * logged here with the server's message and SQLSTATE, so callers only decide
 * what to do, told apart by db_failure(): DB_RETRY (the connection is gone,
 * or the server said "try again": reset with backoff and retry) or DB_FATAL
 * (the same statement would fail the same way: log, stop, never loop).
 */
#ifndef GK_DB_H
#define GK_DB_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* What a failed statement means for a retry loop. */
enum db_rc { DB_OK = 0, DB_RETRY = -1, DB_FATAL = -2 };

/* Connects; NULL (logged) on failure. */
PGconn *db_connect(const char *conninfo, const char *application_name);
/* After a statement failed (r its result, may be NULL): logs PostgreSQL's
 * message with its SQLSTATE and `what` was being done, and classifies it.
 * DB_RETRY when the connection is gone or the SQLSTATE's class is transient:
 * 08 connection exception, 40 transaction rollback (serialization, deadlock),
 * 53 insufficient resources (disk full, too many connections), 57 operator
 * intervention (shutdown, cancel), 58 system error (I/O). Anything else is
 * DB_FATAL: a constraint, a bad value, a missing table. */
enum db_rc db_failure(PGconn *c, const PGresult *r, const char *what);
/* The SQLSTATE class test alone (5 characters, or NULL: unknown → retry). */
int db_sqlstate_transient(const char *sqlstate);
/* Runs a statement without results: DB_OK, or DB_RETRY / DB_FATAL (logged). */
int db_exec(PGconn *c, const char *sql);
/* BEGIN and one statement (n text parameters) in a single round trip
 * (libpq's pipeline mode), the transaction left open: the caller sends
 * COMMIT or ROLLBACK after looking at the result, so a process that dies
 * before it does commits nothing. Returns the result to look at (the
 * caller PQclears it): BEGIN's when BEGIN failed, else the statement's; NULL
 * when the connection broke (db_alive then says so). */
PGresult *db_begin_exec(PGconn *c, const char *sql, int n, const char *const *params);
/* 1 while the connection is usable. */
int db_alive(PGconn *c);
/* Appends s as a field of COPY ... (FORMAT text). */
void db_copy_text(struct buf *b, const char *s, size_t n);
/* Appends bytes as a bytea field of COPY text format (\\x hex). */
void db_copy_bytea(struct buf *b, const void *p, size_t n);
/* Sends a COPY ... FROM STDIN statement and its data: DB_OK, DB_RETRY or
 * DB_FATAL (logged). */
int db_copy_in(PGconn *c, const char *sql, const struct buf *data);

/* COPY ... (FORMAT binary): rows built with these, sent by db_copy_in_binary
 * (which adds the header and trailer). No escaping, no hex, no number or
 * timestamp parsing on the server: the cheapest way into a table. */
void db_bin_row(struct buf *b, int ncols);
void db_bin_int8(struct buf *b, int64_t v);
void db_bin_bytes(struct buf *b, const void *p, size_t n);   /* text, bytea */
void db_bin_jsonb(struct buf *b, const char *json, size_t n); /* JSON text */
void db_bin_null(struct buf *b);
/* timestamptz from microseconds since the Unix epoch. */
void db_bin_timestamptz(struct buf *b, int64_t unix_us);
int db_copy_in_binary(PGconn *c, const char *sql, const struct buf *rows);
/* Sleeps for the n-th step of a capped exponential backoff (100 ms … 2 s). */
void db_backoff(int attempt);
/* How long that step is, in ms, for a caller that waits its own way. */
long db_backoff_ms(int attempt);
/* Big-endian 64-bit integer of a binary-format result field. */
int64_t db_int8(const char *p);

#endif
