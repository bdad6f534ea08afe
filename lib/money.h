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

#endif
