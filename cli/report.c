/* gongkai report — one agency's report for one year, from the aggregator;
 * gongkai document — the whole annual report (tables and prose) as one HTML
 * page, from the database (stored.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "convert.h"
#include "db.h"
#include "document.h"
#include "query.h"
#include "release.h"
#include "render.h"
#include "stored.h"
#include "utf8.h"

static const char REPORT_USAGE[] =
    "usage: gongkai report --agency A --year Y [--format json|csv|md|text|html]"
    " [--case-rule filed|handled] [--scope self|subtree]\n\n"
    "Prints the statistical tables of agency A's annual report for year Y,\n"
    "as the aggregator holds them now (html: the tables in the document's layout,\n"
    "with the prose sections empty; gongkai document gives the whole document).";

static const char DOCUMENT_USAGE[] =
    "usage: gongkai document --agency A --year Y [--format html|docx|pdf] [--case-rule filed|handled]"
    " [--scope self|subtree] [--release N] > FILE\n\n"
    "Prints agency A's annual report for year Y as one self-contained HTML page in\n"
    "the official structure: the title, sections 一 to 六 with their headings, the\n"
    "prose of 一, 五 and 六 (gongkai narrative), the tables of 二, 三 and 四 with the\n"
    "official header spans. The tables are those the aggregator last committed to\n"
    "the database (GONGKAI_DB); GET /v1/reports/{agency}/{year}/document.html serves\n"
    "the same page. --release N prints release N (gongkai release) byte for byte.\n"
    "--format docx|pdf converts that page with LibreOffice (soffice --headless; Debian:\n"
    "libreoffice-writer-nogui fonts-noto-cjk; GONGKAI_SOFFICE names another binary).";

static int report_main(int argc, char **argv, const char *prog, const char *usage,
                       const char *default_format)
{
    const char *endpoint, *agency, *year, *format, *rule, *scope, *cert, *server_key, *insecure;
    const struct config_opt opts[] = {
        {"agency", NULL, NULL, "agency code (required)", &agency},
        {"year", NULL, NULL, "report year, 1990-2100 (required)", &year},
        {"format", NULL, default_format, "json, csv, md, text or html (the whole document)", &format},
        {"case-rule", NULL, "filed", "filed or handled (section 四)", &rule},
        {"scope", NULL, "self", "self, or subtree: the agency and its registered descendants", &scope},
        {"endpoint", "GONGKAI_QUERY", "tcp://127.0.0.1:7103", "aggregator's query endpoint", &endpoint},
        {"client-cert", "GONGKAI_CLIENT_CERT", NULL, "this client's secret key file (a dashboard or aggregator key)", &cert},
        {"aggregator-key", "GONGKAI_AGGREGATOR_KEY", NULL, "the aggregator's public key: .pub file or Z85 text", &server_key},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext, for an aggregator started with GONGKAI_INSECURE=1", &insecure},
        {0}};
    int i = config_parse(prog, usage, opts, argc, argv);
    if (i != argc || !agency || !year) {
        fprintf(stderr, "%s: --agency and --year are required (see --help)\n", prog);
        return 2;
    }
    char *end;
    long y = strtol(year, &end, 10);
    if (*end || !*year) {
        fprintf(stderr, "%s: --year \"%s\" is not a number\n", prog, year);
        return 2;
    }
    struct query *q = query_open(prog, endpoint, 5000, insecure, cert, server_key);
    if (!q)
        return 2;
    char *body = NULL, err[300];
    int rc = query_report(q, agency, (int)y, rule, format, scope, &body, NULL, err, sizeof err);
    query_destroy(&q);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return rc < 0 ? 2 : 1;
    }
    fputs(body, stdout);
    free(body);
    return 0;
}

int cmd_report(int argc, char **argv)
{
    return report_main(argc, argv, "gongkai report", REPORT_USAGE, "text");
}

/* Release n's document, byte for byte, into out: 0, or 1 after a message. */
static int read_release(PGconn *c, const char *agency, int year, int n, struct buf *out)
{
    int rc = release_read(c, agency, year, n, 1, out);
    if (rc == 1)
        fprintf(stderr, "gongkai document: release: %s %d has no release %d (gongkai release --list)\n",
                agency, year, n);
    else if (rc)
        fprintf(stderr, "gongkai document: cannot read the release: %s", PQerrorMessage(c));
    return rc ? 1 : 0;
}

