/* ledger — per-entity state, referential rules, undo (see ledger.h). */
#include "ledger.h"

#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "day.h"
#include "deadline.h"
#include "map.h"

_Static_assert(sizeof(struct ent) == 14, "struct ent is a map slot's value: keep it small");

struct undo {
    struct key128 key;
    struct ent before;
};

struct ledger {
    struct map *ents;         /* key128 → struct ent */
    struct map *agency_index; /* key128(code) → uint32_t id + 1 */
    char **agencies;          /* id → code (owned) */
    uint32_t nagencies, agencies_cap;
    struct undo *undo;        /* changes since ledger_begin */
    size_t nundo, undo_cap;
    int recording;
};

struct ledger *ledger_new(void)
{
    struct ledger *l = xcalloc(1, sizeof *l);
    l->ents = map_new(sizeof(struct ent));
    l->agency_index = map_new(sizeof(uint32_t));
    return l;
}

void ledger_destroy(struct ledger **pl)
{
    struct ledger *l = *pl;
    if (!l)
        return;
    map_destroy(&l->ents);
    map_destroy(&l->agency_index);
    for (uint32_t i = 0; i < l->nagencies; i++)
        free(l->agencies[i]);
    free(l->agencies);
    free(l->undo);
    free(l);
    *pl = NULL;
}

uint32_t ledger_agency_id(struct ledger *l, const char *code)
{
    int created;
    uint32_t *v = map_put(l->agency_index, key128_of(0, 0, code), &created);
    if (!created)
        return *v - 1;
    if (l->nagencies == l->agencies_cap) {
        l->agencies_cap = l->agencies_cap ? l->agencies_cap * 2 : 64;
        l->agencies = xrealloc(l->agencies, l->agencies_cap * sizeof *l->agencies);
    }
    l->agencies[l->nagencies] = xstrdup(code);
    *v = ++l->nagencies;
    return *v - 1;
}

int ledger_agency_find(const struct ledger *l, const char *code, uint32_t *id)
{
    uint32_t *v = map_get(l->agency_index, key128_of(0, 0, code));
    if (!v)
        return -1;
    *id = *v - 1;
    return 0;
}

const char *ledger_agency_code(const struct ledger *l, uint32_t id)
{
    assert(id < l->nagencies);
    return l->agencies[id];
}

uint32_t ledger_agency_count(const struct ledger *l)
{
    return l->nagencies;
}

/* The entity an event is about: kind and key. Consultations are keyed by
 * application and consultation id together. */
static enum ent_kind ent_of(const struct ev *e)
{
    switch (e->type) {
    case EV_APPLICATION_RECEIVED:
    case EV_APPLICATION_RESOLVED:
    case EV_SUPPLEMENT_REQUESTED:
    case EV_SUPPLEMENT_RECEIVED:
    case EV_EXTENSION_GRANTED:
    case EV_DEADLINE_SET:
        return ENT_APP;
    case EV_DOCUMENT_ISSUED:
    case EV_DOCUMENT_PUBLISHED:
    case EV_DOCUMENT_REPEALED:
    case EV_DOCUMENT_LAPSED:
        return ENT_DOC;
    case EV_CATALOG_ITEM_ADDED:
    case EV_CATALOG_ITEM_REMOVED:
        return ENT_ITEM;
    case EV_PROCUREMENT_AWARDED:
        return ENT_PROC;
    case EV_REVIEW_FILED:
    case EV_REVIEW_DECIDED:
    case EV_LAWSUIT_FILED:
    case EV_LAWSUIT_DECIDED:
        return ENT_CASE;
    case EV_CONSULTATION_STARTED:
    case EV_CONSULTATION_ENDED:
        return ENT_CONSULT;
    default:
        return ENT_NONE;
    }
}

static struct key128 key_of(uint32_t agency, enum ent_kind k, const struct ev *e)
{
    if (k == ENT_CONSULT) {
        char both[2 * EV_ID_MAX + 2];
        snprintf(both, sizeof both, "%s\x1f%s", e->application_id, e->consultation_id);
        return key128_of(agency + 1, k, both);
    }
    return key128_of(agency + 1, k, ev_subject(e));
}

static const struct ent *lookup(struct ledger *l, const struct ev *e, enum ent_kind k,
                                struct key128 *key)
{
    uint32_t agency;
    if (ledger_agency_find(l, e->agency, &agency))
        return NULL;
    *key = key_of(agency, k, e);
    const struct ent *x = map_get(l->ents, *key);
    return x && x->kind != ENT_NONE ? x : NULL;
}

