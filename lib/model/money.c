/* money — fen → 万元 text (see money.h). */
#include "money.h"

#include <stdio.h>

void money_wan_yuan(int64_t fen, char *buf, size_t cap)
{
    int neg = fen < 0;
    uint64_t f = neg ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    uint64_t hundredths = (f + 5000) / 10000; /* half up, on the magnitude */
    snprintf(buf, cap, "%s%llu.%02llu", neg && hundredths ? "-" : "",
             (unsigned long long)(hundredths / 100), (unsigned long long)(hundredths % 100));
}
