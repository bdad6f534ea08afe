/* annual — the annual report's HTTP routes that need the database (issue 14):
 *
 *   GET /v1/reports/{agency}/{year}/narrative/{section}[?version=N]
 *   PUT /v1/reports/{agency}/{year}/narrative/{section}   body: Markdown
 *   GET /v1/reports/{agency}/{year}/document.{html,docx,pdf}
 *   GET /v1/reports/{agency}/{year}[/document.html]?release=N
 *   GET /v1/reports/{agency}/{year}/releases
 *   GET /v1/reports/{agency}/{year}?as_of=YYYY-MM-DD
 *   GET /v1/reports/{agency}/{year}/diff?from=…&to=…
 *   GET /v1/agencies/{agency}/releases?year=Y[&scope=subtree]
 *
 * The prose sections (一, 五, 六) live in PostgreSQL (sql/010, narrative.h),
 * the releases too (sql/011); both are read and written through the side
 * connection (sidedb.h); the
 * tables are the live ones (agg_report, under the state's read lock). Each
 * call runs on a heavy worker (http.c hands it over): never on
 * libmicrohttpd's threads, never on the counting thread. Callers have
 * checked agency, year and section; the answer (status, content type,
 * body) goes to *a, an error as {"error", "message"} JSON.
 */
#ifndef GK_ANNUAL_H
#define GK_ANNUAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct agg;

struct annual_answer {
    unsigned status;
    const char *type; /* static */
    struct buf body;  /* owned by the caller */
};

/* version: the ?version= text, or NULL for the newest. */
void annual_narrative_get(struct agg *st, const char *agency, int year, int section,
                          const char *version, struct annual_answer *a);
/* Stores text (n bytes, not yet checked) as the next version, written by who
 * ("token:NAME"). */
void annual_narrative_put(struct agg *st, const char *agency, int year, int section,
                          const char *text, size_t n, const char *who, struct annual_answer *a);
/* The whole document: live tables, the newest prose; as HTML, or (format
 * "docx", "pdf") converted by LibreOffice (convert.h; 501 not_available on a
 * host without it). */
void annual_document(struct agg *st, const char *agency, int year, int rule, int subtree, const char *format,
                     struct annual_answer *a);
/* Release n as it was released: its tables JSON, or (document) its HTML
 * document, byte for byte; 404 no_release when there is none. */
void annual_release(struct agg *st, const char *agency, int year, int n, int document,
                    struct annual_answer *a);
/* An HTML document answer in a converted to format ("html": left as it is;
 * "docx", "pdf"): on failure a is the error. */
void annual_convert(struct annual_answer *a, const char *format);
/* GET /v1/reports/{agency}/{year}/releases: every release of the year,
 * oldest first, as JSON. */
void annual_releases(struct agg *st, const char *agency, int year, struct annual_answer *a);
/* The report of (agency, year) at the end of Beijing day `day` (?as_of=):
 * the agency's events that occurred up to then, read from the log and
 * counted afresh (the live state cannot say what it was), rendered in fmt.
 * Reads every such event of the agency: seconds for a very large one. */
void annual_as_of(struct agg *st, const char *agency, int year, int32_t day, int rule, int fmt,
                  struct annual_answer *a);
/* GET /v1/reports/{agency}/{year}/diff?from=SIDE[&to=SIDE]: every cell
 * whose value differs between two versions of the tables, a SIDE being
 * live (the default for to), release:N or as_of:YYYY-MM-DD. With a release
 * on either side both are taken under its case rule, else under rule.
 * from and to are the request's text (checked here). */
void annual_diff(struct agg *st, const char *agency, int year, const char *from, const char *to,
                 int rule, struct annual_answer *a);
/* GET /v1/agencies/{agency}/releases?year=Y[&scope=subtree][&format=html]:
 * for the office that compiles a government's report, every registered
 * agency of the scope with its release state for year Y — not_released,
 * draft (only drafts), released, changed_since_release — the newest
 * release, when the first final one was made, and late (no final release by
 * the end of 31 January of Y+1, Beijing time); as JSON or as an HTML page
 * with a link to each document. */
void annual_overview(struct agg *st, const char *agency, int year, int subtree, int html,
                     struct annual_answer *a);
/* A JSON error answer into a (jansson: valid UTF-8 whatever message holds). */
void annual_error(struct annual_answer *a, unsigned status, const char *code, const char *message);

#endif
