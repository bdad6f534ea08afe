/* timeliness — per-application timeliness state and the figures derived
 * from it (see timeliness.h). Due dates come from deadline.c alone; this
 * file only folds events into timelines and counts results.
 */
#include "timeliness.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "day.h"
#include "hash.h"
#include "ledger.h"
#include "map.h"

/* Days are day.h numbers, the same as calendar.h's; 0 means "not happened"
 * here as in the ledger (no event can be dated 1970-01-01). */

struct app {
    uint32_t id;       /* offset of the id in t->ids */
    uint32_t agency;
    uint32_t extra;    /* 1 + index into t->extra; 0 = no timeliness events */
    int32_t received;  /* 0 until application_received */
    int32_t answered;  /* 0 while open */
    uint8_t applicant;
};

struct grant {
    int32_t day, days;
};

struct consult {
    uint64_t id;       /* hash of consultation_id */
    int32_t started, ended; /* ended 0 while open */
};

struct extra {
    int32_t supp_requested, supp_received;
    int32_t deadline_on, deadline_due;     /* article 35: when set, and the date */
    struct grant *grant;
    struct consult *consult;
    uint32_t ngrant, nconsult;
};

struct tl {
    struct map *apps;      /* key128(agency + 1, ENT_APP, id) → struct app; NULL in a copy */
    struct app *flat;      /* a copy's applications (tl_copy), in no order */
    size_t nflat, flat_cap;
    struct extra *extra;
    size_t nextra, extra_cap;
    char *ids;             /* NUL-terminated ids, back to back */
    size_t ids_len, ids_cap;
};

struct tl *tl_new(void)
{
    struct tl *t = xcalloc(1, sizeof *t);
    t->apps = map_new(sizeof(struct app));
    return t;
}

void tl_destroy(struct tl **pt)
{
    struct tl *t = *pt;
    if (!t)
        return;
    for (size_t i = 0; i < t->nextra; i++)
        free(t->extra[i].grant), free(t->extra[i].consult);
    free(t->extra);
    free(t->ids);
    free(t->flat);
    map_destroy(&t->apps);
    free(t);
    *pt = NULL;
}

size_t tl_applications(const struct tl *t)
{
    return t->apps ? map_count(t->apps) : t->nflat;
}

/* The next application of t from position *i (start at 0), or NULL. */
static const struct app *next_app(const struct tl *t, size_t *i)
{
    if (!t->apps)
        return *i < t->nflat ? &t->flat[(*i)++] : NULL;
    return map_next(t->apps, i, NULL);
}

size_t tl_bytes(const struct tl *t)
{
    size_t n = map_bytes(t->apps) + t->ids_cap + t->extra_cap * sizeof(struct extra);
    for (size_t i = 0; i < t->nextra; i++)
        n += t->extra[i].ngrant * sizeof(struct grant) +
             t->extra[i].nconsult * sizeof(struct consult);
    return n;
}

static bool is_timeliness(enum ev_type type)
{
    switch (type) {
    case EV_APPLICATION_RECEIVED:
    case EV_APPLICATION_RESOLVED:
    case EV_SUPPLEMENT_REQUESTED:
    case EV_SUPPLEMENT_RECEIVED:
    case EV_EXTENSION_GRANTED:
    case EV_CONSULTATION_STARTED:
    case EV_CONSULTATION_ENDED:
    case EV_DEADLINE_SET:
        return true;
    default:
        return false;
    }
}

static uint32_t store_id(struct tl *t, const char *id)
{
    size_t n = strlen(id) + 1;
    if (t->ids_len + n > t->ids_cap) {
        t->ids_cap = t->ids_cap ? t->ids_cap * 2 : 4096;
        while (t->ids_len + n > t->ids_cap)
            t->ids_cap *= 2;
        t->ids = xrealloc(t->ids, t->ids_cap);
    }
    /* Offsets are 32-bit to keep the record small: 4 GB of ids is some
     * hundred million applications, far beyond one deployment. */
    assert(t->ids_len + n <= UINT32_MAX);
    memcpy(t->ids + t->ids_len, id, n);
    uint32_t off = (uint32_t)t->ids_len;
    t->ids_len += n;
    return off;
}

static struct extra *extra_of(struct tl *t, struct app *a)
{
    if (!a->extra) {
        if (t->nextra == t->extra_cap) {
            t->extra_cap = t->extra_cap ? t->extra_cap * 2 : 64;
            t->extra = xrealloc(t->extra, t->extra_cap * sizeof *t->extra);
        }
        memset(&t->extra[t->nextra], 0, sizeof t->extra[0]);
        a->extra = (uint32_t)++t->nextra;
    }
    return &t->extra[a->extra - 1];
}

