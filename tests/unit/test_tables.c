/* test_tables — the counting rules of spec/report.md, without any process:
 * events are parsed from JSON Lines (jsonl_parse), checked against the ledger
 * as intake would (ledger_check), folded through ledger_apply + tables_apply,
 * and the numbers of tables_report (and render_report's JSON and text) are
 * asserted rule by rule, in both templates.
 *
 * Corrections are checked twice: against stated numbers, and against a fold
 * that only ever saw the final state of each entity (every field of every
 * report of every year, both case rules). Money rendering (money.h) is
 * checked at its rounding edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "event.h"
#include "jsonl.h"
#include "ledger.h"
#include "money.h"
#include "render.h"
#include "tables.h"

enum { NP, CE, RI, SW, LS, OO }; /* applicant columns 0..5 */

/* ---- a fold: ledger + tables, fed with JSON lines ---------------------------------- */

struct fold {
    struct ledger *l;
    struct tables *t;
    int n; /* events applied, for event_ids */
};

static void fold_init(struct fold *f)
{
    f->l = ledger_new();
    f->t = tables_new();
    f->n = 0;
}

static void fold_free(struct fold *f)
{
    ledger_destroy(&f->l);
    tables_destroy(&f->t);
}

/* Parses one event (body: the JSON object's members after event_id), checks
 * it as intake would, applies it. */
static void apply(struct fold *f, const char *body)
{
    char line[1024];
    struct ev e;
    struct ev_error err;
    int n = snprintf(line, sizeof line, "{\"event_id\":\"u-%d\",%s}", ++f->n, body);
    assert_true(n > 0 && (size_t)n < sizeof line);
    memset(&e, 0, sizeof e);
    if (jsonl_parse(line, (size_t)n, &e, &err))
        fail_msg("jsonl_parse %s: %s: %s", line, err.code, err.message);
    if (ledger_check(f->l, &e, &err))
        fail_msg("ledger_check %s: %s: %s", line, err.code, err.message);
    struct ledger_change c;
    ledger_apply(f->l, &e, &c);
    tables_apply(f->t, &c);
}

#define AG "\"agency\":\"%s\",\"occurred_at\":\"%s\""

static void recv_app(struct fold *f, const char *ag, const char *id, const char *applicant,
                     const char *at)
{
    char b[512];
    snprintf(b, sizeof b,
             "\"type\":\"application_received\"," AG ",\"application_id\":\"%s\",\"applicant\":\"%s\"",
             ag, at, id, applicant);
    apply(f, b);
}

static void resolve(struct fold *f, const char *ag, const char *id, const char *outcome,
                    const char *at)
{
    char b[512];
    snprintf(b, sizeof b,
             "\"type\":\"application_resolved\"," AG ",\"application_id\":\"%s\",\"outcome\":\"%s\"",
             ag, at, id, outcome);
    apply(f, b);
}

/* type: issued, published, repealed, lapsed */
static void doc(struct fold *f, const char *type, const char *ag, const char *id, const char *kind,
                const char *at)
{
    char b[512];
    snprintf(b, sizeof b,
             "\"type\":\"document_%s\"," AG ",\"document_id\":\"%s\",\"document_kind\":\"%s\"", type,
             ag, at, id, kind);
    apply(f, b);
}

/* type: added, removed */
static void item(struct fold *f, const char *type, const char *ag, const char *id, const char *kind,
                 const char *at)
{
    char b[512];
    snprintf(b, sizeof b, "\"type\":\"catalog_item_%s\"," AG ",\"item_id\":\"%s\",\"item_kind\":\"%s\"",
             type, ag, at, id, kind);
    apply(f, b);
}

/* count 0: the field left out (default 1) */
static void decision(struct fold *f, const char *ag, const char *kind, long count, const char *at)
{
    char b[512];
    if (count)
        snprintf(b, sizeof b, "\"type\":\"decision_made\"," AG ",\"decision_kind\":\"%s\",\"count\":%ld",
                 ag, at, kind, count);
    else
        snprintf(b, sizeof b, "\"type\":\"decision_made\"," AG ",\"decision_kind\":\"%s\"", ag, at, kind);
    apply(f, b);
}

static void fee(struct fold *f, const char *ag, long long fen, const char *at)
{
    char b[512];
    snprintf(b, sizeof b, "\"type\":\"fee_collected\"," AG ",\"amount_fen\":%lld", ag, at, fen);
    apply(f, b);
}

static void proc(struct fold *f, const char *ag, const char *id, long long fen, const char *at)
{
    char b[512];
    snprintf(b, sizeof b,
             "\"type\":\"procurement_awarded\"," AG ",\"procurement_id\":\"%s\",\"amount_fen\":%lld", ag,
             at, id, fen);
    apply(f, b);
}

static void review_filed(struct fold *f, const char *ag, const char *id, const char *at)
{
    char b[512];
    snprintf(b, sizeof b, "\"type\":\"review_filed\"," AG ",\"case_id\":\"%s\"", ag, at, id);
    apply(f, b);
}

/* route: direct / after_review; rb: as_review_body */
static void lawsuit_filed(struct fold *f, const char *ag, const char *id, const char *route, int rb,
                          const char *at)
{
    char b[512];
    snprintf(b, sizeof b, "\"type\":\"lawsuit_filed\"," AG ",\"case_id\":\"%s\",\"route\":\"%s\"%s", ag,
             at, id, route, rb ? ",\"as_review_body\":true" : "");
    apply(f, b);
}

/* type: review, lawsuit */
static void decided(struct fold *f, const char *type, const char *ag, const char *id,
                    const char *result, const char *at)
{
    char b[512];
    snprintf(b, sizeof b, "\"type\":\"%s_decided\"," AG ",\"case_id\":\"%s\",\"result\":\"%s\"", type, ag,
             at, id, result);
    apply(f, b);
}

static struct report rep(const struct fold *f, const char *ag, int year, enum case_rule rule)
{
    struct report r;
    uint32_t id;
    if (ledger_agency_find(f->l, ag, &id))
        id = UINT32_MAX;
    tables_report(f->t, id, ag, year, rule, &r);
    return r;
}

static int oc(const char *code)
{
    int o = ev_lookup(ev_outcome_names, N_OUTCOME, code);
    assert_true(o > 0);
    return o - 1;
}

