/* tables — counting rules: metrics per agency and year (see tables.h). */
#include "tables.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "day.h"
#include "hash.h"
#include "money.h"

/* Storage is sparse, so that memory follows what is counted (issue 24):
 * an agency holds a block only for the years it has a metric in (not the
 * whole span between its first and last: one event in 1991 and one in 2099
 * used to cost 109 years of every metric), and a block holds only the
 * metrics that were ever added to, as sorted pairs (metric, value): a real
 * agency-year touches some tens of the M_COUNT metrics. A metric whose
 * value went back to 0 keeps its pair; tables_foreach skips zeros. */
struct yblock {
    int16_t year;
    uint8_t n, cap;          /* pairs held, room (M_COUNT < 256) */
    int64_t *val;            /* cap values, then cap metric ids (bytes), ascending: ids(b) */
};

static uint8_t *ids(const struct yblock *b)
{
    return b->val ? (uint8_t *)(b->val + b->cap) : NULL; /* NULL + 0 is undefined */
}
_Static_assert(M_COUNT < 256, "metric ids are bytes");

struct agency_tab {
    struct yblock *y;        /* ascending years */
    uint32_t n, cap;
};

struct tables {
    struct agency_tab *ag;  /* by ledger agency id */
    uint32_t nag;
    uint64_t overflows;     /* additions that saturated (money_add) */
    size_t bytes;           /* held by blocks and pairs */
};

#define NO_YEAR 0 /* an open interval's end */

struct tables *tables_new(void)
{
    return xcalloc(1, sizeof(struct tables));
}

static void agency_free(struct agency_tab *a)
{
    for (uint32_t i = 0; i < a->n; i++)
        free(a->y[i].val);
    free(a->y);
    *a = (struct agency_tab){NULL, 0, 0};
}

void tables_destroy(struct tables **pt)
{
    struct tables *t = *pt;
    if (!t)
        return;
    for (uint32_t i = 0; i < t->nag; i++)
        agency_free(&t->ag[i]);
    free(t->ag);
    free(t);
    *pt = NULL;
}

/* The agency's block of year, or NULL; with create, made if missing. */
static struct yblock *block(struct tables *t, uint32_t agency, int year, bool create)
{
    assert(year >= YEAR_MIN && year <= YEAR_MAX);
    if (agency >= t->nag) {
        if (!create)
            return NULL;
        uint32_t n = t->nag ? t->nag : 16;
        while (n <= agency)
            n *= 2;
        t->ag = xrealloc(t->ag, n * sizeof *t->ag);
        memset(t->ag + t->nag, 0, (n - t->nag) * sizeof *t->ag);
        t->bytes += (n - t->nag) * sizeof *t->ag;
        t->nag = n;
    }
    struct agency_tab *a = &t->ag[agency];
    uint32_t lo = 0, hi = a->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (a->y[mid].year < year)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < a->n && a->y[lo].year == year)
        return &a->y[lo];
    if (!create)
        return NULL;
    if (a->n == a->cap) {
        uint32_t cap = a->cap ? 2 * a->cap : 2;
        a->y = xrealloc(a->y, cap * sizeof *a->y);
        t->bytes += (cap - a->cap) * sizeof *a->y;
        a->cap = cap;
    }
    memmove(&a->y[lo + 1], &a->y[lo], (a->n - lo) * sizeof *a->y);
    a->y[lo] = (struct yblock){(int16_t)year, 0, 0, NULL};
    a->n++;
    return &a->y[lo];
}

/* The value of metric in b, added as 0 if missing. Room grows 8 pairs at a
 * time: a real agency-year holds some tens, and doubling would waste half. */
