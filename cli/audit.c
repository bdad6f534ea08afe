/* gongkai audit — for the office that compiles a government's report: every
 * report found under the paths given imported (by content: a page's HTML or
 * its text, reportimport.h), grouped by the agency's printed name and year,
 * checked alone and across consecutive years (reportcheck.h), and summed up
 * in one summary: text, CSV, or a self-contained HTML page to sort and click
 * into. A progress line on stderr while it works. Exit 1 when any report has
 * an error or a file that holds a report cannot be read. */
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "convert.h"
#include "reportcheck.h"
#include "reportimport.h"
#include "utf8.h"

static const char USAGE[] =
    "usage: gongkai audit [--format text|csv|html] PATH…\n\n"
    "Imports every report found under the PATHs (directories are walked; each file is\n"
    "read by its content: a report's web page or its text, as gongkai import-report\n"
    "reads them), groups them by the agency's printed name and year, runs every check\n"
    "of gongkai check on each and across consecutive years of one agency, and prints\n"
    "one summary: per file, imported or why not, and its errors and warnings cell by\n"
    "cell. --format csv gives a row per finding; html a self-contained page whose table\n"
    "sorts by any column and opens each report's findings. Files that hold no report\n"
    "(no 年度报告 in them, or binary) are listed as skipped. Exit 1 when any report has\n"
    "an error or a report file cannot be read, 0 otherwise, 2 on usage.";

struct entry {
    char *path;           /* owned */
    char *status;         /* owned: "imported", "skipped: …", "not imported: …" */
    json_t *report;       /* owned; NULL unless imported */
    size_t errors, warnings;
    int failed;           /* a report that could not be read */
    size_t sorted_from;   /* its place before the summary's sort */
};

struct audit {
    struct entry *e;
    size_t n, cap;
};

static struct audit *walking; /* nftw has no user pointer: set around the walk */

static void add_path(struct audit *a, const char *path)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->e = xrealloc(a->e, a->cap * sizeof *a->e);
    }
    memset(&a->e[a->n], 0, sizeof a->e[a->n]);
    a->e[a->n++].path = xstrdup(path);
}

static int visit(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    const char *base = path + ftw->base;
    if (ftw->level > 0 && base[0] == '.')
        return flag == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE; /* hidden: .git, editors' files */
    if (flag == FTW_F)
        add_path(walking, path);
    return FTW_CONTINUE;
}

static int by_path(const void *x, const void *y)
{
    return strcmp(((const struct entry *)x)->path, ((const struct entry *)y)->path);
}

static const char *str_of(json_t *r, const char *key);
static long year_of(json_t *r);

/* The summary's order: by agency (its printed name), then year, then file;
 * what was not imported first, where it is seen. */
static int by_agency_year(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    int c = strcmp(str_of(a->report, "name"), str_of(b->report, "name"));
    if (c)
        return c;
    long ya = year_of(a->report), yb = year_of(b->report);
    if (ya != yb)
        return ya < yb ? -1 : 1;
    return strcmp(a->path, b->path);
}