/* The report's own arithmetic: balance per column, outcome sum, case totals. */
static void assert_sound(const struct report *r)
{
    for (int c = 0; c < N_COLS; c++) {
        int64_t s = 0;
        for (int o = 0; o < N_OUTCOMES; o++)
            s += r->outcome[o][c];
        assert_int_equal(s, r->total_processed[c]);
        assert_int_equal(r->received[c] + r->carried_over[c], r->total_processed[c] + r->carried_forward[c]);
        assert_true(r->carried_over[c] >= 0 && r->carried_forward[c] >= 0);
    }
    for (int row = 0; row < 3; row++)
        assert_int_equal(r->cases[row][4], r->cases[row][0] + r->cases[row][1] + r->cases[row][2] + r->cases[row][3]);
    assert_int_equal(r->template2021, r->year >= 2021);
}

/* Consecutive years of one agency agree with each other. */
static void assert_chain(const struct report *a, const struct report *b)
{
    for (int c = 0; c < N_COLS; c++)
        assert_int_equal(a->carried_forward[c], b->carried_over[c]);
    for (int k = 0; k < 5; k++)
        assert_int_equal(a->items_prev_year[k] + a->items_change[k], b->items_prev_year[k]);
}

/* Every number of two reports (agency code aside). */
static void assert_same_numbers(const struct report *a, const struct report *b)
{
    assert_int_equal(a->year, b->year);
    assert_int_equal(a->template2021, b->template2021);
    assert_int_equal(a->case_rule, b->case_rule);
    const int64_t *x = a->received, *y = b->received;
    size_t n = (size_t)((const char *)(&a->cases[2][4] + 1) - (const char *)x) / sizeof *x;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            fail_msg("%d (%s): number %zu of the report: %lld vs %lld", a->year,
                     a->case_rule == CASE_RULE_FILED ? "filed" : "handled", i, (long long)x[i],
                     (long long)y[i]);
}

static int is_zero(const struct report *r)
{
    const int64_t *x = r->received;
    size_t n = (size_t)((const char *)(&r->cases[2][4] + 1) - (const char *)x) / sizeof *x;
    for (size_t i = 0; i < n; i++)
        if (x[i])
            return 0;
    return 1;
}

/* The JSON render of r, parsed. */
static json_t *as_json(const struct report *r)
{
    struct buf b = {0};
    render_report(r, NULL, FORMAT_JSON, 0, &b); /* now = 1970: every year is current */
    json_error_t err;
    json_t *j = json_loads(b.data, 0, &err);
    if (!j)
        fail_msg("render_report JSON does not parse: %s\n%s", err.text, b.data);
    buf_free(&b);
    return j;
}

static char *as_text(const struct report *r, enum render_format f)
{
    struct buf b = {0};
    render_report(r, NULL, f, 0, &b);
    return b.data;
}

/* ---- Beijing day ------------------------------------------------------------------------ */

static void test_beijing_day(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    recv_app(&f, "d", "a1", "natural_person", "2019-12-31T15:59:59Z");            /* BJ 2019-12-31 23:59:59 */
    recv_app(&f, "d", "a2", "commercial_enterprise", "2019-12-31T16:30:00Z");     /* BJ 2020-01-01 00:30 */
    recv_app(&f, "d", "a3", "research_institution", "2019-12-31T15:59:59.999999Z");
    recv_app(&f, "d", "a4", "social_welfare_org", "2019-12-31T16:00:00Z");        /* BJ 2020-01-01 00:00 */
    recv_app(&f, "d", "a5", "legal_service_org", "2019-12-31T10:30:00-06:00");    /* 16:30Z: BJ 2020 */
    recv_app(&f, "d", "a6", "other_org", "2020-01-01T07:59:59+08:00");            /* BJ 2020-01-01 */
    recv_app(&f, "d", "a7", "other_org", "2019-12-31T23:59:59+08:00");            /* BJ 2019-12-31 */
    decision(&f, "d", "licensing", 3, "2019-12-31T15:59:59Z");
    decision(&f, "d", "licensing", 5, "2019-12-31T16:30:00Z");
    struct report r19 = rep(&f, "d", 2019, CASE_RULE_FILED), r20 = rep(&f, "d", 2020, CASE_RULE_FILED);
    int64_t want19[N_COLS] = {1, 0, 1, 0, 0, 1}, want20[N_COLS] = {0, 1, 0, 1, 1, 1};
    for (int c = 0; c < N_COLS; c++) {
        assert_int_equal(r19.received[c], want19[c]);
        assert_int_equal(r20.received[c], want20[c]);
        assert_int_equal(r20.carried_over[c], want19[c]);
    }
    assert_int_equal(r19.decisions[ITEM_LICENSING - 1], 3);
    assert_int_equal(r20.decisions[ITEM_LICENSING - 1], 5);
    assert_sound(&r19);
    assert_sound(&r20);
    assert_chain(&r19, &r20);
    fold_free(&f);
}

/* ---- applications: carry-over across two year ends ---------------------------------------- */

static void test_carry_over(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    recv_app(&f, "c", "c1", "natural_person", "2019-06-01T10:00:00+08:00");
    resolve(&f, "c", "c1", "disclosed", "2021-03-01T10:00:00+08:00");
    recv_app(&f, "c", "c2", "research_institution", "2019-11-11T10:00:00+08:00");
    resolve(&f, "c", "c2", "partially_disclosed", "2020-01-02T10:00:00+08:00");
    recv_app(&f, "c", "c3", "legal_service_org", "2018-12-01T10:00:00+08:00");
    resolve(&f, "c", "c3", "unavailable.not_held", "2018-12-20T10:00:00+08:00");
    recv_app(&f, "c", "c4", "commercial_enterprise", "2018-10-01T10:00:00+08:00");
    resolve(&f, "c", "c4", "other.fee_unpaid", "2020-10-01T10:00:00+08:00");
    struct report r[6];
    for (int y = 2017; y <= 2022; y++) {
        r[y - 2017] = rep(&f, "c", y, CASE_RULE_FILED);
        assert_sound(&r[y - 2017]);
        if (y > 2017)
            assert_chain(&r[y - 2018], &r[y - 2017]);
    }
    struct report *r18 = &r[1], *r19 = &r[2], *r20 = &r[3], *r21 = &r[4], *r22 = &r[5];
    assert_true(is_zero(&r[0]));
    assert_int_equal(r18->received[LS], 1);
    assert_int_equal(r18->received[CE], 1);
    assert_int_equal(r18->outcome[oc("unavailable.not_held")][LS], 1);
    assert_int_equal(r18->carried_forward[CE], 1);
    assert_int_equal(r19->carried_over[CE], 1);
    assert_int_equal(r19->received[NP] + r19->received[RI], 2);
    assert_int_equal(r19->carried_forward[NP] + r19->carried_forward[RI] + r19->carried_forward[CE], 3);
    assert_int_equal(r20->carried_over[NP] + r20->carried_over[RI] + r20->carried_over[CE], 3);
    assert_int_equal(r20->outcome[oc("partially_disclosed")][RI], 1);
    assert_int_equal(r20->outcome[oc("other.fee_unpaid")][CE], 1);
    assert_int_equal(r20->carried_forward[NP], 1);
    assert_int_equal(r20->carried_forward[RI] + r20->carried_forward[CE], 0);
    assert_int_equal(r21->carried_over[NP], 1);
    assert_int_equal(r21->outcome[oc("disclosed")][NP], 1);
    assert_int_equal(r21->total_processed[NP], 1);
    assert_int_equal(r21->carried_forward[NP], 0);
    assert_true(r21->template2021);
    assert_true(is_zero(r22));
    fold_free(&f);
}

