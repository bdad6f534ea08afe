/* import — `gongkai import-report [--agency CODE] [--year Y]
 * [--case-rule filed|handled] FILE`: a published report's text → the
 * contract's JSON on stdout (see lib/report/reportimport.h).
 *
 * Exit 0 with the JSON, 1 when the text cannot be parsed (the message names
 * the line), 2 on usage or an unreadable file.
 */
#include "cmd.h"

#include "alloc.h"
#include "buf.h"
#include "convert.h"
#include "event.h"
#include "reportimport.h"
#include "utf8.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: gongkai import-report [--agency CODE] [--year Y]\n"
          "                             [--case-rule filed|handled] FILE\n"
          "  Reads a 政府信息公开工作年度报告 — its web page (HTML, UTF-8 or GB2312/GBK),\n"
          "  its PDF (text by poppler's pdftotext) or its text as copied from one; the\n"
          "  content decides which (\"-\" reads stdin) — and prints its tables as\n"
          "  report JSON.\n"
          "  --agency CODE  the agency code to report under (default \"unknown\")\n"
          "  --year Y       the report year, when the title does not say\n"
          "  --case-rule R  the case rule to record (default \"filed\")\n",
          out);
}

/* Value of an option given as "--name VALUE" or "--name=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t nl = strlen(name);
    if (strncmp(argv[*i], name, nl) != 0)
        return NULL;
    if (argv[*i][nl] == '=')
        return argv[*i] + nl + 1;
    if (argv[*i][nl] != '\0' || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

int cmd_import_report(int argc, char **argv)
{
    struct reportimport_options opt = {0};
    const char *file = NULL;
    bool options = true;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (options && strcmp(a, "--") == 0) {
            options = false;
        } else if (options && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            usage(stdout);
            return 0;
        } else if (options && (v = opt_value(argc, argv, &i, "--agency"))) {
            if (!ev_agency_valid(v)) {
                fprintf(stderr, "gongkai import-report: malformed agency code %s\n", v);
                return 2;
            }
            opt.agency = v;
        } else if (options && (v = opt_value(argc, argv, &i, "--year"))) {
            char *end;
            long y = strtol(v, &end, 10);
            if (*end != '\0' || y < 1990 || y > 2100) {
                fprintf(stderr, "gongkai import-report: year %s outside 1990–2100\n", v);
                return 2;
            }
            opt.year = (int)y;
        } else if (options && (v = opt_value(argc, argv, &i, "--case-rule"))) {
            if (strcmp(v, "filed") != 0 && strcmp(v, "handled") != 0) {
                fprintf(stderr, "gongkai import-report: case rule %s: filed or handled\n", v);
                return 2;
            }
            opt.case_rule = v;
        } else if (options && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "gongkai import-report: unknown option or missing value: %s\n", a);
            usage(stderr);
            return 2;
        } else if (file == NULL) {
            file = a;
        } else {
            fprintf(stderr, "gongkai import-report: one FILE at a time\n");
            return 2;
        }
    }
    if (file == NULL) {
        usage(stderr);
        return 2;
    }

    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (f == NULL) {
        perror(file);
        return 2;
    }
    struct buf in = {0};
    int rc = buf_read_max(&in, f, REPORT_FILE_MAX);
    if (f != stdin)
        fclose(f);
    if (rc) {
        if (rc > 0)
            fprintf(stderr, "gongkai import-report: %s: more than %u MiB: not one annual report "
                            "(give the report's page or text alone)\n",
                    file, REPORT_FILE_MAX >> 20);
        else
            fprintf(stderr, "gongkai import-report: %s: read error\n", file);
        buf_free(&in);
        return 2;
    }
    size_t len = in.len;
    char *text = in.data ? in.data : xstrdup("");
    if (convert_is_pdf(text, len)) {
        /* A PDF: its text in reading order by poppler, then read as text. */
        struct buf t = {0};
        char why[400];
        int c = convert_pdf_text(text, len, &t, why, sizeof why);
        free(text);
        if (c) {
            fprintf(stderr, "gongkai import-report: %s: %s\n", file, why);
            buf_free(&t);
            return 2;
        }
        buf_putc(&t, '\0');
        len = t.len - 1;
        text = t.data;
    }

    struct reportimport_error err = {0};
    json_t *report = reportimport_parse(text, len, &opt, &err);
    free(text);
    if (report == NULL) {
        char shown[600]; /* the message quotes the file's text: shown, not printed raw */
        fprintf(stderr, "gongkai import-report: %s: %s\n", file,
                utf8_shown(err.message, shown, sizeof shown));
        reportimport_error_clear(&err);
        return 1;
    }
    json_dumpf(report, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(report);
    return 0;
}
