/* narrative — the annual report's prose sections in PostgreSQL (sql/010):
 * 一 总体情况, 五 存在的主要问题及改进情况 and 六 其他需要报告的事项, per
 * agency and year, Markdown, versioned (each write is the next version; none
 * is ever changed).
 *
 * Shared by `gongkai narrative`, `gongkai document` and the aggregator's cold
 * routes. The caller owns the connection and uses it from one thread at a
 * time; nothing here keeps state.
 */
#ifndef GK_NARRATIVE_H
#define GK_NARRATIVE_H

#include <libpq-fe.h>
#include <stddef.h>

#define NARRATIVE_MAX 65536 /* bytes of one section's Markdown (sql/010 checks it too) */
#define NARRATIVE_WHO_MAX 64 /* bytes of written_by kept */

struct narrative {
    int section;
    int version;      /* 0: never written (body "") */
    char *body;       /* owned, Markdown, NUL-terminated, never NULL after narrative_get */
    char written_by[NARRATIVE_WHO_MAX + 1];
    char written_at[32]; /* ISO 8601 UTC ("2020-01-15T08:00:00Z"); "" when version is 0 */
};

/* 1 for the sections that hold prose: 1, 5 and 6. */
int narrative_section_valid(long section);
/* The section number from its text ("1", "5", "6"): 0, or -1 with why. */
int narrative_section_parse(const char *text, int *section, char *why, size_t why_cap);
/* text (n bytes) as a section's body: valid UTF-8, no NUL, at most
 * NARRATIVE_MAX bytes. 0, or -1 with why (naming the byte offset). */
int narrative_text_check(const char *text, size_t n, char *why, size_t why_cap);

/* Stores text (checked by the caller) as the section's next version, written
 * by who; *version set. DB_OK, or DB_RETRY / DB_FATAL (db.h; logged). A
 * concurrent writer of the same section is waited for, not failed. */
int narrative_set(PGconn *c, const char *agency, int year, int section, const char *text,
                  const char *who, int *version);
/* Reads a section: version 0 for the newest (out->version 0 and body "" when
 * none was written). DB_OK; 1 when a version > 0 was asked and does not
 * exist; DB_RETRY / DB_FATAL (logged). out is cleared first. */
int narrative_get(PGconn *c, const char *agency, int year, int section, int version,
                  struct narrative *out);
/* Frees out->body; out may be reused. */
void narrative_clear(struct narrative *out);

#endif