/* ---- documents ---------------------------------------------------------------------------- */

static void test_documents(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    const char *T = "T09:00:00+08:00";
    char at[64];
#define AT(d) (snprintf(at, sizeof at, "%s%s", (d), T), at)
    doc(&f, "issued", "x", "d1", "normative", AT("2018-03-01"));
    doc(&f, "published", "x", "d1", "normative", AT("2018-03-05"));
    doc(&f, "lapsed", "x", "d1", "normative", AT("2019-08-01"));
    doc(&f, "issued", "x", "d2", "normative", AT("2018-04-01"));
    doc(&f, "published", "x", "d2", "normative", AT("2018-04-02"));
    doc(&f, "repealed", "x", "d2", "normative", AT("2019-09-01"));
    doc(&f, "issued", "x", "d3", "rule", AT("2019-01-10"));
    doc(&f, "published", "x", "d3", "rule", AT("2019-01-15"));
    doc(&f, "issued", "x", "d4", "normative", "2019-12-31T16:30:00Z");
    doc(&f, "published", "x", "d4", "normative", AT("2020-01-03"));
    doc(&f, "repealed", "x", "d4", "normative", AT("2021-05-01"));
    doc(&f, "issued", "x", "d5", "rule", AT("2020-06-01"));
    doc(&f, "published", "x", "d5", "rule", AT("2020-06-02"));
    doc(&f, "lapsed", "x", "d5", "rule", AT("2022-01-01"));
    doc(&f, "issued", "x", "d6", "normative", AT("2021-02-01"));
    doc(&f, "published", "x", "d6", "normative", AT("2021-02-02"));
    doc(&f, "repealed", "x", "d6", "normative", AT("2021-11-01"));
    doc(&f, "issued", "x", "d7", "normative", AT("2019-05-01"));
    doc(&f, "published", "x", "d7", "normative", AT("2020-02-01"));
    doc(&f, "issued", "x", "d8", "rule", AT("2018-06-01"));
    doc(&f, "published", "x", "d8", "rule", AT("2018-06-02"));
    doc(&f, "lapsed", "x", "d8", "rule", "2019-12-31T16:30:00Z");
#undef AT
    /* [year-2018][kind] {issued, published, total_published, repealed, in_force} */
    static const int64_t want[5][2][5] = {
        {{1, 1, 1, 0, 1}, {2, 2, 2, 0, 2}},
        {{1, 1, 2, 0, 2}, {1, 0, 0, 1, 1}}, /* d1 lapsed: not repealed; d7 issued, unpublished */
        {{1, 1, 2, 0, 2}, {1, 2, 2, 0, 2}},
        {{0, 0, 2, 0, 2}, {1, 1, 1, 2, 1}},
        {{0, 0, 1, 0, 1}, {0, 0, 1, 0, 1}}, /* d5 lapsed in 2022: out of force, not repealed */
    };
    for (int y = 2018; y <= 2022; y++) {
        struct report r = rep(&f, "x", y, CASE_RULE_FILED);
        for (int k = 0; k < 2; k++) {
            const int64_t *w = want[y - 2018][k];
            if (r.doc_issued[k] != w[0] || r.doc_published[k] != w[1] || r.doc_total_published[k] != w[2] ||
                r.doc_repealed[k] != w[3] || r.doc_in_force[k] != w[4])
                fail_msg("%d %s: issued %lld published %lld total_published %lld repealed %lld in_force %lld",
                         y, k ? "normative" : "rule", (long long)r.doc_issued[k],
                         (long long)r.doc_published[k], (long long)r.doc_total_published[k],
                         (long long)r.doc_repealed[k], (long long)r.doc_in_force[k]);
        }
    }
    /* Template columns in the JSON: 2019 published/total_published, 2021 repealed/in_force. */
    struct report r = rep(&f, "x", 2021, CASE_RULE_FILED);
    json_t *j = as_json(&r);
    json_t *n = json_object_get(json_object_get(j, "active_disclosure"), "normative");
    assert_int_equal(json_integer_value(json_object_get(n, "issued")), 1);
    assert_int_equal(json_integer_value(json_object_get(n, "repealed")), 2);
    assert_int_equal(json_integer_value(json_object_get(n, "in_force")), 1);
    assert_null(json_object_get(n, "total_published"));
    json_decref(j);
    char *text = as_text(&r, FORMAT_TEXT);
    assert_non_null(strstr(text, "\n行政规范性文件\t1\t2\t1\n"));
    assert_non_null(strstr(text, "\n规章\t0\t0\t2\n"));
    free(text);
    r = rep(&f, "x", 2019, CASE_RULE_FILED);
    j = as_json(&r);
    n = json_object_get(json_object_get(j, "active_disclosure"), "rule");
    assert_int_equal(json_integer_value(json_object_get(n, "total_published")), 2);
    assert_null(json_object_get(n, "in_force"));
    json_decref(j);
    fold_free(&f);
}

/* ---- catalogue items ---------------------------------------------------------------------- */

