/* alloc — the one place where running out of memory is handled.
 *
 * Every allocation in gongkai goes through these wrappers. Out of memory is
 * not a condition we can serve through: they log and abort(), so callers never
 * check for NULL. Ownership is the caller's: free() what these return.
 */
#ifndef GK_ALLOC_H
#define GK_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* At most the first n bytes of the string s (as strndup: it stops at s's
 * NUL, so s may be shorter than n). */
char *xstrndup(const char *s, size_t n);
/* The n bytes at s, NUL-terminated (they may hold NULs themselves). */
char *xmemdup(const void *s, size_t n);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
