/* check — `gongkai check [--json] FILE…`: audit reports in the contract's
 * JSON form (see lib/report/reportcheck.h for the rules).
 *
 * Every file is read before anything is checked, so that two consecutive
 * years given in any order are chained. Exit 1 when any error is found, 0
 * when only warnings or nothing, 2 on usage or an unreadable file.
 */
#include "cmd.h"

#include "alloc.h"
#include "buf.h"
#include "reportcheck.h"
#include "reportimport.h"
#include "utf8.h"

#include <errno.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: gongkai check [--json] FILE…\n"
          "  Checks annual reports given as JSON (as `gongkai report --format json`\n"
          "  or `gongkai import-report` print them; \"-\" reads stdin). Blank cells\n"
          "  are null. Two consecutive years of one agency are checked as a chain.\n"
          "  --json   print the findings as a JSON list of\n"
          "           {\"severity\", \"rule\", \"cell\", \"printed\", \"expected\", \"report\"}\n"
          "  Exit 1 when there is an error, 0 otherwise, 2 on usage or unreadable input.\n",
          out);
}

int cmd_check(int argc, char **argv)
{
    bool as_json = false, options = true;
    const char **files = xcalloc((size_t)argc, sizeof *files);
    size_t nfiles = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0) {
            options = false;
        } else if (options && strcmp(a, "--json") == 0) {
            as_json = true;
        } else if (options && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            usage(stdout);
            free(files);
            return 0;
        } else if (options && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "gongkai check: unknown option %s\n", a);
            usage(stderr);
            free(files);
            return 2;
        } else {
            files[nfiles++] = a;
        }
    }
    if (nfiles == 0) {
        usage(stderr);
        free(files);
        return 2;
    }

    json_t **reports = xcalloc(nfiles, sizeof *reports);
    int rc = 0;
    for (size_t i = 0; i < nfiles && rc == 0; i++) {
        /* The reader import-report uses: bounded, a UTF-8 BOM allowed. */
        FILE *in = strcmp(files[i], "-") == 0 ? stdin : fopen(files[i], "rb");
        struct buf b = {0};
        int r = in ? buf_read_max(&b, in, REPORT_FILE_MAX) : -1;
        if (in && in != stdin)
            fclose(in);
        char shown[200], why[200];
        utf8_shown(files[i], shown, sizeof shown);
        if (r) {
            if (r > 0)
                fprintf(stderr, "gongkai check: %s: more than %u MiB: not one report\n", shown,
                        REPORT_FILE_MAX >> 20);
            else
                fprintf(stderr, "gongkai check: %s: %s\n", shown, strerror(errno));
            buf_free(&b);
            rc = 2;
            break;
        }
        const char *text = b.data ? b.data : "";
        size_t len = b.len;
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
            text += 3, len -= 3;
        json_error_t jerr;
        reports[i] = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
        buf_free(&b);
        if (reports[i] == NULL) {
            fprintf(stderr, "gongkai check: %s: line %d: %s\n", shown, jerr.line,
                    utf8_shown(jerr.text, why, sizeof why));
            rc = 2;
        }
    }
    if (rc == 0) {
        struct check_findings *f = reportcheck_run(reports, nfiles);
        if (as_json) {
            json_t *list = reportcheck_to_json(f, files);
            json_dumpf(list, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
            json_decref(list);
        } else {
            reportcheck_render_text(stdout, f, files);
            printf("%zu report%s: %zu error%s, %zu warning%s\n", nfiles,
                   nfiles == 1 ? "" : "s", f->errors, f->errors == 1 ? "" : "s",
                   f->warnings, f->warnings == 1 ? "" : "s");
        }
        rc = f->errors > 0 ? 1 : 0;
        reportcheck_free(f);
    }
    for (size_t i = 0; i < nfiles; i++)
        json_decref(reports[i]);
    free(reports);
    free(files);
    return rc;
}