/* ---- agency-year sums (EV_SUM_MAX) -------------------------------------
 * Kept as entities of kind ENT_SUM (value in the amount bits), so undo and
 * checkpoints cover them like any other state. */
enum { SUM_FEE, SUM_PROC, SUM_DECISION /* + decision_kind - 1 */ };

static struct key128 sum_key(uint32_t agency, int which, int year)
{
    char id[24];
    snprintf(id, sizeof id, "%d/%d", which, year);
    return key128_of(agency + 1, ENT_SUM, id);
}

static int64_t sum_get(const struct ledger *l, const char *agency_code, int which, int year)
{
    uint32_t agency;
    if (ledger_agency_find(l, agency_code, &agency))
        return 0;
    const struct ent *x = map_get(l->ents, sum_key(agency, which, year));
    return x && x->kind == ENT_SUM ? ent_amount(x) : 0;
}

static void remember(struct ledger *l, struct key128 key, const struct ent *before);

static void sum_add(struct ledger *l, uint32_t agency, int which, int year, int64_t delta)
{
    struct key128 key = sum_key(agency, which, year);
    struct ent *x = map_put(l->ents, key, NULL);
    remember(l, key, x);
    int64_t v = (x->kind == ENT_SUM ? ent_amount(x) : 0) + delta; /* both within ±EV_SUM_MAX */
    memset(x, 0, sizeof *x);
    x->kind = ENT_SUM;
    ent_set_amount(x, v);
}

/* Refuses add more to the agency-year sum `which` when the sum would pass
 * EV_SUM_MAX. value/field name what the event carries; what names the sum. */
static int sum_check(const struct ledger *l, const struct ev *e, int which, int64_t add,
                     const char *field, int64_t value, const char *what, struct ev_error *err)
{
    int year = day_year(e->day);
    int64_t cur = sum_get(l, e->agency, which, year);
    if (add <= EV_SUM_MAX - cur)
        return 0;
    return ev_fail(err, "bad_value",
                   "%s: %lld would take %s of agency %s in %d to %lld, past the most one "
                   "agency-year can hold (%lld)",
                   field, (long long)value, what, e->agency, year, (long long)(cur + add),
                   (long long)EV_SUM_MAX);
}

static int check_sums(struct ledger *l, const struct ev *e, struct ev_error *err)
{
    static const char *const decisions[] = {"", "the licensing decisions",
                                            "the other-service decisions",
                                            "the penalty decisions", "the enforcement decisions"};
    switch (e->type) {
    case EV_FEE_COLLECTED:
        return sum_check(l, e, SUM_FEE, e->amount_fen, "amount_fen", e->amount_fen,
                         "the fees collected", err);
    case EV_DECISION_MADE:
        assert(e->decision_kind >= 1 && e->decision_kind <= 4);
        return sum_check(l, e, SUM_DECISION + e->decision_kind - 1, e->count, "count", e->count,
                         decisions[e->decision_kind], err);
    case EV_PROCUREMENT_AWARDED: {
        /* A correction replaces the amount: only the difference is added
         * when it stays in the same year. */
        struct key128 key;
        const struct ent *x = lookup(l, e, ENT_PROC, &key);
        int64_t add = e->amount_fen;
        if (x && day_year(x->d[0]) == day_year(e->day))
            add -= ent_amount(x);
        return sum_check(l, e, SUM_PROC, add, "amount_fen", e->amount_fen,
                         "the procurement amounts awarded", err);
    }
    default:
        return 0;
    }
}

static void fmt_day(int32_t day, char *buf)
{
    day_format_date(day, buf, 11);
}

/* Receipt and answer of an application (x its entity, or NULL); d1 is the
 * event's day as text. */
static int check_application(const struct ent *x, const struct ev *e, const char *d1,
                             struct ev_error *err)
{
    char d2[11];
    if (e->type == EV_APPLICATION_RECEIVED) {
        if (x && x->d[1] && e->day > x->d[1]) {
            fmt_day(x->d[1], d2);
            return ev_fail(err, "resolved_before_received",
                           "occurred_at: receipt on %s would follow the answer of %s to "
                           "application_id \"%s\"",
                           d1, d2, e->application_id);
        }
        return 0;
    }
    if (!x)
        return ev_fail(err, "unknown_application",
                       "application_id: \"%s\" was never received by agency %s",
                       e->application_id, e->agency);
    if (e->day < x->d[0]) {
        fmt_day(x->d[0], d2);
        return ev_fail(err, "resolved_before_received",
                       "occurred_at: answer on %s is before the receipt on %s of "
                       "application_id \"%s\"",
                       d1, d2, e->application_id);
    }
    return 0;
}

