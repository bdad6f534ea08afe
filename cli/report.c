/* gongkai report — one agency's report for one year, from the aggregator;
 * gongkai document — the same as the whole annual report page (HTML). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "query.h"

static const char REPORT_USAGE[] =
    "usage: gongkai report --agency A --year Y [--format json|csv|md|text|html]"
    " [--case-rule filed|handled] [--scope self|subtree]\n\n"
    "Prints the statistical tables of agency A's annual report for year Y,\n"
    "as the aggregator holds them now (html: the whole document, as gongkai document).";

static const char DOCUMENT_USAGE[] =
    "usage: gongkai document --agency A --year Y [--format html] [--case-rule filed|handled]"
    " [--scope self|subtree] > FILE\n\n"
    "Prints agency A's annual report for year Y as one self-contained HTML page in\n"
    "the official structure: the title, sections 一 to 六 with their headings, the\n"
    "tables of 二, 三 and 四 with the official header spans, from the tables as\n"
    "the aggregator holds them now. Also GET /v1/reports/{agency}/{year}/document.html.\n"
    "(A browser prints it to PDF; docx and pdf output are not in this build.)";

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
    if (usage == DOCUMENT_USAGE && strcmp(format, "html") != 0) {
        fprintf(stderr, "%s: --format \"%s\": this build writes html only (a browser prints it "
                        "to PDF)\n", prog, format);
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

int cmd_document(int argc, char **argv)
{
    return report_main(argc, argv, "gongkai document", DOCUMENT_USAGE, "html");
}
