/* metrics — histograms, intake's counters, Prometheus text (see metrics.h). */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

const double histo_bounds_events[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
const double histo_bounds_seconds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10, 60};
const int histo_nbounds_events = sizeof histo_bounds_events / sizeof histo_bounds_events[0];
const int histo_nbounds_seconds = sizeof histo_bounds_seconds / sizeof histo_bounds_seconds[0];

void histo_init(struct histo *h, const double *bounds, int n)
{
    memset(h, 0, sizeof *h);
    h->n = n < HISTO_MAX ? n : HISTO_MAX;
    memcpy(h->bound, bounds, (size_t)h->n * sizeof *bounds);
}

void histo_observe(struct histo *h, double v, uint64_t times)
{
    int i = 0;
    while (i < h->n && v > h->bound[i])
        i++;
    h->bucket[i] += times;
    h->sum += v * (double)times;
    h->count += times;
}

void intake_stats_init(struct intake_stats *s, int64_t now_us)
{
    memset(s, 0, sizeof *s);
    s->started_at_us = now_us;
    histo_init(&s->batch_events, histo_bounds_events, histo_nbounds_events);
    histo_init(&s->commit_seconds, histo_bounds_seconds, histo_nbounds_seconds);
}

void intake_stats_reject(struct intake_stats *s, const char *code)
{
    s->rejected++;
    int i = 0;
    while (i < s->ncodes && strcmp(s->code[i], code) != 0)
        i++;
    if (i == s->ncodes) {
        if (s->ncodes == STATS_MAX_CODES) {
            i = STATS_MAX_CODES - 1; /* the last slot becomes "other" */
            snprintf(s->code[i], sizeof s->code[i], "other");
        } else {
            snprintf(s->code[i], sizeof s->code[i], "%s", code);
            s->ncodes++;
        }
    }
    s->code_count[i]++;
}

static void histo_to_pb(const struct histo *h, Gongkai__V1__Histogram *m)
{
    gongkai__v1__histogram__init(m);
    m->n_bound = (size_t)h->n;
    m->bound = (double *)h->bound;
    m->n_bucket = (size_t)h->n + 1;
    m->bucket = (uint64_t *)h->bucket;
    m->has_sum = 1, m->sum = h->sum;
    m->has_count = 1, m->count = h->count;
}

void intake_stats_to_pb(const struct intake_stats *s, struct intake_stats_pb *out)
{
    Gongkai__V1__IntakeStats *m = &out->m;
    gongkai__v1__intake_stats__init(m);
    m->has_started_at_us = 1, m->started_at_us = s->started_at_us;
    m->has_accepted = 1, m->accepted = s->accepted;
    m->has_duplicate = 1, m->duplicate = s->duplicate;
    m->has_rejected = 1, m->rejected = s->rejected;
    m->has_messages = 1, m->messages = s->messages;
    m->has_commit_failures = 1, m->commit_failures = s->commit_failures;
    m->has_publishers = 1, m->publishers = s->publishers;
    for (int i = 0; i < s->ncodes; i++) {
        gongkai__v1__code_count__init(&out->cc[i]);
        out->cc[i].code = (char *)s->code[i];
        out->cc[i].has_count = 1, out->cc[i].count = s->code_count[i];
        out->ccp[i] = &out->cc[i];
    }
    m->n_rejections = (size_t)s->ncodes;
    m->rejections = out->ccp;
    histo_to_pb(&s->batch_events, &out->batch_events);
    histo_to_pb(&s->commit_seconds, &out->commit_seconds);
    m->batch_events = &out->batch_events;
    m->commit_seconds = &out->commit_seconds;
}

static void histo_from_pb(const Gongkai__V1__Histogram *m, struct histo *h)
{
    memset(h, 0, sizeof *h);
    if (!m || m->n_bound > HISTO_MAX || m->n_bucket != m->n_bound + 1)
        return;
    for (size_t i = 1; i < m->n_bound; i++)
        if (!(m->bound[i] > m->bound[i - 1]))
            return; /* Prometheus requires ascending le */
    h->n = (int)m->n_bound;
    memcpy(h->bound, m->bound, m->n_bound * sizeof *m->bound);
    memcpy(h->bucket, m->bucket, m->n_bucket * sizeof *m->bucket);
    h->sum = m->sum;
    h->count = 0;
    for (size_t i = 0; i < m->n_bucket; i++)
        h->count += m->bucket[i]; /* consistent with the buckets whatever count says */
}

void intake_stats_from_pb(const Gongkai__V1__IntakeStats *m, struct intake_stats *s)
{
    memset(s, 0, sizeof *s);
    s->started_at_us = m->started_at_us;
    s->accepted = m->accepted;
    s->duplicate = m->duplicate;
    s->rejected = m->rejected;
    s->messages = m->messages;
    s->commit_failures = m->commit_failures;
    s->publishers = m->publishers;
    for (size_t i = 0; i < m->n_rejections && s->ncodes < STATS_MAX_CODES; i++) {
        const Gongkai__V1__CodeCount *c = m->rejections[i];
        if (!c->code)
            continue;
        snprintf(s->code[s->ncodes], sizeof s->code[0], "%s", c->code);
        s->code_count[s->ncodes++] = c->count;
    }
    histo_from_pb(m->batch_events, &s->batch_events);
    histo_from_pb(m->commit_seconds, &s->commit_seconds);
}

/* ---- Prometheus text ---- */

void prom_family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_u64(struct buf *b, const char *name, const char *labels, uint64_t v)
{
    if (labels && *labels)
        buf_printf(b, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
    else
        buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

void prom_f64(struct buf *b, const char *name, const char *labels, double v)
{
    if (labels && *labels)
        buf_printf(b, "%s{%s} %.15g\n", name, labels, v);
    else
        buf_printf(b, "%s %.15g\n", name, v);
}

void prom_histo(struct buf *b, const char *name, const char *help, const struct histo *h)
{
    prom_family(b, name, "histogram", help);
    uint64_t cum = 0;
    for (int i = 0; i < h->n; i++) {
        cum += h->bucket[i];
        buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bound[i], (unsigned long long)cum);
    }
    buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
    buf_printf(b, "%s_sum %.15g\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->count);
}

void prom_label(struct buf *b, const char *key, const char *value)
{
    buf_printf(b, "%s=\"", key);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            buf_putc(b, '\\'), buf_putc(b, *p);
        else if (*p == '\n')
            buf_puts(b, "\\n");
        else
            buf_putc(b, *p);
    }
    buf_putc(b, '"');
}