static void test_items(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    item(&f, "added", "i", "i1", "licensing", "2017-05-01T09:00:00+08:00");
    item(&f, "added", "i", "i2", "licensing", "2019-03-01T09:00:00+08:00");
    item(&f, "added", "i", "i3", "other_service", "2018-01-01T09:00:00+08:00");
    item(&f, "removed", "i", "i3", "other_service", "2019-06-01T09:00:00+08:00");
    item(&f, "added", "i", "i4", "penalty", "2019-12-31T16:30:00Z");
    item(&f, "added", "i", "i5", "enforcement", "2018-02-01T09:00:00+08:00");
    item(&f, "removed", "i", "i5", "enforcement", "2020-02-01T09:00:00+08:00");
    item(&f, "added", "i", "i6", "fee", "2018-01-01T09:00:00+08:00");
    item(&f, "added", "i", "i7", "fee", "2018-07-01T09:00:00+08:00");
    item(&f, "removed", "i", "i7", "fee", "2018-09-01T09:00:00+08:00");
    /* [year-2017][kind] {prev, change}: licensing other_service penalty enforcement fee */
    static const int64_t want[4][5][2] = {
        {{0, 1}, {0, 0}, {0, 0}, {0, 0}, {0, 0}},
        {{1, 0}, {0, 1}, {0, 0}, {0, 1}, {0, 1}},
        {{1, 1}, {1, -1}, {0, 0}, {1, 0}, {1, 0}},
        {{2, 0}, {0, 0}, {0, 1}, {1, -1}, {1, 0}},
    };
    struct report prev = rep(&f, "i", 2016, CASE_RULE_FILED);
    assert_true(is_zero(&prev));
    for (int y = 2017; y <= 2020; y++) {
        struct report r = rep(&f, "i", y, CASE_RULE_FILED);
        for (int k = 0; k < 5; k++) {
            if (r.items_prev_year[k] != want[y - 2017][k][0] || r.items_change[k] != want[y - 2017][k][1])
                fail_msg("%d %s: items_prev_year %lld items_change %lld", y, ev_item_kind_names[k + 1],
                         (long long)r.items_prev_year[k], (long long)r.items_change[k]);
        }
        assert_chain(&prev, &r);
        prev = r;
    }
    fold_free(&f);
}

/* ---- decisions, fees, procurement; money ---------------------------------------------------- */

static void test_decisions_count(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    decision(&f, "e", "licensing", 590, "2019-06-01T09:00:00+08:00");
    decision(&f, "e", "licensing", 0, "2019-07-01T09:00:00+08:00"); /* count defaults to 1 */
    decision(&f, "e", "other_service", 8, "2019-07-02T09:00:00+08:00");
    decision(&f, "e", "penalty", 6, "2019-07-03T09:00:00+08:00");
    decision(&f, "e", "enforcement", 2, "2019-07-04T09:00:00+08:00");
    decision(&f, "e", "licensing", 1000000, "2021-03-01T09:00:00+08:00");
    struct report r = rep(&f, "e", 2019, CASE_RULE_FILED);
    assert_int_equal(r.decisions[0], 591);
    assert_int_equal(r.decisions[1], 8);
    assert_int_equal(r.decisions[2], 6);
    assert_int_equal(r.decisions[3], 2);
    r = rep(&f, "e", 2021, CASE_RULE_FILED);
    assert_int_equal(r.decisions[0], 1000000);
    json_t *j = as_json(&r);
    json_t *ad = json_object_get(j, "active_disclosure");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ad, "licensing"), "decisions")), 1000000);
    assert_null(json_object_get(ad, "other_service")); /* no such row in 2021 */
    assert_null(json_object_get(ad, "procurement"));
    json_decref(j);
    fold_free(&f);
}

static void money(int64_t fen, const char *want)
{
    char buf[32];
    money_wan_yuan(fen, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("money_wan_yuan(%lld) = \"%s\", want \"%s\"", (long long)fen, buf, want);
}

static void test_money_rendering(void **state)
{
    (void)state;
    money(0, "0.00");
    money(1, "0.00");
    money(4999, "0.00");
    money(5000, "0.01");
    money(10000, "0.01");
    money(14999, "0.01");
    money(15000, "0.02");
    money(995000, "1.00");
    money(1000000, "1.00");
    money(6021700000, "6021.70");
    money(1234565000, "1234.57"); /* half up, not to even */
    money(1234555000, "1234.56");
    money(1000000000000000, "1000000000.00");
    money(2000000000005000, "2000000000.01");
    money(INT64_MAX, "9223372036854.78");
    money(-5000, "-0.01");
    money(-4999, "0.00"); /* no "-0.00" */
    money(INT64_MIN, "-9223372036854.78");
}

static void test_fees_and_procurement(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    fee(&f, "m", 123456789, "2020-05-01T09:00:00+08:00"); /* no fee amount in the 2019 template */
    fee(&f, "m", 5000, "2021-05-01T09:00:00+08:00");
    fee(&f, "m", 4999, "2022-05-01T09:00:00+08:00");
    fee(&f, "m", 4999, "2023-05-01T09:00:00+08:00");
    fee(&f, "m", 1, "2023-06-01T09:00:00+08:00"); /* summed exactly, then rounded */
    fee(&f, "m", 1000000000000000LL, "2024-05-01T09:00:00+08:00");
    fee(&f, "m", 1000000000000000LL, "2024-05-02T09:00:00+08:00");
    proc(&f, "m", "p3", 4999, "2018-05-01T09:00:00+08:00");
    proc(&f, "m", "p4", 1, "2018-05-02T09:00:00+08:00");
    proc(&f, "m", "p1", 5000, "2019-05-01T09:00:00+08:00");
    proc(&f, "m", "p2", 4999, "2020-05-01T09:00:00+08:00");
    static const struct { int year; const char *row, *amount; int64_t projects; } want[] = {
        {2018, "procurement", "0.01", 2}, {2019, "procurement", "0.01", 1},
        {2020, "procurement", "0.00", 1}, {2021, "fee", "0.01", -1},
        {2022, "fee", "0.00", -1},        {2023, "fee", "0.01", -1},
        {2024, "fee", "2000000000.00", -1},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        struct report r = rep(&f, "m", want[i].year, CASE_RULE_FILED);
        json_t *j = as_json(&r);
        json_t *row = json_object_get(json_object_get(j, "active_disclosure"), want[i].row);
        const char *amount = json_string_value(json_object_get(row, "amount_wan_yuan"));
        if (!amount || strcmp(amount, want[i].amount) != 0)
            fail_msg("%d %s amount_wan_yuan %s, want \"%s\"", want[i].year, want[i].row,
                     amount ? amount : "(missing)", want[i].amount);
        if (want[i].projects >= 0)
            assert_int_equal(json_integer_value(json_object_get(row, "projects")), want[i].projects);
        json_decref(j);
    }
    struct report r = rep(&f, "m", 2020, CASE_RULE_FILED);
    assert_int_equal(r.fee_fen, 123456789); /* counted, just not shown in the 2019 template */
    json_t *j = as_json(&r);
    json_t *feerow = json_object_get(json_object_get(j, "active_disclosure"), "fee");
    assert_null(json_object_get(feerow, "amount_wan_yuan"));
    assert_non_null(json_object_get(feerow, "items_prev_year"));
    json_decref(j);
    r = rep(&f, "m", 2018, CASE_RULE_FILED);
    char *text = as_text(&r, FORMAT_TEXT);
    assert_non_null(strstr(text, "\n政府集中采购\t2\t0.01\n"));
    free(text);
    fold_free(&f);
}

/* ---- outcomes: other.* merged in 2019, separate in 2021 ------------------------------------------- */

static void test_outcome_rows(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    for (int year = 2020; year <= 2021; year++)
        for (int o = 1; o < N_OUTCOME; o++) {
            char id[32], at[64], at2[64];
            snprintf(id, sizeof id, "o%d-%d", year, o);
            snprintf(at, sizeof at, "%d-02-01T09:00:00+08:00", year);
            snprintf(at2, sizeof at2, "%d-03-%02dT09:00:00+08:00", year, o);
            recv_app(&f, "o", id, ev_applicant_names[1 + (o + year) % 6], at);
            resolve(&f, "o", id, ev_outcome_names[o], at2);
        }
    for (int year = 2020; year <= 2021; year++) {
        struct report r = rep(&f, "o", year, CASE_RULE_FILED);
        assert_sound(&r);
        for (int o = 1; o < N_OUTCOME; o++)
            assert_int_equal(r.outcome[o - 1][(o + year) % 6], 1);
        json_t *j = as_json(&r);
        json_t *rows = json_object_get(json_object_get(j, "applications"), "rows");
        size_t nrows = json_array_size(rows);
        const char *last_outcome = json_string_value(json_object_get(json_array_get(rows, nrows - 3), "key"));
        if (year == 2020) {
            assert_int_equal(nrows, 23);
            assert_string_equal(last_outcome, "other");
            json_t *v = json_object_get(json_array_get(rows, nrows - 3), "values");
            /* other.no_correction (19), other.fee_unpaid (20), other.other (21) added up */
            int64_t sum = 0;
            for (int c = 0; c < 6; c++)
                sum += json_integer_value(json_array_get(v, (size_t)c));
            assert_int_equal(sum, 3);
            assert_int_equal(json_integer_value(json_array_get(v, 6)), 3);
            for (size_t i = 0; i < nrows; i++)
                assert_null(strstr(json_string_value(json_object_get(json_array_get(rows, i), "key")), "other."));
        } else {
            assert_int_equal(nrows, 25);
            assert_string_equal(last_outcome, "other.other");
            assert_string_equal(json_string_value(json_object_get(json_array_get(rows, nrows - 5), "key")),
                                "other.no_correction");
            assert_string_equal(json_string_value(json_object_get(json_array_get(rows, nrows - 4), "key")),
                                "other.fee_unpaid");
        }
        assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "key")), "received");
        assert_string_equal(json_string_value(json_object_get(json_array_get(rows, nrows - 1), "key")),
                            "carried_forward");
        json_decref(j);
    }
    fold_free(&f);
}

