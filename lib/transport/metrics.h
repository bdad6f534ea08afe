/* metrics — histograms, intake's counters, and the Prometheus text format.
 *
 * Intake has no HTTP port. It keeps a struct intake_stats and sends it with
 * every feed heartbeat (intake_stats_to_pb); the aggregator keeps the last
 * one it received (intake_stats_from_pb) and writes it on /metrics as
 * gongkai_intake_* next to its own gongkai_aggregator_* (prom_*). One scrape
 * target, no second listener to configure and secure; the price is that
 * intake's figures are up to a second old and absent while the feed is down,
 * which gongkai_intake_up says.
 *
 * Nothing here locks: each struct belongs to one thread or to its owner's lock.
 */
#ifndef GK_METRICS_H
#define GK_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "gongkai.pb-c.h"

#define HISTO_MAX 16

struct histo {
    int n;                          /* bounds in use */
    double bound[HISTO_MAX];        /* ascending upper bounds (le) */
    uint64_t bucket[HISTO_MAX + 1]; /* per bucket, not cumulative; [n]: above every bound */
    double sum;
    uint64_t count;
};

/* Bounds in use everywhere, so that intake's and the aggregator's line up. */
extern const double histo_bounds_events[];  /* events per transaction: 1 … 5000 */
extern const double histo_bounds_seconds[]; /* latency: 0.5 ms … 60 s */
extern const int histo_nbounds_events, histo_nbounds_seconds;

void histo_init(struct histo *h, const double *bounds, int n);
/* Records v, times times (a batch of equal observations at once). */
void histo_observe(struct histo *h, double v, uint64_t times);

#define STATS_MAX_CODES 32
#define STATS_CODE_MAX 32

struct intake_stats {
    int64_t started_at_us;          /* wall clock; a new value means counters restarted */
    uint64_t accepted, duplicate, rejected;
    uint64_t messages, commit_failures;
    uint32_t publishers;            /* connections open now */
    int ncodes;                     /* rejections by code, in first-seen order */
    char code[STATS_MAX_CODES][STATS_CODE_MAX];
    uint64_t code_count[STATS_MAX_CODES];
    struct histo batch_events, commit_seconds;
};

void intake_stats_init(struct intake_stats *s, int64_t now_us);
/* Counts one rejection with this code (codes past STATS_MAX_CODES count as "other"). */
void intake_stats_reject(struct intake_stats *s, const char *code);

/* A heartbeat's IntakeStats pointing into a struct intake_stats: no
 * allocation, valid while that struct is unchanged. */
struct intake_stats_pb {
    Gongkai__V1__IntakeStats m;
    Gongkai__V1__CodeCount cc[STATS_MAX_CODES];
    Gongkai__V1__CodeCount *ccp[STATS_MAX_CODES];
    Gongkai__V1__Histogram batch_events, commit_seconds;
};

void intake_stats_to_pb(const struct intake_stats *s, struct intake_stats_pb *out);
/* Copies what m carries into s (zeroed first); malformed histograms are dropped. */
void intake_stats_from_pb(const Gongkai__V1__IntakeStats *m, struct intake_stats *s);

/* ---- Prometheus text format 0.0.4 ---- */

/* # HELP and # TYPE lines of a family. */
void prom_family(struct buf *b, const char *name, const char *type, const char *help);
/* One sample; labels is NULL or the inside of {…}, already escaped. */
void prom_u64(struct buf *b, const char *name, const char *labels, uint64_t v);
void prom_f64(struct buf *b, const char *name, const char *labels, double v);
/* A whole histogram family: HELP, TYPE, cumulative _bucket{le}, _sum, _count. */
void prom_histo(struct buf *b, const char *name, const char *help, const struct histo *h);
/* Appends `key="value"` with the value escaped as the format requires. */
void prom_label(struct buf *b, const char *key, const char *value);

#endif
