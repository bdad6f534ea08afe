/* document — the annual report as one HTML page (see document.h). */
#include "document.h"

#include <cmark.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "template.h"

static const char STYLE[] =
    "body{font-family:\"Noto Serif CJK SC\",\"Source Han Serif SC\",SimSun,\"Songti SC\",serif;"
    "max-width:60em;margin:2em auto;padding:0 1em;line-height:1.6;color:#000}"
    "h1{font-size:1.5em;text-align:center}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%;margin:.8em 0;font-size:.9em}"
    "th,td{border:1px solid #000;padding:.25em .4em;text-align:center}"
    "td.label{text-align:left}div.prose p{text-indent:2em}p.note{border:1px solid #000;padding:.4em .6em}"
    "@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:avoid}}"
    "@page{size:A4;margin:2cm}";

static void cell(struct buf *b, const char *tag, const char *cls, int colspan, int rowspan,
                 const char *s)
{
    buf_printf(b, "<%s", tag);
    if (cls)
        buf_printf(b, " class=\"%s\"", cls);
    if (colspan > 1)
        buf_printf(b, " colspan=\"%d\"", colspan);
    if (rowspan > 1)
        buf_printf(b, " rowspan=\"%d\"", rowspan);
    buf_putc(b, '>');
    buf_html_text(b, s);
    buf_printf(b, "</%s>", tag);
}

static void number(struct buf *b, int64_t v)
{
    buf_printf(b, "<td>%lld</td>", (long long)v);
}

/* A prose section: its Markdown as HTML (cmark, CommonMark). Safe mode, the
 * library's default: raw HTML in the text comes out as a comment saying it
 * was omitted and javascript:/data: links are dropped, so what an agency
 * writes is shown as text and cannot script the page (issue "untrusted text
 * stays text"). */