/* ---- review and litigation: both case rules --------------------------------------------------- */

static void test_cases(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    review_filed(&f, "k", "r1", "2019-03-01T09:00:00+08:00");
    decided(&f, "review", "k", "r1", "corrected", "2019-10-01T09:00:00+08:00");
    review_filed(&f, "k", "r2", "2019-11-01T09:00:00+08:00");
    decided(&f, "review", "k", "r2", "upheld", "2021-02-01T09:00:00+08:00");
    review_filed(&f, "k", "r3", "2019-12-31T15:59:59Z");
    decided(&f, "review", "k", "r3", "upheld", "2019-12-31T16:00:00Z");
    lawsuit_filed(&f, "k", "l1", "direct", 0, "2020-01-10T09:00:00+08:00");
    lawsuit_filed(&f, "k", "l2", "after_review", 0, "2020-05-01T09:00:00+08:00");
    decided(&f, "lawsuit", "k", "l2", "other", "2020-12-31T16:30:00Z");
    lawsuit_filed(&f, "k", "l3", "direct", 1, "2019-04-01T09:00:00+08:00");
    decided(&f, "lawsuit", "k", "l3", "upheld", "2019-05-01T09:00:00+08:00");
    lawsuit_filed(&f, "k", "l4", "after_review", 1, "2020-04-01T09:00:00+08:00");
    /* [rule][year-2019][row] {upheld, corrected, other, pending} */
    static const int64_t want[2][4][3][4] = {
        {/* filed */
         {{0, 1, 0, 2}, {0, 0, 0, 0}, {0, 0, 0, 0}},
         {{0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 1}},
         {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}},
         {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
        {/* handled */
         {{0, 1, 0, 2}, {0, 0, 0, 0}, {0, 0, 0, 0}},
         {{1, 0, 0, 1}, {0, 0, 0, 1}, {0, 0, 0, 1}},
         {{1, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 1, 0}},
         {{0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 0}}},
    };
    for (int rule = 0; rule < 2; rule++)
        for (int y = 2019; y <= 2022; y++) {
            struct report r = rep(&f, "k", y, (enum case_rule)rule);
            assert_sound(&r);
            for (int row = 0; row < 3; row++)
                for (int c = 0; c < 4; c++)
                    if (r.cases[row][c] != want[rule][y - 2019][row][c])
                        fail_msg("%s %d row %d column %d: %lld, want %lld", rule ? "handled" : "filed", y,
                                 row, c, (long long)r.cases[row][c], (long long)want[rule][y - 2019][row][c]);
        }
    /* A closed year's table never changes under `filed`: deciding l1 in 2023 leaves 2020 alone. */
    struct report before = rep(&f, "k", 2020, CASE_RULE_FILED);
    decided(&f, "lawsuit", "k", "l1", "upheld", "2023-01-05T09:00:00+08:00");
    struct report after = rep(&f, "k", 2020, CASE_RULE_FILED);
    assert_same_numbers(&before, &after);
    after = rep(&f, "k", 2023, CASE_RULE_HANDLED);
    assert_int_equal(after.cases[ROW_LITIGATION_DIRECT][0], 1);
    assert_int_equal(after.cases[ROW_LITIGATION_DIRECT][3], 0);
    /* The JSON says which rule. */
    json_t *j = as_json(&after);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "reviews_litigation"), "case_rule")),
                        "handled");
    json_decref(j);
    /* as_review_body only: counted nowhere. */
    struct fold g;
    fold_init(&g);
    lawsuit_filed(&g, "rb", "x1", "direct", 1, "2019-04-01T09:00:00+08:00");
    decided(&g, "lawsuit", "rb", "x1", "corrected", "2019-08-01T09:00:00+08:00");
    for (int rule = 0; rule < 2; rule++) {
        struct report r = rep(&g, "rb", 2019, (enum case_rule)rule);
        assert_true(is_zero(&r));
    }
    fold_free(&g);
    fold_free(&f);
}

