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
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"

/* GET path from host:port, with a bearer token when given. Returns the status (body in *body), or -1 with a
 * message in err. */
static int http_get(const char *hostport, const char *path, const char *token, struct buf *body,
                    char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, errlen, "--http \"%s\" is not host:port", hostport);
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host, colon + 1, &hints, &ai)) {
        snprintf(err, errlen, "cannot resolve %s", hostport);
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    struct timeval tv = {10, 0};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        snprintf(err, errlen, "cannot connect to the aggregator at %s", hostport);
        freeaddrinfo(ai);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    freeaddrinfo(ai);
    struct buf req = {0}, resp = {0};
    buf_printf(&req, "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n", path, hostport);
    if (token)
        buf_printf(&req, "Authorization: Bearer %s\r\n", token);
    buf_puts(&req, "\r\n");
    ssize_t n = write(fd, req.data, req.len);
    buf_free(&req);
    char chunk[8192];
    while (n > 0 && (n = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(&resp, chunk, (size_t)n);
    close(fd);
    buf_putc(&resp, '\0');
    int status = -1;
    char *sep = strstr(resp.data, "\r\n\r\n");
    if (n < 0 || sscanf(resp.data, "HTTP/%*s %d", &status) != 1 || !sep) {
        snprintf(err, errlen, "no complete HTTP answer from %s", hostport);
        buf_free(&resp);
        return -1;
    }
    buf_puts(body, sep + 4);
    buf_free(&resp);
    return status;
}

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
    int status = http_get(http, path, token, &body, err, sizeof err);
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
