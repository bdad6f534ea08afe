/* htmltext — a report's HTML page as text (see htmltext.h). */
#include "htmltext.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "utf8.h"

int htmltext_is_html(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (i >= n || s[i] != '<')
        return 0;
    static const char *const starts[] = {"<!doctype", "<html", "<table", "<body", "<div", "<p", "<head",
                                         "<meta", "<!--", "<?xml"};
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        size_t l = strlen(starts[k]);
        if (n - i >= l && strncasecmp(s + i, starts[k], l) == 0)
            return 1;
    }
    return 0;
}

/* What the walk builds: the text so far, the block line being gathered,
 * and the row and cell being read. */
struct walk {
    struct buf out;
    struct buf line;  /* text outside tables, up to the next block boundary */
    struct buf cell;  /* the cell being read */
    struct buf row;   /* the cells of the row so far, tab-separated */
    int in_cell, in_row, cells;
};

/* Appends s to b with whitespace runs (ASCII, U+00A0, U+3000) as one space. */
static void put_text(struct buf *b, const char *s)
{
    int space = b->len > 0 && b->data[b->len - 1] == ' ';
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t k = 0;
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
            k = 1;
        else if (p[0] == 0xC2 && p[1] == 0xA0)
            k = 2;
        else if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
            k = 3;
        if (k) {
            if (!space && b->len)
                buf_putc(b, ' ');
            space = 1;
            p += k;
        } else {
            buf_putc(b, (char)*p++);
            space = 0;
        }
    }
}

/* Drops each space that stands between two non-ASCII characters: HTML
 * source breaks lines between tags and inside Chinese text, where a browser
 * shows nothing ("重新出<br>\n具已获取信息" is one label). */
static void squeeze_cjk_spaces(struct buf *b)
{
    size_t o = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == ' ' && o > 0 && (unsigned char)b->data[o - 1] >= 0x80 && i + 1 < b->len &&
            (unsigned char)b->data[i + 1] >= 0x80)
            continue;
        b->data[o++] = b->data[i];
    }
    b->len = o;
}

/* b's text, trimmed, appended to out (and b emptied). */
static void take_trimmed(struct buf *out, struct buf *b)
{
    squeeze_cjk_spaces(b);
    size_t s = 0, e = b->len;
    while (s < e && b->data[s] == ' ')
        s++;
    while (e > s && b->data[e - 1] == ' ')
        e--;
    if (e > s)
        buf_append(out, b->data + s, e - s);
    buf_reset(b);
}

static void end_line(struct walk *w)
{
    size_t before = w->out.len;
    take_trimmed(&w->out, &w->line);
    if (w->out.len > before)
        buf_putc(&w->out, '\n');
}

static void end_cell(struct walk *w)
{
    if (!w->in_cell)
        return;
    if (w->cells++)
        buf_putc(&w->row, '\t');
    take_trimmed(&w->row, &w->cell);
    w->in_cell = 0;
}

static void end_row(struct walk *w)
{
    end_cell(w);
    if (w->in_row && w->cells) {
        buf_append(&w->out, w->row.data, w->row.len);
        buf_putc(&w->out, '\n');
    }
    buf_reset(&w->row);
    w->in_row = 0, w->cells = 0;
}

static int is(const xmlNode *n, const char *name)
{
    return n->name && strcasecmp((const char *)n->name, name) == 0;
}

/* Elements that end a line of text before and after them. */
static int block(const xmlNode *n)
{
    static const char *const names[] = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
                                        "dl", "dt", "dd", "table", "section", "article", "header",
                                        "footer", "blockquote", "pre", "center", "form", "title",
                                        "caption", "hr", "tbody", "thead", "tfoot", "body", "html"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (is(n, names[k]))
            return 1;
    return 0;
}

static void walk_nodes(struct walk *w, xmlNode *n, int depth);