/* Reads and imports one file into e. */
static void import_one(struct entry *e)
{
    FILE *f = fopen(e->path, "rb");
    struct buf b = {0};
    int r = f ? buf_read_max(&b, f, REPORT_FILE_MAX) : -1;
    int err = errno;
    if (f)
        fclose(f);
    if (r != 0) {
        e->failed = r > 0 ? 0 : 1;
        e->status = r > 0 ? xasprintf("skipped: more than %u MiB, not one report", REPORT_FILE_MAX >> 20)
                          : xasprintf("not imported: %s", strerror(err));
        buf_free(&b);
        return;
    }
    if (b.data && convert_is_pdf(b.data, b.len)) {
        /* A PDF: its text by poppler, then as any text. */
        struct buf t = {0};
        char why[400];
        int c = convert_pdf_text(b.data, b.len, &t, why, sizeof why);
        buf_free(&b);
        if (c) {
            e->status = xasprintf("not imported: %s", why);
            e->failed = 1;
            buf_free(&t);
            return;
        }
        b = t;
    }
    const char *text = b.data ? b.data : "";
    int binary = memchr(text, '\0', b.len) != NULL;
    int report = !binary && (memmem(text, b.len, "年度报告", strlen("年度报告")) ||
                             memmem(text, b.len, "年度報告", strlen("年度報告")) ||
                             memmem(text, b.len, "\xc4\xea\xb6\xc8\xb1\xa8\xb8\xe6", 8)); /* GBK 年度报告 */
    if (!report) {
        e->status = xstrdup(binary ? "skipped: binary, not a report"
                                   : "skipped: no 年度报告 in it");
        buf_free(&b);
        return;
    }
    struct reportimport_options opt = {.agency = "unknown", .year = 0, .case_rule = NULL};
    struct reportimport_error ierr = {0};
    e->report = reportimport_parse(text, b.len, &opt, &ierr);
    buf_free(&b);
    if (e->report) {
        e->status = xstrdup("imported");
    } else {
        char shown[600];
        e->status = xasprintf("not imported: %s", utf8_shown(ierr.message ? ierr.message : "?", shown,
                                                              sizeof shown));
        e->failed = 1;
        reportimport_error_clear(&ierr);
    }
}

static const char *str_of(json_t *r, const char *key)
{
    const char *s = r ? json_string_value(json_object_get(r, key)) : NULL;
    return s ? s : "";
}

static long year_of(json_t *r)
{
    return r ? (long)json_integer_value(json_object_get(r, "year")) : 0;
}

/* A finding's value as short JSON text ("" for none). */
static char *value_text(json_t *v)
{
    return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("");
}

