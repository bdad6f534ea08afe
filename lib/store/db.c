/* db — libpq helpers (see db.h). */
#include "db.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

PGconn *db_connect(const char *conninfo, const char *application_name)
{
    const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *vals[] = {conninfo, application_name, "5", NULL};
    /* expand_dbname: conninfo may be "key=value ..." or a postgresql:// URI. */
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        msg[strcspn(msg, "\n")] = '\0';
        char q[600];
        log_warn("database connection failed", "error=\"%s\"", log_q(msg, q, sizeof q));
        PQfinish(c);
        return NULL;
    }
    return c;
}

int db_sqlstate_transient(const char *s)
{
    if (!s || strlen(s) != 5)
        return 1; /* no SQLSTATE: libpq's own failure, i.e. the connection */
    static const char *const transient[] = {"08", "40", "53", "57", "58"};
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        if (strncmp(s, transient[i], 2) == 0)
            return 1;
    return 0;
}

/* One line of a server message: the first line, quotes made harmless. */
static void one_line(char *out, size_t cap, const char *msg)
{
    snprintf(out, cap, "%s", msg ? msg : "");
    out[strcspn(out, "\n")] = '\0';
    for (char *p = out; *p; p++)
        if (*p == '"')
            *p = '\'';
}

enum db_rc db_failure(PGconn *c, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char msg[512];
    one_line(msg, sizeof msg, r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r)
                                                             : PQerrorMessage(c));
    enum db_rc rc = !db_alive(c) || db_sqlstate_transient(state) ? DB_RETRY : DB_FATAL;
    if (rc == DB_RETRY)
        log_warn("database statement failed; will retry", "what=\"%s\" sqlstate=%s error=\"%s\"",
                 what, state ? state : "-", msg);
    else
        log_error("database refused a statement; retrying cannot help",
                  "what=\"%s\" sqlstate=%s error=\"%s\"", what, state, msg);
    return rc;
}

int db_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = DB_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char what[80];
        snprintf(what, sizeof what, "%.60s", sql);
        rc = db_failure(c, r, what);
    }
    PQclear(r);
    return rc;
}

/* A connection left with results unread cannot be used as it is: break it,
 * so that the caller's reconnect makes a clean one (db_alive says 0). */
static void reset_broken(PGconn *c)
{
    log_warn("database connection not idle around a pipeline; resetting it", "error=\"%s\"",
             PQerrorMessage(c));
    shutdown(PQsocket(c), SHUT_RDWR);
    PQconsumeInput(c);
}

PGresult *db_begin_exec(PGconn *c, const char *sql, int n, const char *const *params)
{
    if (!PQenterPipelineMode(c)) {
        reset_broken(c); /* not idle: results of something else left unread */
        return NULL;
    }
    PGresult *out = NULL;
    if (PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
        PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0) && PQpipelineSync(c)) {
        /* Each query's results end with a NULL; then the sync point. A
         * broken connection ends it early. */
        int query = 0;
        while (db_alive(c)) {
            PGresult *r = PQgetResult(c);
            if (!r) {
                if (++query > 2)
                    break; /* no sync point after both queries: reset below */
                continue;
            }
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                break;
            }
            /* Keep BEGIN's result if it failed, else the statement's. */
            int begin_failed = out && query == 1 && PQresultStatus(out) != PGRES_COMMAND_OK;
            if (query <= 1 && !begin_failed) {
                PQclear(out);
                out = r;
            } else {
                PQclear(r);
            }
        }
    }
    if (db_alive(c) && !PQexitPipelineMode(c))
        reset_broken(c);
    if (!db_alive(c)) {
        PQclear(out);
        return NULL;
    }
    return out;
}

int db_alive(PGconn *c)
{
    return c && PQstatus(c) == CONNECTION_OK;
}

void db_copy_text(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n + 8);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        default: buf_putc(b, c);
        }
    }
}

void db_copy_bytea(struct buf *b, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = p;
    buf_reserve(b, 3 + 2 * n);
    /* "\\x" in COPY text is the bytea hex input "\x". */
    buf_append(b, "\\\\x", 3);
    char *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = hex[s[i] >> 4];
        o[2 * i + 1] = hex[s[i] & 15];
    }
    b->len += 2 * n;
    b->data[b->len] = '\0';
}

/* One COPY ... FROM STDIN: sends the pieces in order, then ends it and reads
 * every result. 0, or -1 (logged). */
static int copy_pieces(PGconn *c, const char *sql, const char *const *piece, const size_t *len,
                       int n)
{
    char what[80];
    snprintf(what, sizeof what, "%.60s", sql);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        int rc = db_failure(c, r, what);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    for (int i = 0; i < n; i++)
        if (len[i] && PQputCopyData(c, piece[i], (int)len[i]) != 1) {
            PQputCopyEnd(c, "send failed");
            while ((r = PQgetResult(c)))
                PQclear(r);
            return db_failure(c, NULL, what); /* sending failed: the connection */
        }
    if (PQputCopyEnd(c, NULL) != 1)
        return db_failure(c, NULL, what);
    int rc = DB_OK;
    while ((r = PQgetResult(c))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == DB_OK)
            rc = db_failure(c, r, what);
        PQclear(r);
    }
    return rc;
}

int db_copy_in(PGconn *c, const char *sql, const struct buf *data)
{
    const char *piece[] = {data->data};
    size_t len[] = {data->len};
    return copy_pieces(c, sql, piece, len, 1);
}

static void put_be(struct buf *b, uint64_t v, int bytes)
{
    char o[8];
    for (int i = 0; i < bytes; i++)
        o[i] = (char)(v >> (8 * (bytes - 1 - i)));
    buf_append(b, o, (size_t)bytes);
}

void db_bin_row(struct buf *b, int ncols)
{
    put_be(b, (uint64_t)ncols, 2);
}

void db_bin_int8(struct buf *b, int64_t v)
{
    put_be(b, 8, 4);
    put_be(b, (uint64_t)v, 8);
}

void db_bin_bytes(struct buf *b, const void *p, size_t n)
{
    put_be(b, n, 4);
    buf_append(b, p, n);
}

void db_bin_jsonb(struct buf *b, const char *json, size_t n)
{
    put_be(b, n + 1, 4);
    buf_putc(b, 1); /* jsonb binary input: version 1, then the text */
    buf_append(b, json, n);
}

void db_bin_null(struct buf *b)
{
    put_be(b, 0xffffffffu, 4);
}

void db_bin_timestamptz(struct buf *b, int64_t unix_us)
{
    /* PostgreSQL counts microseconds from 2000-01-01 00:00 UTC. */
    db_bin_int8(b, unix_us - 946684800LL * 1000000);
}

int db_copy_in_binary(PGconn *c, const char *sql, const struct buf *rows)
{
    static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    static const char trailer[2] = {'\377', '\377'};
    const char *piece[] = {header, rows->data, trailer};
    size_t len[] = {sizeof header, rows->len, sizeof trailer};
    return copy_pieces(c, sql, piece, len, 3);
}

/* Capped at 2 s: a connection attempt is cheap for the server, and every
 * second waited after PostgreSQL is back is a second publishers are held. */
#define BACKOFF_MAX_MS 2000

long db_backoff_ms(int attempt)
{
    long ms = 100;
    for (int i = 0; i < attempt && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms;
}

void db_backoff(int attempt)
{
    long ms = db_backoff_ms(attempt);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int64_t db_int8(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | u[i];
    return (int64_t)v;
}