static void walk_element(struct walk *w, xmlNode *n, int depth)
{
    if (is(n, "script") || is(n, "style") || is(n, "noscript") || is(n, "template") || is(n, "svg") ||
        is(n, "select") || is(n, "button") || is(n, "iframe"))
        return;
    if (is(n, "head")) {
        /* Only the page's title: it often names the report and its year. */
        for (xmlNode *c = n->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && is(c, "title"))
                walk_element(w, c, depth + 1);
        return;
    }
    if (is(n, "tr")) {
        end_line(w);
        end_row(w);
        w->in_row = 1;
        walk_nodes(w, n->children, depth + 1);
        end_row(w);
        return;
    }
    if ((is(n, "td") || is(n, "th")) && !w->in_cell) {
        if (!w->in_row) { /* a cell outside any row: a row of its own */
            end_line(w);
            w->in_row = 1;
        }
        end_cell(w);
        w->in_cell = 1;
        walk_nodes(w, n->children, depth + 1);
        end_cell(w);
        return;
    }
    if (w->in_cell) {
        /* Inside a cell, paragraphs and breaks join: a label wrapped over two
         * lines stays one label. Between two Latin words, a space. */
        walk_nodes(w, n->children, depth + 1);
        return;
    }
    if (is(n, "br")) {
        end_line(w);
        return;
    }
    int b = block(n);
    if (b)
        end_line(w);
    walk_nodes(w, n->children, depth + 1);
    if (b) {
        end_line(w);
        if (is(n, "table"))
            end_row(w);
    }
}

static void walk_nodes(struct walk *w, xmlNode *n, int depth)
{
    if (depth > 256) /* nesting deeper than any page: the rest is left out */
        return;
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            walk_element(w, n, depth);
        } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
            put_text(w->in_cell ? &w->cell : &w->line, (const char *)n->content);
        }
    }
}

/* The charset a page not in UTF-8 declares (<meta charset=…>, or
 * content="…; charset=…") in its first 4 KiB, into out; else GB18030, the
 * superset of what Chinese sites use (GB2312, GBK). */
static void declared_charset(const char *s, size_t n, char *out, size_t cap)
{
    snprintf(out, cap, "GB18030");
    size_t lim = n < 4096 ? n : 4096;
    for (size_t i = 0; i + 8 < lim; i++) {
        if (strncasecmp(s + i, "charset=", 8) != 0)
            continue;
        size_t j = i + 8;
        if (j < lim && (s[j] == '"' || s[j] == '\''))
            j++;
        size_t k = 0;
        char cs[32];
        while (j < lim && k + 1 < sizeof cs && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '_'))
            cs[k++] = s[j++];
        cs[k] = '\0';
        if (k) {
            /* GB2312 and GBK pages use GBK's characters in practice. */
            snprintf(out, cap, "%s",
                     strcasecmp(cs, "gb2312") == 0 || strcasecmp(cs, "gbk") == 0 ? "GB18030" : cs);
        }
        return;
    }
}

char *htmltext_to_text(const char *html, size_t n, size_t *out_len)
{
    /* Bytes that are UTF-8 are read as UTF-8 whatever a stale <meta> says
     * (a page saved by a browser is re-encoded, its meta often not). */
    char enc[32] = "UTF-8";
    if (!utf8_valid(html, n))
        declared_charset(html, n, enc, sizeof enc);
    if (n > (size_t)INT32_MAX)
        return NULL;
    htmlDocPtr doc = htmlReadMemory(html, (int)n, NULL, enc,
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
    if (!doc)
        return NULL;
    struct walk w = {0};
    walk_nodes(&w, xmlDocGetRootElement(doc), 0);
    end_row(&w);
    end_line(&w);
    xmlFreeDoc(doc);
    buf_free(&w.line);
    buf_free(&w.cell);
    buf_free(&w.row);
    buf_putc(&w.out, '\0');
    *out_len = w.out.len - 1;
    return w.out.data;
}