/* ---- corrections: later wins, for every entity kind -------------------------------------------- */

#define T9 "T09:00:00+08:00"

/* The final state of every entity of test_corrections, and nothing else. */
static void final_state(struct fold *f, const char *a)
{
    recv_app(f, a, "ca1", "commercial_enterprise", "2020-02-01" T9);
    recv_app(f, a, "ca2", "natural_person", "2019-05-01" T9);
    resolve(f, a, "ca2", "withheld.state_secret", "2020-03-01" T9);
    recv_app(f, a, "ca3", "social_welfare_org", "2020-04-01" T9);
    resolve(f, a, "ca3", "other.other", "2020-06-01" T9);
    doc(f, "issued", a, "cd1", "normative", "2020-04-01" T9);
    doc(f, "published", a, "cd1", "normative", "2020-04-02" T9);
    doc(f, "issued", a, "cd2", "normative", "2018-01-01" T9);
    doc(f, "published", a, "cd2", "normative", "2018-01-02" T9);
    doc(f, "repealed", a, "cd2", "normative", "2021-06-01" T9);
    doc(f, "issued", a, "cd3", "rule", "2018-03-01" T9);
    doc(f, "published", a, "cd3", "rule", "2018-03-02" T9);
    doc(f, "lapsed", a, "cd3", "rule", "2022-03-01" T9);
    item(f, "added", a, "ci1", "penalty", "2019-05-01" T9);
    item(f, "added", a, "ci2", "fee", "2018-01-01" T9);
    item(f, "removed", a, "ci2", "fee", "2020-03-01" T9);
    proc(f, a, "cp1", 25000000, "2020-07-01" T9);
    review_filed(f, a, "ck1", "2020-02-01" T9);
    decided(f, "review", a, "ck1", "corrected", "2020-05-01" T9);
    lawsuit_filed(f, a, "ck2", "direct", 0, "2019-03-01" T9);
    decided(f, "lawsuit", a, "ck2", "other", "2021-02-01" T9);
    lawsuit_filed(f, a, "ck3", "direct", 0, "2019-05-01" T9);
    lawsuit_filed(f, a, "ck4", "direct", 0, "2019-06-01" T9);
}

static void test_corrections(void **state)
{
    (void)state;
    struct fold f, g;
    fold_init(&f);
    fold_init(&g);
    const char *a = "corr";
    /* originals */
    recv_app(&f, a, "ca1", "natural_person", "2019-03-01" T9);
    recv_app(&f, a, "ca2", "natural_person", "2019-05-01" T9);
    resolve(&f, a, "ca2", "disclosed", "2019-06-01" T9);
    recv_app(&f, a, "ca3", "research_institution", "2020-05-01" T9);
    resolve(&f, a, "ca3", "other.other", "2020-06-01" T9);
    doc(&f, "issued", a, "cd1", "rule", "2019-02-01" T9);
    doc(&f, "published", a, "cd1", "rule", "2019-02-02" T9);
    doc(&f, "issued", a, "cd2", "normative", "2018-01-01" T9);
    doc(&f, "published", a, "cd2", "normative", "2018-01-02" T9);
    doc(&f, "repealed", a, "cd2", "normative", "2019-06-01" T9);
    doc(&f, "issued", a, "cd3", "rule", "2018-03-01" T9);
    doc(&f, "published", a, "cd3", "rule", "2018-03-02" T9);
    doc(&f, "lapsed", a, "cd3", "rule", "2019-03-01" T9);
    item(&f, "added", a, "ci1", "licensing", "2018-05-01" T9);
    item(&f, "added", a, "ci2", "fee", "2018-01-01" T9);
    item(&f, "removed", a, "ci2", "fee", "2019-03-01" T9);
    proc(&f, a, "cp1", 100000000, "2019-07-01" T9);
    review_filed(&f, a, "ck1", "2019-04-01" T9);
    lawsuit_filed(&f, a, "ck2", "direct", 0, "2019-03-01" T9);
    decided(&f, "lawsuit", a, "ck2", "upheld", "2019-09-01" T9);
    lawsuit_filed(&f, a, "ck3", "after_review", 0, "2019-05-01" T9);
    lawsuit_filed(&f, a, "ck4", "direct", 1, "2019-06-01" T9);
    struct report r = rep(&f, a, 2019, CASE_RULE_FILED);
    assert_int_equal(r.received[NP], 2);
    assert_int_equal(r.outcome[oc("disclosed")][NP], 1);
    assert_int_equal(r.procurement_fen, 100000000);
    assert_int_equal(r.cases[ROW_LITIGATION_DIRECT][0], 1);
    /* corrections */
    recv_app(&f, a, "ca1", "commercial_enterprise", "2020-02-01" T9);     /* receipt date + applicant */
    resolve(&f, a, "ca2", "withheld.state_secret", "2020-03-01" T9);      /* outcome + date */
    recv_app(&f, a, "ca3", "social_welfare_org", "2020-04-01" T9);        /* receipt, after the answer */
    doc(&f, "issued", a, "cd1", "normative", "2020-04-01" T9);            /* date + kind */
    doc(&f, "published", a, "cd1", "normative", "2020-04-02" T9);
    doc(&f, "repealed", a, "cd2", "normative", "2021-06-01" T9);          /* repeal date */
    doc(&f, "lapsed", a, "cd3", "rule", "2022-03-01" T9);                 /* lapse date */
    item(&f, "added", a, "ci1", "penalty", "2019-05-01" T9);              /* re-added, other kind */
    item(&f, "removed", a, "ci2", "fee", "2020-03-01" T9);                /* removal date */
    proc(&f, a, "cp1", 25000000, "2020-07-01" T9);                        /* amount + date */
    review_filed(&f, a, "ck1", "2020-02-01" T9);                          /* filing date */
    decided(&f, "review", a, "ck1", "upheld", "2020-05-01" T9);
    decided(&f, "review", a, "ck1", "corrected", "2020-05-01" T9);        /* result */
    decided(&f, "lawsuit", a, "ck2", "other", "2021-02-01" T9);           /* decision date + result */
    lawsuit_filed(&f, a, "ck3", "direct", 0, "2019-05-01" T9);            /* route */
    lawsuit_filed(&f, a, "ck4", "direct", 0, "2019-06-01" T9);            /* as_review_body taken back */
    final_state(&g, a);
    for (int y = 2016; y <= 2024; y++)
        for (int rule = 0; rule < 2; rule++) {
            struct report x = rep(&f, a, y, (enum case_rule)rule), z = rep(&g, a, y, (enum case_rule)rule);
            assert_same_numbers(&x, &z);
            assert_sound(&x);
        }
    /* and the numbers themselves */
    r = rep(&f, a, 2019, CASE_RULE_FILED);
    assert_int_equal(r.received[NP], 1);
    assert_int_equal(r.received[CE], 0);
    assert_int_equal(r.outcome[oc("disclosed")][NP], 0);
    assert_int_equal(r.carried_forward[NP], 1);
    assert_int_equal(r.doc_issued[0], 0);
    assert_int_equal(r.doc_total_published[0], 1);
    assert_int_equal(r.doc_total_published[1], 1);
    assert_int_equal(r.items_change[ITEM_PENALTY - 1], 1);
    assert_int_equal(r.items_prev_year[ITEM_LICENSING - 1] + r.items_change[ITEM_LICENSING - 1], 0);
    assert_int_equal(r.procurement_projects, 0);
    assert_int_equal(r.cases[ROW_REVIEW][4], 0);
    assert_int_equal(r.cases[ROW_LITIGATION_DIRECT][3], 3);
    assert_int_equal(r.cases[ROW_LITIGATION_AFTER_REVIEW][4], 0);
    r = rep(&f, a, 2020, CASE_RULE_FILED);
    assert_int_equal(r.received[CE], 1);
    assert_int_equal(r.received[SW], 1);
    assert_int_equal(r.received[RI], 0);
    assert_int_equal(r.outcome[oc("withheld.state_secret")][NP], 1);
    assert_int_equal(r.outcome[oc("other.other")][SW], 1);
    assert_int_equal(r.doc_issued[1], 1);
    assert_int_equal(r.doc_total_published[1], 2);
    assert_int_equal(r.items_change[ITEM_FEE - 1], -1);
    assert_int_equal(r.procurement_projects, 1);
    assert_int_equal(r.procurement_fen, 25000000);
    assert_int_equal(r.cases[ROW_REVIEW][1], 1);
    assert_int_equal(r.cases[ROW_REVIEW][0], 0);
    r = rep(&f, a, 2021, CASE_RULE_HANDLED);
    assert_int_equal(r.doc_repealed[1], 1);
    assert_int_equal(r.cases[ROW_LITIGATION_DIRECT][2], 1);
    assert_int_equal(r.cases[ROW_LITIGATION_DIRECT][3], 2);
    r = rep(&f, a, 2022, CASE_RULE_FILED);
    assert_int_equal(r.doc_in_force[0], 0);
    /* Sending the same correction again changes nothing. */
    struct report once = rep(&f, a, 2020, CASE_RULE_HANDLED);
    resolve(&f, a, "ca2", "withheld.state_secret", "2020-03-01" T9);
    proc(&f, a, "cp1", 25000000, "2020-07-01" T9);
    struct report twice = rep(&f, a, 2020, CASE_RULE_HANDLED);
    assert_same_numbers(&once, &twice);
    fold_free(&f);
    fold_free(&g);
}