static struct consult *find_consult(struct extra *x, uint64_t id)
{
    for (uint32_t i = 0; i < x->nconsult; i++)
        if (x->consult[i].id == id)
            return &x->consult[i];
    return NULL;
}

void tl_apply(struct tl *t, uint32_t agency, const struct ev *e)
{
    if (!is_timeliness(e->type))
        return;
    int created;
    struct app *a = map_put(t->apps, key128_of(agency + 1, ENT_APP, e->application_id), &created);
    if (created) {
        a->id = store_id(t, e->application_id);
        a->agency = agency;
    }
    struct extra *x;
    struct consult *k;
    uint64_t kid;
    switch (e->type) {
    case EV_APPLICATION_RECEIVED:
        a->received = e->day;
        a->applicant = e->applicant;
        break;
    case EV_APPLICATION_RESOLVED:
        a->answered = e->day;
        break;
    case EV_SUPPLEMENT_REQUESTED:
        extra_of(t, a)->supp_requested = e->day;
        break;
    case EV_SUPPLEMENT_RECEIVED:
        extra_of(t, a)->supp_received = e->day;
        break;
    case EV_DEADLINE_SET:
        x = extra_of(t, a);
        x->deadline_on = e->day;
        x->deadline_due = e->due_day;
        break;
    case EV_EXTENSION_GRANTED:
        x = extra_of(t, a);
        x->grant = xrealloc(x->grant, (x->ngrant + 1) * sizeof *x->grant);
        x->grant[x->ngrant++] = (struct grant){e->day, (int32_t)e->working_days};
        break;
    case EV_CONSULTATION_STARTED:
    case EV_CONSULTATION_ENDED:
        x = extra_of(t, a);
        kid = hash_keyed64(e->consultation_id, strlen(e->consultation_id), 0x636f6e73756c74);
        k = find_consult(x, kid);
        if (!k) {
            x->consult = xrealloc(x->consult, (x->nconsult + 1) * sizeof *x->consult);
            k = &x->consult[x->nconsult++];
            *k = (struct consult){kid, 0, 0};
        }
        if (e->type == EV_CONSULTATION_STARTED)
            k->started = e->day;
        else
            k->ended = e->day;
        break;
    default:
        break;
    }
}

/* ---- checkpoints -------------------------------------------------------- */

/* The bytes TL_FORMAT names, in this build's byte order:
 *   u64 ids_len, then the ids arena as it is (offsets into it stay valid);
 *   u64 nextra, then per extra, in index order (apps refer to it by index):
 *       struct extra_rec, ngrant struct grant, nconsult struct consult;
 *   u64 napps, then napps struct app. The map key is not stored: it follows
 *       from the agency and the id, and is computed again on load.
 * Any change to these structs changes the layout: bump TL_FORMAT. */
struct extra_rec {
    int32_t supp_requested, supp_received, deadline_on, deadline_due;
    uint32_t ngrant, nconsult;
};
_Static_assert(sizeof(struct app) == 24 && sizeof(struct grant) == 8 &&
                   sizeof(struct consult) == 16 && sizeof(struct extra_rec) == 24,
               "the checkpoint layout changed: bump TL_FORMAT");

void tl_save(const struct tl *t, struct buf *out)
{
    uint64_t n = t->ids_len;
    buf_append(out, &n, sizeof n);
    if (n)
        buf_append(out, t->ids, t->ids_len);
    n = t->nextra;
    buf_append(out, &n, sizeof n);
    for (size_t i = 0; i < t->nextra; i++) {
        const struct extra *x = &t->extra[i];
        struct extra_rec r = {x->supp_requested, x->supp_received, x->deadline_on,
                              x->deadline_due,   x->ngrant,        x->nconsult};
        buf_append(out, &r, sizeof r);
        if (x->ngrant)
            buf_append(out, x->grant, x->ngrant * sizeof *x->grant);
        if (x->nconsult)
            buf_append(out, x->consult, x->nconsult * sizeof *x->consult);
    }
    n = map_count(t->apps);
    buf_append(out, &n, sizeof n);
    buf_reserve(out, n * sizeof(struct app));
    size_t i = 0;
    const struct app *a;
    /* struct app's padding is zero: map_put zero-fills what it inserts. */
    while ((a = map_next(t->apps, &i, NULL)))
        buf_append(out, a, sizeof *a);
}

