/* document — the annual report as one self-contained HTML page, in the
 * official structure (国办公开办函〔2019〕60号 / 〔2021〕30号): the title as
 * the official report has it, sections 一 to 六 with their headings, the
 * tables of 二, 三 and 四 with the official header spans (法人或其他组织 over
 * its five columns; 行政复议 and 行政诉讼, and under it 未经复议直接起诉 and
 * 复议后起诉, each over five), Chinese labels only, print-friendly CSS.
 * Rows, columns and labels come from template.h. The prose sections (一, 五,
 * 六) are Markdown (CommonMark, rendered by cmark in safe mode: raw HTML
 * and script links in them are not passed through); an empty one keeps its
 * heading.
 *
 * Pure: appends to out, no I/O, no state.
 */
#ifndef GK_DOCUMENT_H
#define GK_DOCUMENT_H

#include "buf.h"
#include "tables.h"

/* The prose of sections 一, 五 and 六 (Markdown, UTF-8; NULL or "" for an
 * empty section). Not owned. */
struct document_prose {
    const char *section[3];
    /* A release's note ("勘误：…"), printed under the title with the release's
     * number; NULL or "" for none. Plain text. */
    const char *note;
    int release;
};

/* Appends the page for r. name: the agency's registered name (the title
 * uses it), or NULL for its code. prose may be NULL (all empty). */
void document_html(const struct report *r, const char *name, const struct document_prose *prose,
                   struct buf *out);

#endif
