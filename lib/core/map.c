/* map — linear-probing table of key128 → inline value (see map.h). */
#include "map.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct map {
    size_t value_size;  /* bytes of value per slot */
    size_t slot_size;   /* key + value, rounded to 8 */
    size_t cap;         /* slots, a power of two */
    size_t count;       /* occupied slots */
    unsigned char *slots;
};

#define SLOT(m, i) ((m)->slots + (i) * (m)->slot_size)

struct map *map_new(size_t value_size)
{
    struct map *m = xcalloc(1, sizeof *m);
    m->value_size = value_size;
    m->slot_size = (sizeof(struct key128) + value_size + 7) & ~(size_t)7;
    m->cap = 16;
    m->slots = xcalloc(m->cap, m->slot_size);
    return m;
}

void map_destroy(struct map **pm)
{
    if (!*pm)
        return;
    free((*pm)->slots);
    free(*pm);
    *pm = NULL;
}

static size_t find(const struct map *m, struct key128 k)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)(k.a ^ (k.b >> 7)) & mask;
    for (;;) {
        const struct key128 *s = (const struct key128 *)SLOT(m, i);
        if ((s->a == k.a && s->b == k.b) || (!s->a && !s->b))
            return i;
        i = (i + 1) & mask;
    }
}

void *map_get(const struct map *m, struct key128 k)
{
    size_t i = find(m, k);
    struct key128 *s = (struct key128 *)SLOT(m, i);
    if (!s->a && !s->b)
        return NULL;
    return (unsigned char *)s + sizeof *s;
}

static void resize(struct map *m, size_t cap)
{
    struct map old = *m;
    m->cap = cap;
    m->slots = xcalloc(m->cap, m->slot_size);
    for (size_t i = 0; i < old.cap; i++) {
        struct key128 *s = (struct key128 *)SLOT(&old, i);
        if (!s->a && !s->b)
            continue;
        memcpy(SLOT(m, find(m, *s)), s, m->slot_size);
    }
    free(old.slots);
}

void *map_put(struct map *m, struct key128 k, int *created)
{
    assert(k.a || k.b);
    /* Load factor ≤ 0.75 keeps probes short and memory per entry small. */
    if ((m->count + 1) * 4 > m->cap * 3)
        resize(m, m->cap * 2);
    size_t i = find(m, k);
    struct key128 *s = (struct key128 *)SLOT(m, i);
    int fresh = !s->a && !s->b;
    if (fresh) {
        *s = k;
        memset((unsigned char *)s + sizeof *s, 0, m->value_size);
        m->count++;
    }
    if (created)
        *created = fresh;
    return (unsigned char *)s + sizeof *s;
}

void map_reserve(struct map *m, size_t n)
{
    size_t cap = m->cap;
    while (n * 4 > cap * 3)
        cap *= 2;
    if (cap != m->cap)
        resize(m, cap);
}

void map_clear(struct map *m)
{
    memset(m->slots, 0, m->cap * m->slot_size);
    m->count = 0;
}

size_t map_count(const struct map *m)
{
    return m->count;
}

size_t map_bytes(const struct map *m)
{
    return m->cap * m->slot_size + sizeof *m;
}

void *map_next(const struct map *m, size_t *i, struct key128 *k)
{
    for (; *i < m->cap; (*i)++) {
        struct key128 *s = (struct key128 *)SLOT(m, *i);
        if (s->a || s->b) {
            if (k)
                *k = *s;
            (*i)++;
            return (unsigned char *)s + sizeof *s;
        }
    }
    return NULL;
}
