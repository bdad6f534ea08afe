/* render — a report as JSON (spec/report.md), CSV, Markdown or text.
 *
 * The JSON follows the contract key for key. CSV, Markdown and text lay out
 * the same numbers as the official tables, with the official row and column
 * labels (simplified characters) in report order, from one layout table, so
 * the three cannot disagree. `now_us` decides "as_of" and "final": a year
 * that has ended is final, as of 1 January 00:00 Beijing time of the next.
 */
#ifndef GK_RENDER_H
#define GK_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tables.h"

enum render_format { FORMAT_JSON, FORMAT_CSV, FORMAT_MD, FORMAT_TEXT, FORMAT_HTML };

/* "json", "csv", "md", "text", "html" (the document: document.h) → format;
 * -1 when unknown. */
int render_parse_format(const char *s);
/* "filed" / "handled" → rule; -1 when unknown. */
int render_parse_case_rule(const char *s);
/* MIME type for HTTP. */
const char *render_content_type(enum render_format f);

/* Appends r in format f to out. name: the agency's display name, or NULL. */
void render_report(const struct report *r, const char *name, enum render_format f, int64_t now_us,
                   struct buf *out);

/* The tables' digest: SHA-256 (hex) of r as JSON with no name and a fixed
 * clock, so equal numbers (same agency, year, template and case rule) give
 * equal digests in any process. A release records it; the live report is
 * compared with it (changed_since_release). */
void render_tables_sha256(const struct report *r, char hex[65]);

/* The live report JSON (render_report, FORMAT_JSON) told about the agency's
 * newest release of that year: `"released": N, "changed_since_release": B`
 * added as its last two keys. json must be what render_report wrote. */
void render_json_release(struct buf *json, int release, int changed);

/* Cells as the layouts print them, for document.c: the seven values of an
 * application row (six kinds, then the total), and a section 二 cell as text
 * (an integer, or 万元 with two decimals). */
struct tmpl_app_row;
struct tmpl_ad_row;
struct tmpl_ad_col;
void render_app_values(const struct report *r, const struct tmpl_app_row *t, int64_t *v);
void render_ad_text(const struct report *r, const struct tmpl_ad_row *row,
                    const struct tmpl_ad_col *col, char *out, size_t cap);

#endif