int tl_load(struct tl *t, struct rd *in)
{
    assert(!map_count(t->apps) && !t->nextra && !t->ids_len);
    uint64_t n;
    if (rd_copy(in, &n, sizeof n) || n > in->left || n > UINT32_MAX)
        return -1;
    if (n) {
        const char *ids = rd_take(in, (size_t)n);
        if (ids[n - 1] != '\0')
            return -1;
        t->ids = xmalloc((size_t)n);
        memcpy(t->ids, ids, (size_t)n);
        t->ids_len = t->ids_cap = (size_t)n;
    }
    if (rd_copy(in, &n, sizeof n) || n > in->left / sizeof(struct extra_rec) || n >= UINT32_MAX)
        return -1;
    if (n) {
        t->extra = xcalloc((size_t)n, sizeof *t->extra);
        t->extra_cap = (size_t)n;
    }
    for (uint64_t i = 0; i < n; i++) {
        struct extra_rec r;
        if (rd_copy(in, &r, sizeof r) || r.ngrant > in->left / sizeof(struct grant) ||
            r.nconsult > in->left / sizeof(struct consult))
            return -1;
        /* Counted before it is filled, so that tl_destroy frees what it holds. */
        struct extra *x = &t->extra[t->nextra++];
        *x = (struct extra){.supp_requested = r.supp_requested,
                            .supp_received = r.supp_received,
                            .deadline_on = r.deadline_on,
                            .deadline_due = r.deadline_due};
        if (r.ngrant) {
            x->grant = xmalloc(r.ngrant * sizeof *x->grant);
            if (rd_copy(in, x->grant, r.ngrant * sizeof *x->grant))
                return -1;
            x->ngrant = r.ngrant;
        }
        if (r.nconsult) {
            x->consult = xmalloc(r.nconsult * sizeof *x->consult);
            if (rd_copy(in, x->consult, r.nconsult * sizeof *x->consult))
                return -1;
            x->nconsult = r.nconsult;
        }
    }
    if (rd_copy(in, &n, sizeof n) || n > in->left / sizeof(struct app))
        return -1;
    map_reserve(t->apps, (size_t)n);
    for (uint64_t i = 0; i < n; i++) {
        struct app a;
        if (rd_copy(in, &a, sizeof a))
            return -1;
        /* The id must start a string of the arena; the extra must exist. */
        if (a.id >= t->ids_len || (a.id && t->ids[a.id - 1] != '\0') || a.extra > t->nextra ||
            a.agency == UINT32_MAX)
            return -1;
        int created;
        struct app *s = map_put(t->apps, key128_of(a.agency + 1, ENT_APP, t->ids + a.id), &created);
        if (!created)
            return -1; /* the same application twice: not a checkpoint of ours */
        *s = a;
    }
    return in->ok ? 0 : -1;
}

/* ---- timelines --------------------------------------------------------- */

/* Room for one application's consultations, reused across applications. */
struct scratch {
    struct dl_consultation *v;
    size_t cap;
};

/* day if it had happened by asof, else CAL_DAY_NONE. */
static int32_t by(int32_t day, int32_t asof)
{
    return day && day <= asof ? day : CAL_DAY_NONE;
}