/* A step in an application's handling (补正, extension, deadline,
 * consultation): the application must have been received by then; x is the
 * step's own entity (a consultation's), or NULL. */
static int check_step(struct ledger *l, const struct ent *x, const struct ev *e, const char *d1,
                      struct ev_error *err)
{
    char d2[11];
    struct ev app = *e;
    app.type = EV_APPLICATION_RECEIVED;
    struct key128 akey;
    const struct ent *a = lookup(l, &app, ENT_APP, &akey);
    if (!a)
        return ev_fail(err, "unknown_application",
                       "application_id: \"%s\" was never received by agency %s",
                       e->application_id, e->agency);
    if (e->day < a->d[0]) {
        fmt_day(a->d[0], d2);
        return ev_fail(err, "dated_before_received",
                       "occurred_at: %s is before the receipt on %s of application_id \"%s\"",
                       d1, d2, e->application_id);
    }
    if (e->type == EV_EXTENSION_GRANTED) {
        /* Extensions add up: article 33 limits the extension "in all"
         * (最长不得超过20个工作日), so a second grant that takes the total
         * past it is refused, not taken as a correction of the first.
         * The 2007 rules' 15 is applied when counting (deadline.h). */
        char why[200];
        if (deadline_check_extension_total(a->c, (int)e->working_days, why, sizeof why))
            return ev_fail(err, "bad_value", "%s (application_id \"%s\")", why,
                           e->application_id);
    }
    if (e->type == EV_DEADLINE_SET && e->due_day < e->day)
        return ev_fail(err, "bad_value", "due: before the event's own date %s", d1);
    if (e->type == EV_CONSULTATION_ENDED && !x)
        return ev_fail(err, "unknown_consultation",
                       "consultation_id: \"%s\" was never started for application_id \"%s\"",
                       e->consultation_id, e->application_id);
    if (e->type == EV_CONSULTATION_ENDED && e->day < x->d[0]) {
        fmt_day(x->d[0], d2);
        return ev_fail(err, "bad_value",
                       "occurred_at: consultation \"%s\" would end on %s, before it started on %s",
                       e->consultation_id, d1, d2);
    }
    return 0;
}

/* Filing and decision of a review or lawsuit (x the case, or NULL). */
static int check_case(const struct ent *x, const struct ev *e, const char *d1, struct ev_error *err)
{
    char d2[11];
    bool filed = e->type == EV_REVIEW_FILED || e->type == EV_LAWSUIT_FILED;
    int fam = e->type == EV_REVIEW_FILED || e->type == EV_REVIEW_DECIDED ? CASE_REVIEW
                                                                          : CASE_LAWSUIT;
    if (filed) {
        if (x && x->a != fam)
            return ev_fail(err, "bad_value", "case_id: \"%s\" was filed as a %s", e->case_id,
                           x->a == CASE_REVIEW ? "review" : "lawsuit");
        if (x && x->d[1] && e->day > x->d[1]) {
            fmt_day(x->d[1], d2);
            return ev_fail(err, "decided_before_filed",
                           "occurred_at: filing on %s would follow the decision of %s in case_id \"%s\"",
                           d1, d2, e->case_id);
        }
        return 0;
    }
    if (!x || x->a != fam)
        return ev_fail(err, "unknown_case", "case_id: \"%s\" was never filed with %s by agency %s",
                       e->case_id, fam == CASE_REVIEW ? "review_filed" : "lawsuit_filed", e->agency);
    if (e->day < x->d[0]) {
        fmt_day(x->d[0], d2);
        return ev_fail(err, "decided_before_filed",
                       "occurred_at: decision on %s is before the filing on %s of case_id \"%s\"",
                       d1, d2, e->case_id);
    }
    return 0;
}

