/* reportimport — a published annual report's text → the contract's JSON.
 *
 * Given the report's HTML page instead (by content: htmltext_is_html), it
 * reads the page's text as htmltext.h writes it, then that text.
 *
 * Reads the text of a 政府信息公开工作年度报告 as copied from a web page:
 * simplified or traditional characters, full- or half-width punctuation, the
 * tables of sections 二, 三 and 四 flattened one cell per line or printed as
 * rows (cells separated by spaces, by single tabs as a browser copies them,
 * or by Markdown's |; section 四 also transposed, a row per kind of case, as
 * `gongkai report --format text|md` prints it).
 *
 * Produces the report in the form of spec/report.md: rows in template order,
 * blank cells as null, a cell annotation such as "590(办结数)" kept as the
 * number with the annotation in a top-level "notes" object keyed by cell
 * ("active_disclosure.licensing.decisions": "办结数"), money kept as printed
 * (a decimal string, every decimal, separators dropped), an amount printed
 * in 元 shifted exactly to 万元 with the printed text as its note. Row objects
 * carry the label as printed (normalised); "name" is the title's text before
 * the year, as printed.
 *
 * The template is detected from the text: section 二's column labels
 * (本年新制作数量 … vs 本年制发件数 …) and section 三's (六)其他处理 (one row
 * vs three). Each section is read in the form it is printed in, so a report
 * that mixes the two keeps its mixture for `gongkai check` to point out; the
 * "template" field is "2021" when either section has the 2021 form.
 *
 * Pure: no I/O, no global state of its own (libxml2 initialises itself once).
 */
#ifndef GK_REPORTIMPORT_H
#define GK_REPORTIMPORT_H

#include <jansson.h>
#include <stddef.h>

/* The most a report file given to `gongkai import-report` or `gongkai check`
 * may hold: a report page with its site around it is a few hundred KiB; a
 * larger input is refused with this limit named, and memory stays bounded. */
#define REPORT_FILE_MAX (8u << 20)

struct reportimport_options {
    const char *agency;    /* agency code; NULL → "unknown" */
    int year;              /* 0 → from the title (e.g. "…2019年…年度报告") */
    const char *case_rule; /* NULL → "filed"; a published report never says */
};

struct reportimport_error {
    int line;      /* 1-based line of the text the problem is at */
    char *message; /* owned; "line N: …" */
};

/* Parses text[0..len). Returns a new report (the caller's: json_decref) or
 * NULL with *err filled in (release with reportimport_error_clear). */
json_t *reportimport_parse(const char *text, size_t len,
                           const struct reportimport_options *opt,
                           struct reportimport_error *err);

void reportimport_error_clear(struct reportimport_error *err);

/* The normalisation labels are matched after, exposed for tests: invalid
 * UTF-8 → U+FFFD, full-width ASCII → ASCII, ideographic and no-break spaces
 * → space, the traditional forms of the characters of the official labels →
 * simplified, and a few regional wordings (規範性檔案 → 规范性文件).
 * Returns a new string. */
char *reportimport_normalize(const char *s, size_t len);

#endif
