/* convert — the annual report's HTML document as DOCX or PDF, by LibreOffice
 * (soffice, headless), a converter Word and every office suite agree with:
 * tables with their merged cells, headings as Word headings, A4, the CJK
 * fonts the system has (Debian: fonts-noto-cjk).
 *
 * Runs one soffice process in a private temporary directory (its own
 * profile, so it never meets a desktop session's), bounded by
 * CONVERT_TIMEOUT_S. Not pure, unlike the rest of lib/report: it spawns a
 * process and writes a temporary directory. Thread-safe (each call has its
 * own directory and profile): `gongkai document` and the aggregator's
 * document.docx/.pdf routes (on its worker threads) use it.
 */
#ifndef GK_CONVERT_H
#define GK_CONVERT_H

#include <stddef.h>

#include "buf.h"

#define CONVERT_TIMEOUT_S 120

/* html[0..n) → format ("docx" or "pdf") appended to out. 0; -2 when there
 * is no converter to run (why says what to install); -1 when it failed (why:
 * what soffice said). The converter is $GONGKAI_SOFFICE, else soffice on
 * PATH. */
int convert_document(const char *html, size_t n, const char *format, struct buf *out, char *why,
                     size_t why_cap);

/* A PDF's text as poppler's pdftotext gives it in reading order (-raw: a
 * table row's cells on one line, a wrapped label over several), appended
 * to out: 0; -2 when there is no pdftotext (why: what to install); -1 when
 * it failed (why). The binary is $GONGKAI_PDFTOTEXT, else pdftotext on PATH
 * (Debian: poppler-utils). */
int convert_pdf_text(const char *pdf, size_t n, struct buf *out, char *why, size_t why_cap);
/* 1 when data starts as a PDF does ("%PDF-"). */
int convert_is_pdf(const char *data, size_t n);

#endif
