/* db — the libpq helpers every process shares.
 *
 * Connections are plain PGconn*; the caller owns them (PQfinish). Errors are
 * logged here with the server's message, so callers only decide what to do:
 * a failed statement on a live connection is a bug or bad data; a dead
 * connection (db_alive false) is reset by the caller with backoff.
 */
#ifndef GK_DB_H
#define GK_DB_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Connects; NULL (logged) on failure. */
PGconn *db_connect(const char *conninfo, const char *application_name);
/* Runs a statement without results; 0 or -1 (logged). */
int db_exec(PGconn *c, const char *sql);
/* 1 while the connection is usable. */
int db_alive(PGconn *c);
/* Appends s as a field of COPY ... (FORMAT text). */
void db_copy_text(struct buf *b, const char *s, size_t n);
/* Appends bytes as a bytea field of COPY text format (\\x hex). */
void db_copy_bytea(struct buf *b, const void *p, size_t n);
/* Sends a COPY ... FROM STDIN statement and its data; 0 or -1 (logged). */
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
/* Big-endian 64-bit integer of a binary-format result field. */
int64_t db_int8(const char *p);

#endif