/* The timeline of a as known at the end of day asof (a->received <= asof). */
static void timeline_at(const struct tl *t, const struct app *a, int32_t asof,
                        struct scratch *s, struct dl_timeline *out)
{
    dl_timeline_init(out, a->received);
    out->answered = by(a->answered, asof);
    if (!a->extra)
        return;
    const struct extra *x = &t->extra[a->extra - 1];
    out->supplement_requested = by(x->supp_requested, asof);
    if (out->supplement_requested != CAL_DAY_NONE)
        out->supplement_received = by(x->supp_received, asof);
    if (by(x->deadline_on, asof) != CAL_DAY_NONE)
        out->deadline_set = x->deadline_due;
    int ext = 0;
    for (uint32_t i = 0; i < x->ngrant; i++)
        if (by(x->grant[i].day, asof) != CAL_DAY_NONE)
            ext += x->grant[i].days;
    /* Intake keeps the total within the limit; only a receipt date corrected
     * back across 2019-05-15 (15 instead of 20) can break it afterwards. The
     * limit is what the law allows, so that is what counts. */
    int max = deadline_extension_max(a->received);
    out->extension_days = ext > max ? max : ext;
    if (s->cap < x->nconsult) {
        s->cap = x->nconsult;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    size_t n = 0;
    for (uint32_t i = 0; i < x->nconsult; i++) {
        const struct consult *k = &x->consult[i];
        if (by(k->started, asof) == CAL_DAY_NONE)
            continue; /* not begun yet (or an end whose start is a later correction) */
        s->v[n].started = k->started;
        s->v[n].ended = by(k->ended, asof);
        n++;
    }
    out->consultations = s->v;
    out->n_consultations = n;
}

static bool in_scope(struct tl_scope sc, uint32_t agency)
{
    return !sc.want || (agency < sc.n && sc.want[agency]);
}

/* Whether a was open at the end of asof. */
static bool open_at(const struct app *a, int32_t asof)
{
    return a->received && a->received <= asof && !(a->answered && a->answered <= asof);
}

static void fill_open(const struct tl *t, const struct app *a, const struct dl_result *r,
                      struct tl_open *o)
{
    snprintf(o->id, sizeof o->id, "%s", t->ids + a->id);
    o->agency = a->agency;
    o->applicant = a->applicant;
    o->received = a->received;
    o->state = r->state;
    o->due = r->due;
    o->left = r->left;
    o->elapsed = r->elapsed;
    o->limit = r->limit;
    o->provisional = r->provisional;
    o->overdue = r->overdue;
}

/* Soonest due first; no due date after every due date, oldest receipt
 * first; then by id and agency (one id may be in two agencies of a
 * subtree), so the order is total: it does not depend on where the map
 * happens to hold an application, which a checkpoint's load may change. */
int tl_open_cmp(const struct tl_open *a, const struct tl_open *b)
{
    bool na = a->due == CAL_DAY_NONE, nb = b->due == CAL_DAY_NONE;
    if (na != nb)
        return na ? 1 : -1;
    if (!na && a->due != b->due)
        return a->due < b->due ? -1 : 1;
    if (a->received != b->received)
        return a->received < b->received ? -1 : 1;
    int c = strcmp(a->id, b->id);
    if (c)
        return c;
    return (a->agency > b->agency) - (a->agency < b->agency);
}

static int open_qsort_cmp(const void *a, const void *b)
{
    return tl_open_cmp(a, b);
}

/* Oldest receipt first, then id and agency. */
static int oldest_cmp(const void *pa, const void *pb)
{
    const struct tl_open *a = pa, *b = pb;
    if (a->received != b->received)
        return a->received < b->received ? -1 : 1;
    int c = strcmp(a->id, b->id);
    if (c)
        return c;
    return (a->agency > b->agency) - (a->agency < b->agency);
}

size_t tl_open_list(const struct tl *t, const struct calendar *c, struct tl_scope scope,
                    int32_t asof, struct tl_open **out, size_t *inconsistent)
{
    struct scratch s = {0};
    struct tl_open *v = NULL;
    size_t n = 0, cap = 0, bad = 0, i = 0;
    const struct app *a;
    char err[200];
    while ((a = next_app(t, &i))) {
        if (!in_scope(scope, a->agency) || !open_at(a, asof))
            continue;
        struct dl_timeline tm;
        struct dl_result r;
        timeline_at(t, a, asof, &s, &tm);
        if (deadline_compute(c, &tm, asof, &r, err, sizeof err)) {
            bad++;
            continue;
        }
        if (n == cap)
            v = xrealloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
        fill_open(t, a, &r, &v[n++]);
    }
    free(s.v);
    if (n > 1)
        qsort(v, n, sizeof *v, open_qsort_cmp);
    if (inconsistent)
        *inconsistent = bad;
    *out = v;
    return n;
}

void tl_open_counts(const struct tl *t, const struct calendar *c, int32_t asof, uint32_t n,
                    uint64_t *open, uint64_t *overdue)
{
    struct scratch s = {0};
    size_t i = 0;
    const struct app *a;
    char err[200];
    memset(open, 0, n * sizeof *open);
    memset(overdue, 0, n * sizeof *overdue);
    while ((a = next_app(t, &i))) {
        if (a->agency >= n || !open_at(a, asof))
            continue;
        struct dl_timeline tm;
        struct dl_result r;
        timeline_at(t, a, asof, &s, &tm);
        if (deadline_compute(c, &tm, asof, &r, err, sizeof err))
            continue;
        open[a->agency]++;
        overdue[a->agency] += r.overdue;
    }
    free(s.v);
}

static int int_cmp(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

void tl_year_stats(const struct tl *t, const struct calendar *c, struct tl_scope scope, int year,
                   int32_t asof, struct tl_year *out)
{
    struct scratch s = {0};
    int *taken = NULL;
    size_t ntaken = 0, cap = 0, i = 0;
    struct tl_open oldest[TL_OLDEST + 1];
    const struct app *a;
    char err[200];
    int64_t sum = 0;

    memset(out, 0, sizeof *out);
    out->year = year;
    int32_t first = day_from_ymd(year, 1, 1), last = day_from_ymd(year, 12, 31);
    out->cutoff = asof < last ? asof : last;
    if (out->cutoff < first) { /* a year that has not begun: nothing yet */
        out->cutoff = CAL_DAY_NONE;
        return;
    }
    while ((a = next_app(t, &i))) {
        if (!in_scope(scope, a->agency) || !a->received)
            continue;
        struct dl_timeline tm;
        struct dl_result r;
        if (a->answered >= first && a->answered <= out->cutoff) {
            /* Answered in the year: judged on what was known at the answer. */
            timeline_at(t, a, a->answered, &s, &tm);
            if (deadline_compute(c, &tm, a->answered, &r, err, sizeof err)) {
                out->inconsistent++;
                continue;
            }
            out->answered++;
            out->on_the_spot += r.outcome == DL_ON_THE_SPOT;
            out->on_time += r.outcome == DL_ON_TIME;
            out->late += r.outcome == DL_LATE;
            if (ntaken == cap)
                taken = xrealloc(taken, (cap = cap ? 2 * cap : 256) * sizeof *taken);
            taken[ntaken++] = r.taken;
            sum += r.taken;
            if (tm.extension_days) {
                out->extended++;
                out->extension_days += (uint64_t)tm.extension_days;
            }
            if (tm.supplement_requested != CAL_DAY_NONE) {
                out->supplement_requested++;
                out->supplement_late += r.supplement_late;
            }
            if (tm.n_consultations) {
                out->consulted++;
                out->consultations += tm.n_consultations;
            }
        } else if (open_at(a, out->cutoff)) {
            timeline_at(t, a, out->cutoff, &s, &tm);
            if (deadline_compute(c, &tm, out->cutoff, &r, err, sizeof err)) {
                out->inconsistent++;
                continue;
            }
            out->open++;
            out->overdue += r.overdue;
            /* Keep the TL_OLDEST oldest: insert, sort, drop the newest. */
            struct tl_open o;
            fill_open(t, a, &r, &o);
            if (out->noldest < TL_OLDEST || oldest_cmp(&o, &oldest[TL_OLDEST - 1]) < 0) {
                size_t k = out->noldest < TL_OLDEST ? out->noldest++ : TL_OLDEST - 1;
                oldest[k] = o;
                qsort(oldest, out->noldest, sizeof oldest[0], oldest_cmp);
            }
        }
    }
    memcpy(out->oldest, oldest, out->noldest * sizeof oldest[0]);
    if (ntaken) {
        qsort(taken, ntaken, sizeof *taken, int_cmp);
        out->median_days = ntaken % 2 ? taken[ntaken / 2]
                                      : (taken[ntaken / 2 - 1] + taken[ntaken / 2]) / 2.0;
        out->mean_days = (double)sum / (double)ntaken;
        out->max_days = taken[ntaken - 1];
    }
    free(taken);
    free(s.v);
}

/* ---- copies ------------------------------------------------------------- */

struct tl *tl_copy(const struct tl *t, struct tl_scope scope, int32_t from, int32_t asof)
{
    assert(t->apps);
    struct tl *c = xcalloc(1, sizeof *c);
    size_t i = 0;
    const struct app *a;
    while ((a = map_next(t->apps, &i, NULL))) {
        if (!in_scope(scope, a->agency) || !a->received ||
            !(open_at(a, asof) || (a->answered >= from && a->answered <= asof)))
            continue;
        if (c->nflat == c->flat_cap)
            c->flat = xrealloc(c->flat, (c->flat_cap = c->flat_cap ? 2 * c->flat_cap : 256) *
                                            sizeof *c->flat);
        struct app *d = &c->flat[c->nflat++];
        *d = *a;
        d->id = store_id(c, t->ids + a->id);
        d->extra = 0;
        if (!a->extra)
            continue;
        const struct extra *x = &t->extra[a->extra - 1];
        struct extra *y = extra_of(c, d);
        *y = *x;
        y->grant = NULL, y->consult = NULL;
        if (x->ngrant) {
            y->grant = xmalloc(x->ngrant * sizeof *x->grant);
            memcpy(y->grant, x->grant, x->ngrant * sizeof *x->grant);
        }
        if (x->nconsult) {
            y->consult = xmalloc(x->nconsult * sizeof *x->consult);
            memcpy(y->consult, x->consult, x->nconsult * sizeof *x->consult);
        }
    }
    return c;
}
