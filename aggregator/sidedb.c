/* sidedb — the aggregator's second connection (see sidedb.h). */
#include "sidedb.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

#include "alloc.h"
#include "day.h"
#include "db.h"
#include "log.h"

struct sidedb {
    char *conninfo;
    pthread_mutex_t mu; /* held from acquire to release */
    PGconn *conn;       /* NULL: not connected */
    int64_t failed_at_ms; /* monotonic time of the last failed connect; 0: none */
    int away;           /* an outage was logged and has not ended */
};

struct sidedb *sidedb_new(const char *conninfo)
{
    assert(conninfo);
    struct sidedb *s = xcalloc(1, sizeof *s);
    s->conninfo = xstrdup(conninfo);
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void sidedb_destroy(struct sidedb **ps)
{
    assert(ps);
    struct sidedb *s = *ps;
    if (!s)
        return;
    if (s->conn)
        PQfinish(s->conn);
    pthread_mutex_destroy(&s->mu);
    free(s->conninfo);
    free(s);
    *ps = NULL;
}

PGconn *sidedb_acquire(struct sidedb *s)
{
    assert(s);
    pthread_mutex_lock(&s->mu);
    if (s->conn && PQstatus(s->conn) != CONNECTION_OK) {
        PQfinish(s->conn);
        s->conn = NULL;
    }
    if (!s->conn) {
        int64_t now = day_mono_us() / 1000;
        if (s->failed_at_ms && now - s->failed_at_ms < SIDEDB_RETRY_MS) {
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        s->conn = db_connect(s->conninfo, "gongkai-aggregator-http"); /* logs a failure */
        if (!s->conn) {
            s->failed_at_ms = now ? now : 1;
            if (!s->away)
                log_error("the database cannot be reached for the prose and document routes; "
                          "they answer 503 until it can",
                          "retry_ms=%d", SIDEDB_RETRY_MS);
            s->away = 1;
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        s->failed_at_ms = 0;
        if (s->away)
            log_info("the database is reachable again for the prose and document routes", "%s", "");
        s->away = 0;
    }
    return s->conn;
}

void sidedb_release(struct sidedb *s, int failed)
{
    assert(s);
    if (failed && s->conn) {
        PQfinish(s->conn);
        s->conn = NULL;
    }
    pthread_mutex_unlock(&s->mu);
}