static void csv_field(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void html_out(FILE *out, const char *s)
{
    struct buf b = {0};
    buf_html_text(&b, s);
    if (b.len)
        fwrite(b.data, 1, b.len, out);
    buf_free(&b);
}

static const char PAGE_HEAD[] =
    "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>政府信息公开工作年度报告核查 (gongkai audit)</title>\n<style>\n"
    "body{font-family:\"Noto Sans CJK SC\",sans-serif;margin:1.5em;color:#111}"
    "table{border-collapse:collapse;width:100%}#reports>tbody>tr>td:first-child{word-break:break-all}th,td{border:1px solid #bbb;padding:.25em .5em;"
    "text-align:left;vertical-align:top}th{background:#eee;cursor:pointer;user-select:none}"
    "th:after{content:' \\2195';color:#999}td.n{text-align:right}tr.err td.st{color:#b00;font-weight:bold}"
    "tr.warn td.st{color:#a60}details summary{cursor:pointer}table.f{margin:.3em 0;width:auto}"
    "table.f td{font-size:.9em}.error{color:#b00}.warning{color:#a60}\n</style>\n</head>\n<body>\n";

/* Sorting by a column: numbers as numbers, the rest as text (Chinese by
 * the browser's collation); a second click reverses. */
static const char PAGE_SCRIPT[] =
    "<script>\n"
    "document.querySelectorAll('#reports th').forEach((th, i) => th.addEventListener('click', () => {\n"
    "  const tb = document.querySelector('#reports tbody');\n"
    "  const rows = [...tb.rows];\n"
    "  const dir = th.dataset.dir === 'asc' ? -1 : 1;\n"
    "  document.querySelectorAll('#reports th').forEach(h => delete h.dataset.dir);\n"
    "  th.dataset.dir = dir === 1 ? 'asc' : 'desc';\n"
    "  const key = r => r.cells[i].dataset.v !== undefined ? +r.cells[i].dataset.v : r.cells[i].innerText;\n"
    "  rows.sort((a, b) => { const x = key(a), y = key(b);\n"
    "    return dir * (typeof x === 'number' ? x - y : String(x).localeCompare(String(y), 'zh')); });\n"
    "  rows.forEach(r => tb.appendChild(r));\n"
    "}));\n"
    "</script>\n";

static void write_html(FILE *out, const struct audit *a, const struct check_findings *f, size_t imported,
                       size_t failed)
{
    fputs(PAGE_HEAD, out);
    fprintf(out, "<h1>年度报告核查</h1>\n<p id=\"summary\">%zu 个文件：导入 %zu，未能导入 %zu；错误 %zu，警告 %zu</p>\n",
            a->n, imported, failed, f->errors, f->warnings);
    fputs("<table id=\"reports\">\n<thead><tr><th>文件 file</th><th>机关 name</th><th>年度 year</th>"
          "<th>状态 status</th><th>错误 errors</th><th>警告 warnings</th></tr></thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < a->n; i++) {
        const struct entry *e = &a->e[i];
        fprintf(out, "<tr class=\"%s\"><td>", e->errors || e->failed ? "err" : e->warnings ? "warn" : "ok");
        html_out(out, e->path);
        fputs("</td><td>", out);
        html_out(out, str_of(e->report, "name"));
        fprintf(out, "</td><td class=\"n\" data-v=\"%ld\">", year_of(e->report));
        if (e->report)
            fprintf(out, "%ld", year_of(e->report));
        fputs("</td><td class=\"st\">", out);
        if (e->report && (e->errors || e->warnings)) {
            /* The findings, opened by a click. */
            fputs("<details><summary>", out);
            html_out(out, e->status);
            fputs("</summary><table class=\"f\">", out);
            for (size_t k = 0; k < f->count; k++) {
                const struct check_finding *c = &f->items[k];
                if (c->report != i)
                    continue;
                char *p = value_text(c->printed), *x = value_text(c->expected);
                fprintf(out, "<tr><td class=\"%s\">%s</td><td>", reportcheck_severity_name(c->severity),
                        reportcheck_severity_name(c->severity));
                html_out(out, c->rule);
                fputs("</td><td>", out);
                html_out(out, c->cell);
                fputs("</td><td>printed ", out);
                html_out(out, p);
                fputs(", expected ", out);
                html_out(out, x);
                fputs("</td></tr>", out);
                free(p), free(x);
            }
            fputs("</table></details>", out);
        } else {
            html_out(out, e->status);
        }
        fprintf(out, "</td><td class=\"n\" data-v=\"%zu\">%zu</td><td class=\"n\" data-v=\"%zu\">%zu</td></tr>\n",
                e->errors, e->errors, e->warnings, e->warnings);
    }
    fputs("</tbody>\n</table>\n", out);
    fputs(PAGE_SCRIPT, out);
    fputs("</body>\n</html>\n", out);
}

static void write_csv(FILE *out, const struct audit *a, const struct check_findings *f)
{
    fputs("file,name,year,status,severity,rule,cell,printed,expected\n", out);
    for (size_t i = 0; i < a->n; i++) {
        const struct entry *e = &a->e[i];
        int any = 0;
        for (size_t k = 0; k <= f->count; k++) {
            const struct check_finding *c = k < f->count ? &f->items[k] : NULL;
            if (c ? c->report != i : any)
                continue;
            any = 1;
            char year[16] = "";
            if (e->report)
                snprintf(year, sizeof year, "%ld", year_of(e->report));
            char *p = value_text(c ? c->printed : NULL), *x = value_text(c ? c->expected : NULL);
            const char *fields[] = {e->path, str_of(e->report, "name"), year, e->status,
                                    c ? reportcheck_severity_name(c->severity) : "", c ? c->rule : "",
                                    c ? c->cell : "", p, x};
            for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++) {
                if (j)
                    fputc(',', out);
                csv_field(out, fields[j]);
            }
            fputc('\n', out);
            free(p), free(x);
        }
    }
}

static void write_text(FILE *out, const struct audit *a, const struct check_findings *f)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct entry *e = &a->e[i];
        char shown[600];
        fprintf(out, "%s\t%s\t", utf8_shown(e->path, shown, sizeof shown), str_of(e->report, "name"));
        if (e->report)
            fprintf(out, "%ld", year_of(e->report));
        fprintf(out, "\t%s\t%zu errors\t%zu warnings\n", e->status, e->errors, e->warnings);
        for (size_t k = 0; k < f->count; k++) {
            const struct check_finding *c = &f->items[k];
            if (c->report != i)
                continue;
            char *p = value_text(c->printed), *x = value_text(c->expected);
            fprintf(out, "  %s %s %s: printed %s, expected %s\n", reportcheck_severity_name(c->severity),
                    c->rule, c->cell, p, x);
            free(p), free(x);
        }
    }
}

