/* tables — the counting rules of spec/report.md, in one place.
 *
 * The live aggregator and `gongkai verify` both feed ledger changes through
 * tables_apply(); what verify proves is that the incremental state equals a
 * fresh fold of the log through this same code.
 *
 * State is a set of integer metrics per (agency, year), chosen so that one
 * event changes O(1) of them however many years it affects:
 *   - flows, counted in the year they happen (received, resolved by outcome,
 *     issued, decisions, fees, …);
 *   - deltas of quantities that run across years (open applications, documents
 *     in force, catalogue items in force, pending cases): +1 in the year a
 *     thing starts counting, −1 in the year it stops. The quantity at the end
 *     of year Y is the sum of its deltas over years ≤ Y.
 * A correction subtracts the entity's old contribution and adds its new one.
 * tables_report() derives every row of both templates from these metrics.
 * The same metrics are stored in PostgreSQL (agg_metric) under the names of
 * tables_metric_name(), and sql/003_report_views.sql derives the same rows.
 */
#ifndef GK_TABLES_H
#define GK_TABLES_H

#include <stdint.h>

#include "buf.h"
#include "day.h"
#include "event.h"
#include "ledger.h"

#define YEAR_MIN DAY_YEAR_MIN /* the contract's years: day.h */
#define YEAR_MAX DAY_YEAR_MAX
#define N_COLS 6                    /* applicant columns; total is derived */
#define N_OUTCOMES (N_OUTCOME - 1)  /* 21 outcome codes */

enum {
    M_APP_RECEIVED = 0,                           /* [col] */
    M_APP_RESOLVED = M_APP_RECEIVED + N_COLS,     /* [outcome-1][col] */
    M_DOC = M_APP_RESOLVED + N_OUTCOMES * N_COLS, /* [kind-1][DOC_*] */
    M_ITEM = M_DOC + 2 * 5,                       /* [kind-1]: in-force delta */
    M_DECISION = M_ITEM + 5,                      /* [kind-1], sum of count */
    M_FEE_FEN = M_DECISION + 4,
    M_PROC_COUNT,
    M_PROC_FEN,
    M_CASE,                                       /* [row][CASE_*] */
    M_COUNT = M_CASE + 3 * 8
};
enum { DOC_ISSUED, DOC_PUBLISHED, DOC_PUBLISHED_DELTA, DOC_IN_FORCE_DELTA, DOC_REPEALED };
enum { CASE_FILED_UPHELD, CASE_FILED_CORRECTED, CASE_FILED_OTHER, CASE_FILED_PENDING,
       CASE_DECIDED_UPHELD, CASE_DECIDED_CORRECTED, CASE_DECIDED_OTHER, CASE_PENDING_DELTA };
enum { ROW_REVIEW, ROW_LITIGATION_DIRECT, ROW_LITIGATION_AFTER_REVIEW };

enum case_rule { CASE_RULE_FILED, CASE_RULE_HANDLED };

/* A report's numbers, in report order (render.c adds labels and layout). */
struct report {
    char agency[EV_AGENCY_MAX + 1];
    int year;
    int template2021;                  /* 0: the 2019 format, 1: the 2021 format */
    enum case_rule case_rule;
    int64_t received[N_COLS], carried_over[N_COLS];
    int64_t outcome[N_OUTCOMES][N_COLS];
    int64_t total_processed[N_COLS], carried_forward[N_COLS];
    /* active disclosure, [kind-1] */
    int64_t doc_issued[2], doc_published[2], doc_total_published[2];
    int64_t doc_repealed[2], doc_in_force[2];
    int64_t items_prev_year[5], items_change[5];   /* licensing … fee */
    int64_t decisions[4];                          /* licensing … enforcement */
    int64_t fee_fen;                               /* fees collected in the year */
    int64_t procurement_projects, procurement_fen;
    int64_t cases[3][5];                           /* upheld corrected other pending total */
};

struct tables;

struct tables *tables_new(void);
void tables_destroy(struct tables **pt);

/* Counts one applied event (its ledger change). */
void tables_apply(struct tables *t, const struct ledger_change *c);
/* Adds delta to one metric. */
void tables_add(struct tables *t, uint32_t agency, int year, int metric, int64_t delta);
/* dst += src, metric by metric; src unchanged. */
void tables_merge(struct tables *dst, const struct tables *src);
/* Calls fn for every non-zero metric. */
void tables_foreach(const struct tables *t,
                    void (*fn)(void *arg, uint32_t agency, int year, int metric, int64_t value),
                    void *arg);
/* Empties all metrics (keeps memory). */
void tables_clear(struct tables *t);
/* 1 when the agency has any metric. */
int tables_has_agency(const struct tables *t, uint32_t agency);
/* Lowest and highest year with a metric for the agency; 0 when none. */
int tables_year_range(const struct tables *t, uint32_t agency, int *lo, int *hi);

/* Stable metric name, e.g. "app.resolved.withheld.state_secret.natural_person". */
const char *tables_metric_name(int metric);
/* Metric index for a name, or -1. */
int tables_metric_by_name(const char *name);

/* Fills r for (agency, year); an agency id ≥ the number known gives zeros.
 * agency_code is copied into r->agency. */
void tables_report(const struct tables *t, uint32_t agency, const char *agency_code, int year,
                   enum case_rule rule, struct report *r);
/* Adds the numbers of src into dst (roll-ups), saturating (money_add). */
void report_add(struct report *dst, const struct report *src);
/* Additions that saturated instead of wrapping: 0 unless the log holds sums
 * written before EV_SUM_MAX was enforced. */
uint64_t tables_overflows(const struct tables *t);

size_t tables_bytes(const struct tables *t);

/* The years the agency has metrics in, ascending, with a digest of each
 * year's non-zero metrics (hash64, seed 0, of (u8 metric, i64 value) in
 * metric order: equal metrics, equal digests, in any process). Years whose
 * metrics are all zero are left out. Fills at most cap; returns how many
 * there are. */
size_t tables_digests(const struct tables *t, uint32_t agency, int *years, uint64_t *digests,
                      size_t cap);

/* Checkpoints: the metrics as bytes (layout TABLES_FORMAT), and back into
 * empty tables; tables_load: 0, or -1 when the bytes are short or bad. */
#define TABLES_FORMAT (2000 + M_COUNT) /* sparse years and pairs */
void tables_save(const struct tables *t, struct buf *out);
int tables_load(struct tables *t, struct rd *in);

#endif