static int64_t *pair(struct tables *t, struct yblock *b, int metric)
{
    uint8_t *id = ids(b);
    unsigned lo = 0, hi = b->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (id[mid] < metric)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->n && id[lo] == metric)
        return &b->val[lo];
    if (b->n == b->cap) {
        unsigned cap = b->cap + 8u > M_COUNT ? M_COUNT : b->cap + 8u;
        int64_t *val = xmalloc(cap * (sizeof *val + 1));
        if (b->n) {
            memcpy(val, b->val, b->n * sizeof *val);
            memcpy(val + cap, id, b->n);
        }
        free(b->val);
        t->bytes += (cap - b->cap) * (sizeof *val + 1);
        b->val = val, b->cap = (uint8_t)cap;
        id = ids(b);
    }
    memmove(&b->val[lo + 1], &b->val[lo], (b->n - lo) * sizeof *b->val);
    memmove(&id[lo + 1], &id[lo], b->n - lo);
    b->val[lo] = 0;
    id[lo] = (uint8_t)metric;
    b->n++;
    return &b->val[lo];
}

void tables_add(struct tables *t, uint32_t agency, int year, int metric, int64_t delta)
{
    assert(metric >= 0 && metric < M_COUNT);
    if (delta) {
        int64_t *v = pair(t, block(t, agency, year, true), metric);
        *v = money_add(*v, delta, &t->overflows);
    }
}

/* +sign over years [from, until): until NO_YEAR is open-ended. */
static void interval(struct tables *t, uint32_t agency, int metric, int from, int until, int sign)
{
    if (until != NO_YEAR && until <= from)
        return;
    tables_add(t, agency, from, metric, sign);
    if (until != NO_YEAR)
        tables_add(t, agency, until, metric, -sign);
}

static int yr(int32_t day)
{
    return day_year(day);
}

static void contribute(struct tables *t, uint32_t ag, const struct ent *x, int s)
{
    switch (x->kind) {
    case ENT_APP: {
        int col = x->a - 1;
        tables_add(t, ag, yr(x->d[0]), M_APP_RECEIVED + col, s);
        if (x->d[1])
            tables_add(t, ag, yr(x->d[1]), M_APP_RESOLVED + (x->b - 1) * N_COLS + col, s);
        break;
    }
    case ENT_DOC: {
        int base = M_DOC + (x->a - 1) * 5;
        int32_t out = x->d[2] && (!x->d[3] || x->d[2] < x->d[3]) ? x->d[2] : x->d[3];
        int out_y = out ? yr(out) : NO_YEAR;
        if (x->d[0]) {
            tables_add(t, ag, yr(x->d[0]), base + DOC_ISSUED, s);
            interval(t, ag, base + DOC_IN_FORCE_DELTA, yr(x->d[0]), out_y, s);
        }
        if (x->d[1]) {
            tables_add(t, ag, yr(x->d[1]), base + DOC_PUBLISHED, s);
            interval(t, ag, base + DOC_PUBLISHED_DELTA, yr(x->d[1]), out_y, s);
        }
        if (x->d[2])
            tables_add(t, ag, yr(x->d[2]), base + DOC_REPEALED, s);
        break;
    }
    case ENT_ITEM:
        if (x->d[0])
            interval(t, ag, M_ITEM + x->a - 1, yr(x->d[0]), x->d[1] ? yr(x->d[1]) : NO_YEAR, s);
        break;
    case ENT_PROC:
        tables_add(t, ag, yr(x->d[0]), M_PROC_COUNT, s);
        tables_add(t, ag, yr(x->d[0]), M_PROC_FEN, s * ent_amount(x));
        break;
    case ENT_CASE: {
        int row;
        if (x->a == CASE_REVIEW)
            row = ROW_REVIEW;
        else if (x->flags & CASE_AS_REVIEW_BODY)
            return; /* counted by the original agency alone (国办公开办函〔2016〕201号) */
        else
            row = x->b == ROUTE_DIRECT ? ROW_LITIGATION_DIRECT : ROW_LITIGATION_AFTER_REVIEW;
        int base = M_CASE + row * 8;
        int fy = yr(x->d[0]);
        if (x->d[1]) {
            int dy = yr(x->d[1]);
            int col = x->c - 1; /* upheld, corrected, other */
            tables_add(t, ag, fy, base + (dy == fy ? CASE_FILED_UPHELD + col : CASE_FILED_PENDING), s);
            tables_add(t, ag, dy, base + CASE_DECIDED_UPHELD + col, s);
            interval(t, ag, base + CASE_PENDING_DELTA, fy, dy, s);
        } else {
            tables_add(t, ag, fy, base + CASE_FILED_PENDING, s);
            interval(t, ag, base + CASE_PENDING_DELTA, fy, NO_YEAR, s);
        }
        break;
    }
    default:
        break;
    }
}

