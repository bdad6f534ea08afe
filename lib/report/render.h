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

#include <stdint.h>

#include "buf.h"
#include "tables.h"

enum render_format { FORMAT_JSON, FORMAT_CSV, FORMAT_MD, FORMAT_TEXT };

/* "json", "csv", "md", "text" → format; -1 when unknown. */
int render_parse_format(const char *s);
/* "filed" / "handled" → rule; -1 when unknown. */
int render_parse_case_rule(const char *s);
/* MIME type for HTTP. */
const char *render_content_type(enum render_format f);

/* Appends r in format f to out. name: the agency's display name, or NULL. */
void render_report(const struct report *r, const char *name, enum render_format f, int64_t now_us,
                   struct buf *out);

#endif
