/* map — open-addressing hash table from 128-bit keys to fixed-size values.
 *
 * Values live inline in the table (no per-entry allocation), so pointers
 * returned by map_get/map_put stay valid only until the next map_put (which
 * may grow the table). Keys are struct key128 (hash.h); (0,0) is reserved.
 * Entries are never removed: the state this holds only grows.
 */
#ifndef GK_MAP_H
#define GK_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct map;

/* value_size bytes of value per entry, zero-filled on insertion. */
struct map *map_new(size_t value_size);
void map_destroy(struct map **pm);
/* The value for k, or NULL. */
void *map_get(const struct map *m, struct key128 k);
/* The value for k, inserted zero-filled when absent; *created tells which. */
void *map_put(struct map *m, struct key128 k, int *created);
/* Grows the table once so that n entries fit (loading a checkpoint). */
void map_reserve(struct map *m, size_t n);
/* Empties the table, keeping its memory. */
void map_clear(struct map *m);
size_t map_count(const struct map *m);
/* Bytes held by the table (for the memory figures of the benchmark). */
size_t map_bytes(const struct map *m);
/* Iteration: i from 0 while map_next returns non-NULL. */
void *map_next(const struct map *m, size_t *i, struct key128 *k);

#endif