void tables_apply(struct tables *t, const struct ledger_change *c)
{
    const struct ev *e = c->ev;
    if (e->type == EV_DECISION_MADE) {
        tables_add(t, c->agency, yr(e->day), M_DECISION + e->decision_kind - 1, e->count);
        return;
    }
    if (e->type == EV_FEE_COLLECTED) {
        tables_add(t, c->agency, yr(e->day), M_FEE_FEN, e->amount_fen);
        return;
    }
    if (c->before.kind != ENT_NONE)
        contribute(t, c->agency, &c->before, -1);
    if (c->after.kind != ENT_NONE)
        contribute(t, c->agency, &c->after, +1);
}

void tables_merge(struct tables *dst, const struct tables *src)
{
    for (uint32_t a = 0; a < src->nag; a++) {
        const struct agency_tab *s = &src->ag[a];
        for (uint32_t y = 0; y < s->n; y++)
            for (unsigned k = 0; k < s->y[y].n; k++)
                tables_add(dst, a, s->y[y].year, ids(&s->y[y])[k], s->y[y].val[k]);
    }
}

void tables_foreach(const struct tables *t,
                    void (*fn)(void *arg, uint32_t agency, int year, int metric, int64_t value),
                    void *arg)
{
    for (uint32_t a = 0; a < t->nag; a++) {
        const struct agency_tab *s = &t->ag[a];
        for (uint32_t y = 0; y < s->n; y++)
            for (unsigned k = 0; k < s->y[y].n; k++)
                if (s->y[y].val[k])
                    fn(arg, a, s->y[y].year, ids(&s->y[y])[k], s->y[y].val[k]);
    }
}

void tables_clear(struct tables *t)
{
    for (uint32_t a = 0; a < t->nag; a++)
        agency_free(&t->ag[a]);
    t->bytes = t->nag * sizeof *t->ag;
}

int tables_has_agency(const struct tables *t, uint32_t agency)
{
    return agency < t->nag && t->ag[agency].n > 0;
}

int tables_year_range(const struct tables *t, uint32_t agency, int *lo, int *hi)
{
    if (!tables_has_agency(t, agency))
        return 0;
    *lo = t->ag[agency].y[0].year;
    *hi = t->ag[agency].y[t->ag[agency].n - 1].year;
    return 1;
}

static char *names[M_COUNT];

static void build_names(void)
{
    static const char *doc_parts[] = {"issued", "published", "published_delta", "in_force_delta",
                                      "repealed"};
    static const char *case_rows[] = {"review", "litigation_direct", "litigation_after_review"};
    static const char *case_parts[] = {"filed.upheld", "filed.corrected", "filed.other",
                                       "filed.pending", "decided.upheld", "decided.corrected",
                                       "decided.other", "pending_delta"};
    for (int c = 0; c < N_COLS; c++) {
        names[M_APP_RECEIVED + c] = xasprintf("app.received.%s", ev_applicant_names[c + 1]);
        for (int o = 0; o < N_OUTCOMES; o++)
            names[M_APP_RESOLVED + o * N_COLS + c] =
                xasprintf("app.resolved.%s.%s", ev_outcome_names[o + 1], ev_applicant_names[c + 1]);
    }
    for (int k = 0; k < 2; k++)
        for (int p = 0; p < 5; p++)
            names[M_DOC + k * 5 + p] =
                xasprintf("doc.%s.%s", ev_document_kind_names[k + 1], doc_parts[p]);
    for (int k = 0; k < 5; k++)
        names[M_ITEM + k] = xasprintf("item.%s.in_force_delta", ev_item_kind_names[k + 1]);
    for (int k = 0; k < 4; k++)
        names[M_DECISION + k] = xasprintf("decision.%s", ev_item_kind_names[k + 1]);
    names[M_FEE_FEN] = xstrdup("fee.amount_fen");
    names[M_PROC_COUNT] = xstrdup("procurement.projects");
    names[M_PROC_FEN] = xstrdup("procurement.amount_fen");
    for (int r = 0; r < 3; r++)
        for (int p = 0; p < 8; p++)
            names[M_CASE + r * 8 + p] = xasprintf("case.%s.%s", case_rows[r], case_parts[p]);
}