/* ---- the aggregator's way: deltas per batch merged into live equal one fold ------------------ */

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void collect_metric(void *arg, uint32_t agency, int year, int metric, int64_t value)
{
    tables_add(arg, agency, year, metric, -value);
}

static void nonzero(void *arg, uint32_t agency, int year, int metric, int64_t value)
{
    (void)arg;
    fail_msg("metric %s of agency %u year %d differs by %lld", tables_metric_name(metric), agency, year,
             (long long)value);
}

static void test_batches_and_balance(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    struct ledger *l2 = ledger_new();
    struct tables *live = tables_new(), *delta = tables_new();
    uint64_t s = 42;
    enum { MAXAPPS = 4000 };
    static struct { int ag, y, m, d; } app[MAXAPPS];
    int napps = 0;
    char at[64], body[512];
    static const char *const ags[] = {"r1", "r2", "r3"};
    for (int i = 0; i < 4000; i++) {
        int k = (int)(rnd(&s) % 10);
        if (k < 5 || napps == 0) {
            /* a new application */
            int j = napps++;
            app[j].ag = (int)(rnd(&s) % 3);
            app[j].y = 2017 + (int)(rnd(&s) % 6), app[j].m = 1 + (int)(rnd(&s) % 12);
            app[j].d = 1 + (int)(rnd(&s) % 28);
            snprintf(at, sizeof at, "%04d-%02d-%02dT%02d:00:00+08:00", app[j].y, app[j].m, app[j].d,
                     (int)(rnd(&s) % 24));
            snprintf(body, sizeof body,
                     "\"type\":\"application_received\"," AG ",\"application_id\":\"app%d\",\"applicant\":\"%s\"",
                     ags[app[j].ag], at, j, ev_applicant_names[1 + rnd(&s) % 6]);
        } else if (k < 8) {
            /* an answer, or a corrected answer: the day of receipt or up to two years on */
            int j = (int)(rnd(&s) % (uint64_t)napps);
            snprintf(at, sizeof at, "%04d-%02d-%02dT23:30:00+08:00", app[j].y + (int)(rnd(&s) % 3),
                     app[j].m, app[j].d);
            snprintf(body, sizeof body,
                     "\"type\":\"application_resolved\"," AG ",\"application_id\":\"app%d\",\"outcome\":\"%s\"",
                     ags[app[j].ag], at, j, ev_outcome_names[1 + rnd(&s) % 21]);
        } else if (k < 9) {
            /* a corrected receipt: another applicant, the same day or a year earlier */
            int j = (int)(rnd(&s) % (uint64_t)napps);
            app[j].y -= (int)(rnd(&s) % 2);
            snprintf(at, sizeof at, "%04d-%02d-%02dT00:00:00+08:00", app[j].y, app[j].m, app[j].d);
            snprintf(body, sizeof body,
                     "\"type\":\"application_received\"," AG ",\"application_id\":\"app%d\",\"applicant\":\"%s\"",
                     ags[app[j].ag], at, j, ev_applicant_names[1 + rnd(&s) % 6]);
        } else {
            snprintf(at, sizeof at, "%04d-06-01T09:00:00+08:00", 2017 + (int)(rnd(&s) % 6));
            snprintf(body, sizeof body,
                     "\"type\":\"decision_made\"," AG ",\"decision_kind\":\"penalty\",\"count\":%d",
                     ags[rnd(&s) % 3], at, 1 + (int)(rnd(&s) % 5));
        }
        /* one fold, event by event (checked as intake would) */
        apply(&f, body);
        /* the aggregator's way: a second ledger, deltas per batch of 7 merged into live */
        char line[1024];
        struct ev e;
        struct ev_error err;
        int n = snprintf(line, sizeof line, "{\"event_id\":\"b-%d\",%s}", i, body);
        memset(&e, 0, sizeof e);
        assert_int_equal(jsonl_parse(line, (size_t)n, &e, &err), 0);
        struct ledger_change c;
        ledger_apply(l2, &e, &c);
        tables_apply(delta, &c);
        if (i % 7 == 6) {
            tables_merge(live, delta);
            tables_clear(delta);
        }
    }
    tables_merge(live, delta);
    /* live − fold: all zero */
    tables_foreach(f.t, collect_metric, live);
    tables_foreach(live, nonzero, NULL);
    for (int a = 0; a < 3; a++) {
        struct report prev = rep(&f, ags[a], 1999, CASE_RULE_FILED);
        assert_true(is_zero(&prev));
        int64_t received = 0, resolved = 0;
        for (int y = 2000; y <= 2026; y++) {
            struct report r = rep(&f, ags[a], y, CASE_RULE_FILED);
            assert_sound(&r);
            assert_chain(&prev, &r);
            for (int c = 0; c < N_COLS; c++)
                received += r.received[c], resolved += r.total_processed[c];
            prev = r;
        }
        int64_t open = 0;
        for (int c = 0; c < N_COLS; c++)
            open += prev.carried_forward[c];
        assert_int_equal(received - resolved, open);
    }
    ledger_destroy(&l2);
    tables_destroy(&live);
    tables_destroy(&delta);
    fold_free(&f);
}