static void prose(struct buf *b, const char *s)
{
    if (!s || !*s)
        return;
    char *html = cmark_markdown_to_html(s, strlen(s), CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
    if (!html)
        abort(); /* cmark's allocator failed: out of memory, as alloc.h */
    buf_puts(b, "<div class=\"prose\">\n");
    buf_puts(b, html);
    buf_puts(b, "</div>\n");
    free(html);
}

/* Section 二: a table per item of Article 20, titled, headed as its first
 * row's columns. */
static void active(struct buf *b, const struct report *r, unsigned form)
{
    int fi = tmpl_index(form);
    for (int i = 0; i < TMPL_AD_ROWS;) {
        const struct tmpl_ad_row *first = &tmpl_ad_rows[i];
        int ncols = 0;
        for (int c = 0; c < TMPL_AD_COLS && first->cols[c].key; c++)
            ncols += (first->cols[c].form & form) != 0;
        int shown = 0;
        for (int k = i; k < TMPL_AD_ROWS && strcmp(tmpl_ad_rows[k].item, first->item) == 0; k++)
            shown += (tmpl_ad_rows[k].form & form) != 0;
        if (!shown) {
            while (i < TMPL_AD_ROWS && strcmp(tmpl_ad_rows[i].item, first->item) == 0)
                i++;
            continue;
        }
        buf_puts(b, "<table width=\"100%\" border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n<tr>");
        cell(b, "th", NULL, 1 + ncols, 1, first->item);
        buf_puts(b, "</tr>\n<tr>");
        cell(b, "th", NULL, 1, 1, tmpl_ad_corner);
        for (int c = 0; c < TMPL_AD_COLS && first->cols[c].key; c++)
            if (first->cols[c].form & form)
                cell(b, "th", NULL, 1, 1, first->cols[c].head[fi]);
        buf_puts(b, "</tr>\n");
        for (; i < TMPL_AD_ROWS && strcmp(tmpl_ad_rows[i].item, first->item) == 0; i++) {
            const struct tmpl_ad_row *row = &tmpl_ad_rows[i];
            if (!(row->form & form))
                continue;
            buf_puts(b, "<tr>");
            cell(b, "td", "label", 1, 1, row->label[fi]);
            for (int c = 0; c < TMPL_AD_COLS && row->cols[c].key; c++)
                if (row->cols[c].form & form) {
                    char v[40];
                    render_ad_text(r, row, &row->cols[c], v, sizeof v);
                    cell(b, "td", NULL, 1, 1, v);
                }
            buf_puts(b, "</tr>\n");
        }
        buf_puts(b, "</table>\n");
    }
}

/* Section 三 in the official form: three label columns — the 三 heading
 * over every outcome row and the total, a group over its rows, the row's
 * own label — then the applicants, 法人或其他组织 over its five kinds. */
static void applications(struct buf *b, const struct report *r, unsigned form)
{
    const struct tmpl_app_row *rows[TMPL_APP_ROWS];
    int n = 0;
    for (int i = 0; i < TMPL_APP_ROWS; i++)
        if (tmpl_app_rows[i].form & form)
            rows[n++] = &tmpl_app_rows[i];
    buf_puts(b, "<table width=\"100%\" border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n<tr>");
    cell(b, "th", NULL, 3, 2, tmpl_app_corner);
    cell(b, "th", NULL, 1, 2, tmpl_app_columns[0].label);
    cell(b, "th", NULL, TMPL_APP_COLS - 2, 1, tmpl_app_org_group);
    cell(b, "th", NULL, 1, 2, tmpl_app_columns[TMPL_APP_COLS - 1].label);
    buf_puts(b, "</tr>\n<tr>");
    for (int c = 1; c < TMPL_APP_COLS - 1; c++)
        cell(b, "th", NULL, 1, 1, tmpl_app_columns[c].label);
    buf_puts(b, "</tr>\n");
    for (int i = 0; i < n; i++) {
        const struct tmpl_app_row *t = rows[i];
        bool in_results = t->kind == TMPL_OUTCOME || t->kind == TMPL_TOTAL;
        buf_puts(b, "<tr>");
        if (t->above) {
            int span = 0;
            for (int k = i; k < n && (rows[k]->kind == TMPL_OUTCOME || rows[k]->kind == TMPL_TOTAL); k++)
                span++;
            cell(b, "td", "label", 1, span, t->above);
        }
        if (!in_results) {
            cell(b, "td", "label", 3, 1, t->label);
        } else if (!t->group) {
            cell(b, "td", "label", 2, 1, t->label);
        } else {
            if (i == 0 || rows[i - 1]->group != t->group) {
                int span = 0;
                for (int k = i; k < n && rows[k]->group == t->group; k++)
                    span++;
                cell(b, "td", "label", 1, span, t->group);
            }
            cell(b, "td", "label", 1, 1, t->label);
        }
        int64_t v[TMPL_APP_COLS];
        render_app_values(r, t, v);
        for (int c = 0; c < TMPL_APP_COLS; c++)
            number(b, v[c]);
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</table>\n");
}

/* Section 四 in the official form: one row of fifteen numbers, 行政复议 over
 * its five, 行政诉讼 over ten, and under it each kind of lawsuit over five. */
static void reviews(struct buf *b, const struct report *r)
{
    buf_puts(b, "<table width=\"100%\" border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n<tr>");
    cell(b, "th", NULL, TMPL_RL_COLS, 1, tmpl_rl_rows[0].label);
    cell(b, "th", NULL, TMPL_RL_COLS * (TMPL_RL_ROWS - 1), 1, tmpl_rl_rows[1].group);
    buf_puts(b, "</tr>\n<tr>");
    for (int c = 0; c < TMPL_RL_COLS; c++)
        cell(b, "th", NULL, 1, 2, tmpl_rl_columns[c].label);
    for (int k = 1; k < TMPL_RL_ROWS; k++)
        cell(b, "th", NULL, TMPL_RL_COLS, 1, tmpl_rl_rows[k].label);
    buf_puts(b, "</tr>\n<tr>");
    for (int k = 1; k < TMPL_RL_ROWS; k++)
        for (int c = 0; c < TMPL_RL_COLS; c++)
            cell(b, "th", NULL, 1, 1, tmpl_rl_columns[c].label);
    buf_puts(b, "</tr>\n<tr>");
    for (int k = 0; k < TMPL_RL_ROWS; k++)
        for (int c = 0; c < TMPL_RL_COLS; c++)
            number(b, r->cases[k][c]);
    buf_puts(b, "</tr>\n</table>\n");
}

void document_html(const struct report *r, const char *name, const struct document_prose *p,
                   struct buf *out)
{
    unsigned form = r->template2021 ? TMPL_2021 : TMPL_2019;
    char title[512];
    snprintf(title, sizeof title, "%s%d年%s", name ? name : r->agency, r->year, tmpl_title_suffix);
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    buf_html_text(out, title);
    buf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", STYLE);
    buf_html_text(out, title);
    buf_puts(out, "</h1>\n");
    if (p && p->note && *p->note) {
        /* A correction (勘误) says what it corrects, where a reader sees it first. */
        buf_printf(out, "<p class=\"note\">第 %d 版说明：", p->release);
        buf_html_text(out, p->note);
        buf_puts(out, "</p>\n");
    }
    buf_puts(out, "<h2>");
    buf_html_text(out, tmpl_prose_section[0]);
    buf_puts(out, "</h2>\n");
    prose(out, p ? p->section[0] : NULL);
    buf_puts(out, "<h2>");
    buf_html_text(out, tmpl_section[0]);
    buf_puts(out, "</h2>\n");
    active(out, r, form);
    buf_puts(out, "<h2>");
    buf_html_text(out, tmpl_section[1]);
    buf_puts(out, "</h2>\n");
    applications(out, r, form);
    buf_puts(out, "<h2>");
    buf_html_text(out, tmpl_section[2]);
    buf_puts(out, "</h2>\n");
    reviews(out, r);
    for (int k = 1; k < 3; k++) {
        buf_puts(out, "<h2>");
        buf_html_text(out, tmpl_prose_section[k]);
        buf_puts(out, "</h2>\n");
        prose(out, p ? p->section[k] : NULL);
    }
    buf_puts(out, "</body>\n</html>\n");
}