const char *tables_metric_name(int metric)
{
    assert(metric >= 0 && metric < M_COUNT);
    if (!names[0])
        build_names(); /* once, at start-up, before any thread reads them */
    return names[metric];
}

int tables_metric_by_name(const char *name)
{
    for (int k = 0; k < M_COUNT; k++)
        if (strcmp(tables_metric_name(k), name) == 0)
            return k;
    return -1;
}

void tables_report(const struct tables *t, uint32_t agency, const char *agency_code, int year,
                   enum case_rule rule, struct report *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->agency, sizeof r->agency, "%s", agency_code);
    r->year = year;
    r->template2021 = year >= 2021;
    r->case_rule = rule;
    if (!tables_has_agency(t, agency))
        return;
    const struct agency_tab *a = &t->ag[agency];
    /* cum: metrics summed over years ≤ year; prev: over years ≤ year-1; cur: year. */
    int64_t cum[M_COUNT] = {0}, prev[M_COUNT], cur[M_COUNT] = {0};
    uint32_t i = 0;
    for (; i < a->n && a->y[i].year < year; i++)
        for (unsigned k = 0; k < a->y[i].n; k++)
            cum[ids(&a->y[i])[k]] += a->y[i].val[k];
    memcpy(prev, cum, sizeof prev);
    if (i < a->n && a->y[i].year == year)
        for (unsigned k = 0; k < a->y[i].n; k++) {
            cur[ids(&a->y[i])[k]] = a->y[i].val[k];
            cum[ids(&a->y[i])[k]] += a->y[i].val[k];
        }
    for (int c = 0; c < N_COLS; c++) {
        r->received[c] = cur[M_APP_RECEIVED + c];
        int64_t resolved_prev = 0, resolved_cum = 0;
        for (int o = 0; o < N_OUTCOMES; o++) {
            int k = M_APP_RESOLVED + o * N_COLS + c;
            r->outcome[o][c] = cur[k];
            r->total_processed[c] += cur[k];
            resolved_prev += prev[k];
            resolved_cum += cum[k];
        }
        r->carried_over[c] = prev[M_APP_RECEIVED + c] - resolved_prev;
        r->carried_forward[c] = cum[M_APP_RECEIVED + c] - resolved_cum;
    }
    for (int k = 0; k < 2; k++) {
        int base = M_DOC + k * 5;
        r->doc_issued[k] = cur[base + DOC_ISSUED];
        r->doc_published[k] = cur[base + DOC_PUBLISHED];
        r->doc_total_published[k] = cum[base + DOC_PUBLISHED_DELTA];
        r->doc_repealed[k] = cur[base + DOC_REPEALED];
        r->doc_in_force[k] = cum[base + DOC_IN_FORCE_DELTA];
    }
    for (int k = 0; k < 5; k++) {
        r->items_prev_year[k] = prev[M_ITEM + k];
        r->items_change[k] = cur[M_ITEM + k];
    }
    for (int k = 0; k < 4; k++)
        r->decisions[k] = cur[M_DECISION + k];
    r->fee_fen = cur[M_FEE_FEN];
    r->procurement_projects = cur[M_PROC_COUNT];
    r->procurement_fen = cur[M_PROC_FEN];
    for (int row = 0; row < 3; row++) {
        int base = M_CASE + row * 8;
        int64_t *v = r->cases[row];
        if (rule == CASE_RULE_FILED) {
            for (int c = 0; c < 4; c++)
                v[c] = cur[base + CASE_FILED_UPHELD + c];
        } else {
            for (int c = 0; c < 3; c++)
                v[c] = cur[base + CASE_DECIDED_UPHELD + c];
            v[3] = cum[base + CASE_PENDING_DELTA];
        }
        v[4] = v[0] + v[1] + v[2] + v[3];
    }
}