int ledger_check(struct ledger *l, const struct ev *e, struct ev_error *err)
{
    enum ent_kind k = ent_of(e);
    struct key128 key;
    char d1[11];
    if (check_sums(l, e, err))
        return -1;
    if (k == ENT_NONE)
        return 0;
    const struct ent *x = lookup(l, e, k, &key);
    fmt_day(e->day, d1);
    switch (e->type) {
    case EV_APPLICATION_RECEIVED:
    case EV_APPLICATION_RESOLVED:
        return check_application(x, e, d1, err);
    case EV_SUPPLEMENT_REQUESTED:
    case EV_SUPPLEMENT_RECEIVED:
    case EV_EXTENSION_GRANTED:
    case EV_DEADLINE_SET:
    case EV_CONSULTATION_STARTED:
    case EV_CONSULTATION_ENDED:
        return check_step(l, x, e, d1, err);
    case EV_CATALOG_ITEM_REMOVED:
        if (!x)
            return ev_fail(err, "unknown_item", "item_id: \"%s\" was never added by agency %s",
                           e->item_id, e->agency);
        if (x->a != e->item_kind)
            return ev_fail(err, "unknown_item", "item_kind: item \"%s\" is %s, not %s", e->item_id,
                           ev_item_kind_names[x->a], ev_item_kind_names[e->item_kind]);
        return 0;
    case EV_REVIEW_FILED:
    case EV_LAWSUIT_FILED:
    case EV_REVIEW_DECIDED:
    case EV_LAWSUIT_DECIDED:
        return check_case(x, e, d1, err);
    default:
        return 0;
    }
}

static void remember(struct ledger *l, struct key128 key, const struct ent *before)
{
    if (!l->recording)
        return;
    if (l->nundo == l->undo_cap) {
        l->undo_cap = l->undo_cap ? l->undo_cap * 2 : 1024;
        l->undo = xrealloc(l->undo, l->undo_cap * sizeof *l->undo);
    }
    l->undo[l->nundo++] = (struct undo){key, *before};
}

/* extension_granted: the application's running total, which intake needs for
 * the limit in all (ledger_check). It is no counted state, so the change
 * reported to tables.c stays empty. Saturates rather than wraps: intake keeps
 * totals within 20, this only guards a log written without it. */
static void add_extension(struct ledger *l, uint32_t agency, const struct ev *e)
{
    struct key128 key = key_of(agency, ENT_APP, e);
    struct ent *x = map_get(l->ents, key);
    if (!x || x->kind == ENT_NONE)
        return;
    remember(l, key, x);
    int64_t sum = (int64_t)x->c + e->working_days;
    x->c = (uint8_t)(sum > UINT8_MAX ? UINT8_MAX : sum < 0 ? 0 : sum);
}

void ledger_apply(struct ledger *l, const struct ev *e, struct ledger_change *chg)
{
    memset(chg, 0, sizeof *chg);
    chg->agency = ledger_agency_id(l, e->agency);
    chg->ev = e;
    enum ent_kind k = ent_of(e);
    if (e->type == EV_EXTENSION_GRANTED) {
        add_extension(l, chg->agency, e);
        return;
    }
    if (e->type == EV_FEE_COLLECTED)
        sum_add(l, chg->agency, SUM_FEE, day_year(e->day), e->amount_fen);
    else if (e->type == EV_DECISION_MADE)
        sum_add(l, chg->agency, SUM_DECISION + e->decision_kind - 1, day_year(e->day), e->count);
    else if (e->type == EV_PROCUREMENT_AWARDED) {
        /* Before the entity's own map_put: sum_add may move the map's slots. */
        struct key128 pkey;
        const struct ent *old = lookup(l, e, ENT_PROC, &pkey);
        if (old) {
            int old_year = day_year(old->d[0]);
            int64_t old_amount = ent_amount(old);
            sum_add(l, chg->agency, SUM_PROC, old_year, -old_amount);
        }
        sum_add(l, chg->agency, SUM_PROC, day_year(e->day), e->amount_fen);
    }
    /* Other timeliness events change no state here (timeliness.c keeps theirs). */
    if (k == ENT_NONE || (k == ENT_APP && e->type != EV_APPLICATION_RECEIVED &&
                          e->type != EV_APPLICATION_RESOLVED))
        return;
    assert(e->day > 0 && e->day <= UINT16_MAX); /* ev_finish bounds the year: see struct ent */
    struct key128 key = key_of(chg->agency, k, e);
    int created;
    struct ent *x = map_put(l->ents, key, &created);
    remember(l, key, x);
    chg->before = *x;
    x->kind = (uint8_t)k;
    switch (e->type) {
    case EV_APPLICATION_RECEIVED: x->a = e->applicant; x->d[0] = (uint16_t)e->day; break;
    case EV_APPLICATION_RESOLVED: x->b = e->outcome; x->d[1] = (uint16_t)e->day; break;
    case EV_DOCUMENT_ISSUED: x->a = e->document_kind; x->d[0] = (uint16_t)e->day; break;
    case EV_DOCUMENT_PUBLISHED: x->a = e->document_kind; x->d[1] = (uint16_t)e->day; break;
    case EV_DOCUMENT_REPEALED: x->a = e->document_kind; x->d[2] = (uint16_t)e->day; break;
    case EV_DOCUMENT_LAPSED: x->a = e->document_kind; x->d[3] = (uint16_t)e->day; break;
    case EV_CATALOG_ITEM_ADDED: x->a = e->item_kind; x->d[0] = (uint16_t)e->day; break;
    case EV_CATALOG_ITEM_REMOVED: x->d[1] = (uint16_t)e->day; break;
    case EV_PROCUREMENT_AWARDED: x->d[0] = (uint16_t)e->day; ent_set_amount(x, e->amount_fen); break;
    case EV_REVIEW_FILED:
        x->a = CASE_REVIEW; x->d[0] = (uint16_t)e->day; x->flags = 0; break;
    case EV_LAWSUIT_FILED:
        x->a = CASE_LAWSUIT; x->b = e->route; x->d[0] = (uint16_t)e->day;
        x->flags = e->as_review_body ? CASE_AS_REVIEW_BODY : 0;
        break;
    case EV_REVIEW_DECIDED:
    case EV_LAWSUIT_DECIDED: x->c = e->result; x->d[1] = (uint16_t)e->day; break;
    case EV_CONSULTATION_STARTED: x->d[0] = (uint16_t)e->day; break;
    case EV_CONSULTATION_ENDED: x->d[1] = (uint16_t)e->day; break;
    default: break;
    }
    chg->after = *x;
}

