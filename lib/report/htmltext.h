/* htmltext — a report's HTML page as the text the importer reads.
 *
 * Real reports are most often had as the web page itself (saved, or fetched),
 * with the site around them. This parses the page with libxml2's HTML parser
 * (tolerant of what real sites write: unclosed tags, GB2312/GBK pages with a
 * <meta charset>, entities, &nbsp;) and writes its text the way a browser's
 * copy would, only cleaner: one line per block of text (headings,
 * paragraphs), one line per table row with its cells separated by tabs, a
 * cell's own paragraphs and line breaks joined inside it (so a label wrapped
 * over two lines stays one label, and a <p> in a cell is no blank cell);
 * whitespace runs, &nbsp; and U+3000 as one space; scripts, styles and the
 * <head> (but its <title>) left out. Rowspan and colspan cells appear once, in
 * the row they start in, as in a browser's copy.
 *
 * Pure and thread-safe (libxml2's parser is, once initialised).
 */
#ifndef GK_HTMLTEXT_H
#define GK_HTMLTEXT_H

#include <stddef.h>

/* 1 when s[0..n) is an HTML page or fragment rather than text: its first
 * non-blank character (after a BOM) is '<' and a tag the page format has
 * (<html, <!doctype, <table, <body, <div, <p) starts there. */
int htmltext_is_html(const char *s, size_t n);
/* The page's text (UTF-8, NUL-terminated, *out_len bytes); the caller
 * frees it. NULL when libxml2 cannot make a document of it at all. */
char *htmltext_to_text(const char *html, size_t n, size_t *out_len);

#endif