void report_add(struct report *dst, const struct report *src)
{
    /* Every number after the header fields is an int64_t, in one run. */
    int64_t *d = dst->received;
    const int64_t *s = src->received;
    size_t n = (size_t)((const char *)(&src->cases[2][4] + 1) - (const char *)s) / sizeof *s;
    for (size_t i = 0; i < n; i++)
        d[i] = money_add(d[i], s[i], NULL);
}

uint64_t tables_overflows(const struct tables *t)
{
    return t->overflows;
}

size_t tables_digests(const struct tables *t, uint32_t agency, int *years, uint64_t *digests,
                      size_t cap)
{
    if (!tables_has_agency(t, agency))
        return 0;
    const struct agency_tab *a = &t->ag[agency];
    size_t n = 0;
    for (uint32_t y = 0; y < a->n; y++) {
        const struct yblock *b = &a->y[y];
        unsigned char buf[M_COUNT * 9];
        size_t len = 0;
        for (unsigned k = 0; k < b->n; k++)
            if (b->val[k]) {
                buf[len] = ids(b)[k];
                memcpy(buf + len + 1, &b->val[k], sizeof b->val[k]);
                len += 9;
            }
        if (!len)
            continue;
        if (n < cap) {
            years[n] = b->year;
            digests[n] = hash64(buf, len, 0);
        }
        n++;
    }
    return n;
}

size_t tables_bytes(const struct tables *t)
{
    return sizeof *t + t->bytes;
}

/* The bytes TABLES_FORMAT names: u32 agencies; per agency u32 blocks; per
 * block i32 year, u32 pairs, then each pair as u8 metric and i64 value
 * (zeros left out). Native byte order, like the rest of the checkpoint. */
void tables_save(const struct tables *t, struct buf *out)
{
    uint32_t nag = t->nag;
    while (nag && !t->ag[nag - 1].n)
        nag--;
    buf_append(out, &nag, sizeof nag);
    for (uint32_t a = 0; a < nag; a++) {
        const struct agency_tab *s = &t->ag[a];
        buf_append(out, &s->n, sizeof s->n);
        for (uint32_t y = 0; y < s->n; y++) {
            const struct yblock *b = &s->y[y];
            int32_t year = b->year;
            uint32_t n = 0;
            for (unsigned k = 0; k < b->n; k++)
                n += b->val[k] != 0;
            buf_append(out, &year, sizeof year);
            buf_append(out, &n, sizeof n);
            for (unsigned k = 0; k < b->n; k++)
                if (b->val[k]) {
                    buf_append(out, &ids(b)[k], 1);
                    buf_append(out, &b->val[k], sizeof b->val[k]);
                }
        }
    }
}

int tables_load(struct tables *t, struct rd *in)
{
    uint32_t nag;
    if (rd_copy(in, &nag, sizeof nag))
        return -1;
    for (uint32_t a = 0; a < nag; a++) {
        uint32_t nb;
        if (rd_copy(in, &nb, sizeof nb) || nb > (uint32_t)(YEAR_MAX - YEAR_MIN + 1))
            return -1;
        int prev = YEAR_MIN - 1;
        for (uint32_t y = 0; y < nb; y++) {
            int32_t year;
            uint32_t n;
            if (rd_copy(in, &year, sizeof year) || rd_copy(in, &n, sizeof n) || year <= prev ||
                year > YEAR_MAX || n > M_COUNT)
                return -1;
            prev = year;
            struct yblock *b = block(t, a, year, true);
            int last = -1;
            for (uint32_t k = 0; k < n; k++) {
                uint8_t id;
                int64_t v;
                if (rd_copy(in, &id, 1) || rd_copy(in, &v, sizeof v) || id >= M_COUNT || id <= last)
                    return -1;
                last = id;
                *pair(t, b, id) = v;
            }
        }
    }
    return in->ok ? 0 : -1;
}