int cmd_document(int argc, char **argv)
{
    const char *db, *agency, *year, *format, *rule, *scope, *release;
    const struct config_opt opts[] = {
        {"agency", NULL, NULL, "agency code (required)", &agency},
        {"release", NULL, NULL, "print release N exactly as released (gongkai release)", &release},
        {"year", NULL, NULL, "report year, 1990-2100 (required)", &year},
        {"format", NULL, "html", "html, docx or pdf (these two by LibreOffice: soffice)", &format},
        {"case-rule", NULL, "filed", "filed or handled (section 四)", &rule},
        {"scope", NULL, "self", "self, or subtree: the agency and its registered descendants", &scope},
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {0}};
    const char *prog = "gongkai document";
    int i = config_parse(prog, DOCUMENT_USAGE, opts, argc, argv);
    if (i != argc || !agency || !year) {
        fprintf(stderr, "%s: --agency and --year are required (see --help)\n", prog);
        return 2;
    }
    char shown[120], err[400];
    if (strcmp(format, "html") != 0 && strcmp(format, "docx") != 0 && strcmp(format, "pdf") != 0) {
        fprintf(stderr, "%s: --format \"%s\": html, docx or pdf\n", prog, utf8_shown(format, shown, sizeof shown));
        return 2;
    }
    int y, cr = render_parse_case_rule(rule);
    if (cmd_agency_year(prog, agency, year, &y))
        return 2;
    if (cr < 0) {
        fprintf(stderr, "%s: --case-rule \"%s\": filed or handled\n", prog, utf8_shown(rule, shown, sizeof shown));
        return 2;
    }
    if (strcmp(scope, "self") != 0 && strcmp(scope, "subtree") != 0) {
        fprintf(stderr, "%s: --scope \"%s\": self or subtree\n", prog, utf8_shown(scope, shown, sizeof shown));
        return 2;
    }
    long n = 0;
    if (release) {
        char *end;
        n = strtol(release, &end, 10);
        if (!*release || *end || n < 1 || n > 1000000000) {
            fprintf(stderr, "%s: --release \"%s\": a release number from 1\n", prog,
                    utf8_shown(release, shown, sizeof shown));
            return 2;
        }
    }
    PGconn *c = cmd_db(prog, db);
    if (!c)
        return 2;
    struct buf html = {0};
    int rc = 0;
    if (release) {
        rc = read_release(c, agency, y, (int)n, &html);
    } else {
        struct stored st = {0};
        if (stored_read(c, agency, y, (enum case_rule)cr, strcmp(scope, "subtree") == 0, &st, err, sizeof err)) {
            fprintf(stderr, "%s: cannot read the report: %s\n", prog, err);
            rc = 1;
        } else {
            struct document_prose p = {.section = {st.prose[0].body, st.prose[1].body, st.prose[2].body}};
            document_html(&st.r, *st.name ? st.name : NULL, &p, &html);
        }
        stored_clear(&st);
    }
    PQfinish(c);
    if (!rc && strcmp(format, "html") != 0) {
        /* The same page, converted: what is released is the HTML (its SHA-256);
         * DOCX and PDF are made from exactly those bytes. */
        struct buf conv = {0};
        if (convert_document(html.data, html.len, format, &conv, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", prog, err);
            rc = 1;
        }
        buf_free(&html);
        html = conv;
    }
    if (!rc)
        fwrite(html.data, 1, html.len, stdout);
    buf_free(&html);
    return rc;
}
