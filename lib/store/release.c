/* release — a frozen report read back (see release.h). */
#include "release.h"

#include <stdio.h>

#include "db.h"

int release_read(PGconn *c, const char *agency, int year, int n, int document, struct buf *out)
{
    char y[16], r[16];
    snprintf(y, sizeof y, "%d", year);
    snprintf(r, sizeof r, "%d", n);
    const char *p[] = {agency, y, r};
    /* Binary results: the bytes arrive as they were stored. */
    PGresult *res = PQexecParams(c,
                                 document ? "SELECT document FROM report_release"
                                            " WHERE agency = $1 AND year = $2::int AND release = $3::int"
                                          : "SELECT convert_to(tables, 'UTF8') FROM report_release"
                                            " WHERE agency = $1 AND year = $2::int AND release = $3::int",
                                 3, NULL, p, NULL, NULL, 1);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? DB_OK : db_failure(c, res, "reading a release");
    if (rc == DB_OK && PQntuples(res) == 0)
        rc = 1;
    else if (rc == DB_OK)
        buf_append(out, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    PQclear(res);
    return rc;
}