int cmd_audit(int argc, char **argv)
{
    const char *format;
    const struct config_opt opts[] = {
        {"format", NULL, "text", "text, csv or html", &format},
        {0}};
    int i = config_parse("gongkai audit", USAGE, opts, argc, argv);
    if (i >= argc) {
        fprintf(stderr, "gongkai audit: give at least one PATH (see --help)\n");
        return 2;
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "html") != 0) {
        char shown[64];
        fprintf(stderr, "gongkai audit: --format \"%s\": text, csv or html\n", utf8_shown(format, shown, sizeof shown));
        return 2;
    }
    struct audit a = {0};
    walking = &a;
    for (; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            char shown[300];
            fprintf(stderr, "gongkai audit: %s: %s\n", utf8_shown(argv[i], shown, sizeof shown), strerror(errno));
            walking = NULL;
            return 2;
        }
        if (S_ISDIR(sb.st_mode))
            nftw(argv[i], visit, 32, FTW_PHYS | FTW_ACTIONRETVAL);
        else
            add_path(&a, argv[i]);
    }
    walking = NULL;
    if (a.n)
        qsort(a.e, a.n, sizeof *a.e, by_path);
    /* Import, with a progress line: rewritten in place on a terminal, a line
     * per hundred files otherwise (a log). */
    int tty = isatty(2);
    size_t imported = 0, failed = 0;
    json_t **reports = xcalloc(a.n ? a.n : 1, sizeof *reports);
    size_t *index = xcalloc(a.n ? a.n : 1, sizeof *index);
    size_t nr = 0;
    for (size_t k = 0; k < a.n; k++) {
        import_one(&a.e[k]);
        if (a.e[k].report) {
            index[nr] = k;
            reports[nr++] = a.e[k].report;
            imported++;
        }
        failed += a.e[k].failed;
        if (tty)
            fprintf(stderr, "\raudit: %zu/%zu files, %zu reports imported", k + 1, a.n, imported);
        else if ((k + 1) % 100 == 0 || k + 1 == a.n)
            fprintf(stderr, "audit: %zu/%zu files, %zu reports imported\n", k + 1, a.n, imported);
    }
    if (tty && a.n)
        fputc('\n', stderr);
    struct check_findings *f = reportcheck_run(reports, nr);
    /* Findings name reports by their index among the imported: as entries,
     * then the entries in the summary's order, each taking its counts. */
    size_t *order = xcalloc(a.n ? a.n : 1, sizeof *order);
    for (size_t k = 0; k < f->count; k++) {
        f->items[k].report = index[f->items[k].report];
        if (f->items[k].severity == CHECK_ERROR)
            a.e[f->items[k].report].errors++;
        else
            a.e[f->items[k].report].warnings++;
    }
    /* Sort the entries, remembering where each went so findings follow. */
    for (size_t k = 0; k < a.n; k++)
        a.e[k].sorted_from = k;
    if (a.n)
        qsort(a.e, a.n, sizeof *a.e, by_agency_year);
    for (size_t k = 0; k < a.n; k++)
        order[a.e[k].sorted_from] = k;
    for (size_t k = 0; k < f->count; k++)
        f->items[k].report = order[f->items[k].report];
    free(order);
    if (strcmp(format, "html") == 0)
        write_html(stdout, &a, f, imported, failed);
    else if (strcmp(format, "csv") == 0)
        write_csv(stdout, &a, f);
    else
        write_text(stdout, &a, f);
    fprintf(stderr, "audit: %zu files: %zu reports imported, %zu not; %zu errors, %zu warnings\n", a.n, imported,
            failed, f->errors, f->warnings);
    int rc = f->errors || failed ? 1 : 0;
    reportcheck_free(f);
    for (size_t k = 0; k < a.n; k++) {
        free(a.e[k].path), free(a.e[k].status);
        json_decref(a.e[k].report);
    }
    free(a.e);
    free(reports);
    free(index);
    return rc;
}
