/* gongkai open — an agency's open applications, soonest due first, from the
 * aggregator's HTTP interface (GET /v1/agencies/{agency}/open).
 *
 * HTTP rather than the ZeroMQ query endpoint: the ReportRequest message
 * carries statutory reports only, and the JSON of the HTTP route is the
 * contract already, so the CLI shows exactly what the page and scripts see.
 * One GET with HTTP/1.0 over a plain socket: no client library needed. TLS
 * is a reverse proxy's job (README), so this talks to the aggregator itself;
 * GONGKAI_HTTP_TOKEN carries the bearer token when /v1/ requires one.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "net.h"
#include "cmd.h"
#include "config.h"

/* Keeps an argument safe inside a URL: the values checked by the server are
 * codes and dates, so anything else is refused here rather than escaped. */
static int url_safe(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static void print_text(json_t *j)
{
    printf("%s: %lld open, %lld overdue, as of %s\n", str(j, "agency"),
           (long long)json_integer_value(json_object_get(j, "open")),
           (long long)json_integer_value(json_object_get(j, "overdue")), str(j, "as_of"));
    json_t *apps = json_object_get(j, "applications");
    size_t i;
    json_t *a;
    if (json_array_size(apps))
        printf("%-10s  %5s  %-19s  %-10s  %-21s  %-22s  %s\n", "due", "left", "state", "received",
               "applicant", "agency", "application_id");
    json_array_foreach(apps, i, a) {
        json_t *left = json_object_get(a, "working_days_left");
        char l[16] = "-";
        if (json_is_integer(left))
            snprintf(l, sizeof l, "%lld", (long long)json_integer_value(left));
        printf("%-10s%s %5s  %-19s  %-10s  %-21s  %-22s  %s%s\n", str(a, "due"),
               json_is_true(json_object_get(a, "provisional")) ? "*" : " ", l, str(a, "state"),
               str(a, "received"), str(a, "applicant"), str(a, "agency"),
               str(a, "application_id"),
               json_is_true(json_object_get(a, "overdue")) ? "  OVERDUE" : "");
    }
    if (json_array_size(apps))
        printf("(* provisional: past the loaded holiday notices; left: counted working days, "
               "negative when overdue)\n");
}

int cmd_open(int argc, char **argv)
{
    const char *http, *agency, *scope, *as_of, *format, *token;
    const struct config_opt opts[] = {
        {"agency", NULL, NULL, "agency code (required)", &agency},
        {"scope", NULL, "self", "self, or subtree: the agency and its registered descendants", &scope},
        {"as-of", NULL, NULL, "YYYY-MM-DD: as at the end of that day (default: today, Beijing)", &as_of},
        {"format", NULL, "text", "text or json (the HTTP body)", &format},
        {"http", "GONGKAI_HTTP", "127.0.0.1:7180", "the aggregator's HTTP host:port", &http},
        {"token", "GONGKAI_HTTP_TOKEN", NULL,
         "bearer token, when the aggregator requires one (GONGKAI_HTTP_TOKENS)", &token},
        {0}};
    int i = config_parse("gongkai open",
                         "usage: gongkai open --agency A [--scope self|subtree] [--as-of YYYY-MM-DD]"
                         " [--format text|json]\n\n"
                         "Lists agency A's open applications for disclosure, soonest due first,\n"
                         "with their legal due dates in working days (GET /v1/agencies/A/open).",
                         opts, argc, argv);
    if (i != argc || !agency) {
        fprintf(stderr, "gongkai open: --agency is required (see --help)\n");
        return 2;
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "gongkai open: --format \"%s\": use text or json\n", format);
        return 2;
    }
    if (token && strpbrk(token, "\r\n")) {
        fprintf(stderr, "gongkai open: --token must be one line\n");
        return 2;
    }
    if (!url_safe(agency) || !url_safe(scope) || (as_of && !url_safe(as_of))) {
        fprintf(stderr, "gongkai open: --agency, --scope and --as-of take codes and dates "
                        "(letters, digits, '.', '_', '-')\n");
        return 2;
    }
    char path[512], err[300];
    snprintf(path, sizeof path, "/v1/agencies/%s/open?scope=%s%s%s", agency, scope,
             as_of ? "&as_of=" : "", as_of ? as_of : "");
    struct buf body = {0};
    struct waiting w;
    waiting_init(&w, "gongkai open", "the aggregator", "gongkai-aggregator", http, WAITING_AFTER_MS);
    int status = net_http_get(http, path, token, 10000, &w, &body, err, sizeof err);
    if (status < 0) {
        fprintf(stderr, "gongkai open: %s\n", err);
        buf_free(&body);
        return 2;
    }
    json_t *j = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
    int rc = 0;
    if (status != 200) {
        fprintf(stderr, "gongkai open: %s: %s\n", j ? str(j, "error") : "error",
                j ? str(j, "message") : (body.data ? body.data : ""));
        rc = 1;
    } else if (!j) {
        fprintf(stderr, "gongkai open: the aggregator's answer is not JSON\n");
        rc = 2;
    } else if (strcmp(format, "json") == 0) {
        fwrite(body.data, 1, body.len, stdout);
    } else {
        print_text(j);
    }
    json_decref(j);
    buf_free(&body);
    return rc;
}
