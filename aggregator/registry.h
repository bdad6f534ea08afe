/* registry — the agency registry (table agency) as the aggregator sees it:
 * display names and the hierarchy that ?scope=subtree sums over.
 *
 * registry_refresh() re-reads the table when agency_version has moved and
 * swaps the new copy in under agg's write lock, so a change in the hierarchy
 * takes effect within a second, without a restart. Readers hold agg's read
 * lock while they use the pointers these functions return.
 */
#ifndef GK_REGISTRY_H
#define GK_REGISTRY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct registry;

/* Re-reads the registry if it changed; 0, or -1 on a database error. */
struct agg;
int registry_refresh(struct agg *st, PGconn *c);
/* The display name of a registered agency, or NULL. */
const char *registry_name(const struct registry *r, const char *code);
/* code and every registered descendant, in *out (caller frees the array, not
 * the strings, which live in r). Returns the count (≥ 1). */
size_t registry_subtree(const struct registry *r, const char *code, const char ***out);
void registry_destroy(struct registry **pr);

#endif