void ledger_begin(struct ledger *l)
{
    assert(!l->recording);
    l->recording = 1;
    l->nundo = 0;
}

void ledger_commit(struct ledger *l)
{
    assert(l->recording);
    l->recording = 0;
    l->nundo = 0;
}

void ledger_rollback(struct ledger *l)
{
    assert(l->recording);
    /* Newest first, so an entity changed twice ends at its oldest state. */
    while (l->nundo) {
        struct undo *u = &l->undo[--l->nundo];
        struct ent *x = map_get(l->ents, u->key);
        assert(x);
        *x = u->before;
    }
    l->recording = 0;
}

void ledger_save(const struct ledger *l, struct buf *out)
{
    assert(!l->recording);
    buf_append(out, &l->nagencies, sizeof l->nagencies);
    for (uint32_t i = 0; i < l->nagencies; i++) {
        uint32_t n = (uint32_t)strlen(l->agencies[i]);
        buf_append(out, &n, sizeof n);
        buf_append(out, l->agencies[i], n);
    }
    uint64_t count = map_count(l->ents);
    buf_append(out, &count, sizeof count);
    buf_reserve(out, count * (sizeof(struct key128) + sizeof(struct ent)));
    size_t i = 0;
    struct key128 k;
    const struct ent *x;
    while ((x = map_next(l->ents, &i, &k))) {
        buf_append(out, &k, sizeof k);
        buf_append(out, x, sizeof *x);
    }
}

int ledger_load(struct ledger *l, struct rd *in)
{
    assert(!l->nagencies && !map_count(l->ents));
    uint32_t nag;
    if (rd_copy(in, &nag, sizeof nag))
        return -1;
    for (uint32_t i = 0; i < nag; i++) {
        uint32_t n;
        const char *code = rd_copy(in, &n, sizeof n) == 0 && n <= EV_AGENCY_MAX ? rd_take(in, n) : NULL;
        if (!code)
            return -1;
        char c[EV_AGENCY_MAX + 1];
        memcpy(c, code, n);
        c[n] = '\0';
        if (ledger_agency_id(l, c) != i)
            return -1; /* a code twice: not a checkpoint of ours */
    }
    uint64_t count;
    if (rd_copy(in, &count, sizeof count) ||
        count > in->left / (sizeof(struct key128) + sizeof(struct ent)))
        return -1;
    map_reserve(l->ents, (size_t)count);
    for (uint64_t i = 0; i < count; i++) {
        struct key128 k;
        struct ent e;
        if (rd_copy(in, &k, sizeof k) || rd_copy(in, &e, sizeof e) || (!k.a && !k.b))
            return -1;
        memcpy(map_put(l->ents, k, NULL), &e, sizeof e);
    }
    return in->ok ? 0 : -1;
}

size_t ledger_entities(const struct ledger *l)
{
    return map_count(l->ents);
}

size_t ledger_bytes(const struct ledger *l)
{
    return map_bytes(l->ents) + map_bytes(l->agency_index) + l->undo_cap * sizeof(struct undo);
}
