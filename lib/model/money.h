/* money — integer fen, shown as 万元 (10,000 yuan) with two decimals.
 *
 * Money is never a float: 1 万元 = 1,000,000 fen, so the two decimals are
 * units of 10,000 fen, rounded half up from the exact sum. */
#ifndef GK_MONEY_H
#define GK_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* 6021700000 → "6021.70"; buf ≥ 32 bytes. */
void money_wan_yuan(int64_t fen, char *buf, size_t cap);

/* a + b, checked: saturates at INT64_MIN / INT64_MAX instead of wrapping and
 * counts the saturation in *overflows (may be NULL). Intake keeps every
 * agency-year sum within EV_SUM_MAX (event.h), so this only guards a log
 * written before that rule and roll-ups of more than 1,024 agencies at it. */
static inline int64_t money_add(int64_t a, int64_t b, uint64_t *overflows)
{
    int64_t s;
    if (!__builtin_add_overflow(a, b, &s))
        return s;
    if (overflows)
        ++*overflows;
    return b > 0 ? INT64_MAX : INT64_MIN;
}

#endif