/* ---- no events: zeros, the same shape ------------------------------------------------------------ */

static void test_no_events(void **state)
{
    (void)state;
    struct fold f;
    fold_init(&f);
    recv_app(&f, "known", "a", "natural_person", "2019-05-01" T9);
    for (int y = 2019; y <= 2021; y++) {
        struct report r = rep(&f, "unknown", y, CASE_RULE_FILED);
        assert_true(is_zero(&r));
        assert_string_equal(r.agency, "unknown");
        assert_int_equal(r.template2021, y >= 2021);
        json_t *j = as_json(&r);
        assert_string_equal(json_string_value(json_object_get(j, "template")), y >= 2021 ? "2021" : "2019");
        assert_int_equal(json_array_size(json_object_get(json_object_get(j, "applications"), "rows")),
                         y >= 2021 ? 25 : 23);
        json_decref(j);
    }
    struct report r = rep(&f, "known", 2010, CASE_RULE_HANDLED); /* before its first event */
    assert_true(is_zero(&r));
    r = rep(&f, "known", 2100, CASE_RULE_FILED); /* long after: still open */
    assert_int_equal(r.carried_over[NP], 1);
    assert_int_equal(r.carried_forward[NP], 1);
    fold_free(&f);
}

/* ---- storage ---------------------------------------------------------------- */

#define SP_AG 3
#define SP_Y0 1990
#define SP_NY (2100 - 1990 + 1)
static int64_t sp_ref[SP_AG][SP_NY][M_COUNT];
static int64_t sp_seen[SP_AG][SP_NY][M_COUNT];

static void sp_collect(void *arg, uint32_t agency, int year, int metric, int64_t value)
{
    (void)arg;
    assert_true(agency < SP_AG && value != 0);
    assert_int_equal(sp_seen[agency][year - SP_Y0][metric], 0);
    sp_seen[agency][year - SP_Y0][metric] = value;
}

static void sp_assert_equal(const struct tables *t)
{
    memset(sp_seen, 0, sizeof sp_seen);
    tables_foreach(t, sp_collect, NULL);
    assert_memory_equal(sp_seen, sp_ref, sizeof sp_ref);
}

/* Memory follows what is counted (issue 24): one agency with a metric in
 * 1991 and one in 2099 holds two small blocks, not 109 years of every
 * metric; and the sparse store keeps exactly what a dense one would, through
 * corrections back to zero, a merge and a checkpoint. */
static void test_sparse_storage(void **state)
{
    (void)state;
    struct tables *t = tables_new();
    size_t empty = tables_bytes(t);
    tables_add(t, 1, 1991, M_DECISION, 1);
    tables_add(t, 1, 2099, M_FEE_FEN, 5);
    assert_true(tables_bytes(t) - empty < 1024);
    int lo, hi;
    assert_true(tables_year_range(t, 1, &lo, &hi));
    assert_int_equal(lo, 1991);
    assert_int_equal(hi, 2099);
    tables_destroy(&t);

    t = tables_new();
    memset(sp_ref, 0, sizeof sp_ref);
    unsigned seed = 7;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t ag = (seed >> 8) % SP_AG;
        int y = (int)((seed >> 12) % SP_NY);
        int m = (int)((seed >> 4) % M_COUNT);
        int64_t d = (int64_t)((seed >> 16) % 7) - 3;
        tables_add(t, ag, SP_Y0 + y, m, d);
        sp_ref[ag][y][m] += d;
    }
    sp_assert_equal(t);
    struct tables *u = tables_new();
    tables_merge(u, t);
    sp_assert_equal(u);
    struct buf bytes = {0};
    tables_save(t, &bytes);
    struct tables *v = tables_new();
    struct rd in = {(const unsigned char *)bytes.data, bytes.len, 1};
    assert_int_equal(tables_load(v, &in), 0);
    assert_int_equal(in.left, 0);
    sp_assert_equal(v);
    /* A truncated checkpoint is refused. */
    struct tables *w = tables_new();
    struct rd cut = {(const unsigned char *)bytes.data, bytes.len / 2, 1};
    assert_int_equal(tables_load(w, &cut), -1);
    tables_destroy(&w);
    buf_free(&bytes);
    tables_destroy(&v);
    tables_destroy(&u);
    tables_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beijing_day),
        cmocka_unit_test(test_carry_over),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_decisions_count),
        cmocka_unit_test(test_money_rendering),
        cmocka_unit_test(test_fees_and_procurement),
        cmocka_unit_test(test_outcome_rows),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_corrections),
        cmocka_unit_test(test_batches_and_balance),
        cmocka_unit_test(test_no_events),
        cmocka_unit_test(test_sparse_storage),
    };
    (void)tables_metric_name(0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
