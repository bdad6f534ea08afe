/* gongkai report — one agency's report for one year, from the aggregator. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "query.h"

int cmd_report(int argc, char **argv)
{
    const char *endpoint, *agency, *year, *format, *rule, *scope, *cert, *server_key, *insecure;
    const struct config_opt opts[] = {
        {"agency", NULL, NULL, "agency code (required)", &agency},
        {"year", NULL, NULL, "report year, 1990-2100 (required)", &year},
        {"format", NULL, "text", "json, csv, md or text", &format},
        {"case-rule", NULL, "filed", "filed or handled (section 四)", &rule},
        {"scope", NULL, "self", "self, or subtree: the agency and its registered descendants", &scope},
        {"endpoint", "GONGKAI_QUERY", "tcp://127.0.0.1:7103", "aggregator's query endpoint", &endpoint},
        {"client-cert", "GONGKAI_CLIENT_CERT", NULL, "this client's secret key file (a dashboard or aggregator key)", &cert},
        {"aggregator-key", "GONGKAI_AGGREGATOR_KEY", NULL, "the aggregator's public key: .pub file or Z85 text", &server_key},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext, for an aggregator started with GONGKAI_INSECURE=1", &insecure},
        {0}};
    int i = config_parse("gongkai report",
                         "usage: gongkai report --agency A --year Y [--format json|csv|md|text]"
                         " [--case-rule filed|handled] [--scope self|subtree]\n\n"
                         "Prints the statistical tables of agency A's annual report for year Y,\n"
                         "as the aggregator holds them now.",
                         opts, argc, argv);
    if (i != argc || !agency || !year) {
        fprintf(stderr, "gongkai report: --agency and --year are required (see --help)\n");
        return 2;
    }
    char *end;
    long y = strtol(year, &end, 10);
    if (*end || !*year) {
        fprintf(stderr, "gongkai report: --year \"%s\" is not a number\n", year);
        return 2;
    }
    struct query *q = query_open("gongkai report", endpoint, 5000, insecure, cert, server_key);
    if (!q)
        return 2;
    char *body = NULL, err[300];
    int rc = query_report(q, agency, (int)y, rule, format, scope, &body, NULL, err, sizeof err);
    query_destroy(&q);
    if (rc) {
        fprintf(stderr, "gongkai report: %s\n", err);
        return rc < 0 ? 2 : 1;
    }
    fputs(body, stdout);
    free(body);
    return 0;
}
