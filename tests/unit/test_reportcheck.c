/* test_reportcheck — every rule of the report checker, each on a crafted
 * report, naming the right cell with the right printed and expected values.
 *
 * Reports come from the shared fixtures ($GONGKAI_SHARED, default ../shared)
 * and from tests/data/check/ (run from the repository root); most cases
 * mutate the 2019 fixture, which itself is clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alloc.h"
#include "reportcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *load(const char *path)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (j == NULL)
        fail_msg("%s: %s", path, err.text);
    return j;
}

static json_t *load_shared(const char *rel)
{
    const char *shared = getenv("GONGKAI_SHARED");
    char *path = xasprintf("%s/%s", shared ? shared : "../shared", rel);
    json_t *j = load(path);
    free(path);
    return j;
}

static json_t *fixture(int year)
{
    return year == 2019
               ? load_shared("fixtures/guizhou-eco-2019/expected-2019.json")
               : load_shared("fixtures/guizhou-eco-2019/expected-2020.json");
}

static json_t *data(const char *name)
{
    char *path = xasprintf("tests/data/check/%s", name);
    json_t *j = load(path);
    free(path);
    return j;
}

static struct check_findings *run1(json_t *r)
{
    return reportcheck_run(&r, 1);
}

static struct check_findings *run2(json_t *a, json_t *b)
{
    json_t *rs[2] = {a, b};
    return reportcheck_run(rs, 2);
}

/* The values array of an application row. */
static json_t *app_row(json_t *report, const char *key)
{
    json_t *rows = json_object_get(json_object_get(report, "applications"), "rows");
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "key")), key) == 0)
            return json_object_get(r, "values");
    }
    fail_msg("no row %s", key);
    return NULL;
}

static void set_app(json_t *report, const char *key, size_t col, json_t *v)
{
    json_array_set_new(app_row(report, key), col, v);
}

static void set_ad(json_t *report, const char *row, const char *col, json_t *v)
{
    json_object_set_new(json_object_get(json_object_get(report, "active_disclosure"),
                                        row),
                        col, v);
}

static const struct check_finding *find(const struct check_findings *f,
                                        const char *rule, const char *cell)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].rule, rule) == 0 &&
            strcmp(f->items[i].cell, cell) == 0)
            return &f->items[i];
    return NULL;
}

/* Asserts a finding of rule at cell with printed and expected given as JSON
 * text (NULL: not compared). */
static void expect(const struct check_findings *f, enum check_severity sev,
                   const char *rule, const char *cell, const char *printed,
                   const char *expected)
{
    const struct check_finding *x = find(f, rule, cell);
    if (x == NULL) {
        reportcheck_render_text(stderr, f, NULL);
        fail_msg("no %s finding at %s", rule, cell);
    }
    assert_int_equal(x->severity, sev);
    if (printed) {
        json_t *p = json_loads(printed, JSON_DECODE_ANY, NULL);
        assert_true(json_equal(p, x->printed));
        json_decref(p);
    }
    if (expected) {
        json_t *e = json_loads(expected, JSON_DECODE_ANY, NULL);
        if (!json_equal(e, x->expected)) {
            char *got = json_dumps(x->expected, JSON_ENCODE_ANY);
            fail_msg("%s %s: expected %s, got %s", rule, cell, expected, got);
        }
        json_decref(e);
    }
}

static void assert_clean(const struct check_findings *f)
{
    if (f->count != 0) {
        reportcheck_render_text(stderr, f, NULL);
        fail_msg("%zu findings on a clean report", f->count);
    }
}

/* ---- the fixtures are clean ------------------------------------------- */

static void test_fixtures_clean(void **state)
{
    (void)state;
    json_t *a = fixture(2019), *b = fixture(2020);
    struct check_findings *f = run1(a);
    assert_clean(f);
    reportcheck_free(f);
    /* the two years chain correctly, in either order */
    f = run2(b, a);
    assert_clean(f);
    reportcheck_free(f);
    f = run2(a, b);
    assert_clean(f);
    reportcheck_free(f);
    json_decref(a);
    json_decref(b);

    json_t *c = data("valid-2021.json");
    f = run1(c);
    assert_clean(f);
    reportcheck_free(f);
    json_decref(c);
}

/* ---- section 三 --------------------------------------------------------- */

static void test_balance(void **state)
{
    (void)state;
    /* 新收 one more, in a column and in the total; every row still sums */
    json_t *r = fixture(2019);
    set_app(r, "received", 0, json_integer(53));
    set_app(r, "received", 6, json_integer(60));
    struct check_findings *f = run1(r);
    expect(f, CHECK_ERROR, "balance", "applications.total_processed.natural_person",
           "51", "52");
    expect(f, CHECK_ERROR, "balance", "applications.total_processed.total", "58",
           "59");
    assert_int_equal(f->errors, 2);
    reportcheck_free(f);
    json_decref(r);
}

static void test_outcome_sum(void **state)
{
    (void)state;
    json_t *r = data("outcome-mismatch-2019.json");
    struct check_findings *f = run1(r);
    expect(f, CHECK_ERROR, "outcome_sum", "applications.total_processed.natural_person",
           "51", "52");
    expect(f, CHECK_ERROR, "outcome_sum", "applications.total_processed.total", "58",
           "59");
    assert_int_equal(f->errors, 2);
    assert_int_equal(f->warnings, 0);
    reportcheck_free(f);
    json_decref(r);
}

static void test_applicant_sum(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    set_app(r, "carried_over", 6, json_integer(3));
    struct check_findings *f = run1(r);
    expect(f, CHECK_ERROR, "applicant_sum", "applications.carried_over.total", "3",
           "0");
    reportcheck_free(f);
    json_decref(r);
}

static void test_negative_value(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    set_app(r, "withheld.state_secret", 2, json_integer(-1));
    set_app(r, "withheld.state_secret", 6, json_integer(-1));
    struct check_findings *f = run1(r);
    expect(f, CHECK_ERROR, "negative_value",
           "applications.withheld.state_secret.research_institution", "-1", "\">= 0\"");
    expect(f, CHECK_ERROR, "negative_value", "applications.withheld.state_secret.total",
           "-1", "\">= 0\"");
    reportcheck_free(f);
    json_decref(r);

    /* money too, and a signed change is no negative count */
    r = fixture(2019);
    set_ad(r, "procurement", "amount_wan_yuan", json_string("-12.50"));
    set_ad(r, "penalty", "items_change", json_integer(-1));
    f = run1(r);
    expect(f, CHECK_ERROR, "negative_value", "active_disclosure.procurement.amount_wan_yuan",
           "\"-12.50\"", "\">= 0\"");
    assert_int_equal(f->errors, 1);
    reportcheck_free(f);
    json_decref(r);
}

/* ---- section 四 --------------------------------------------------------- */

static void test_reviews_sum(void **state)
{
    (void)state;
    json_t *r = data("reviews-zero-total-2019.json");
    struct check_findings *f = run1(r);
    expect(f, CHECK_ERROR, "reviews_sum", "reviews_litigation.review.total", "0", "1");
    assert_int_equal(f->errors, 1);
    reportcheck_free(f);
    json_decref(r);

    r = fixture(2020);
    json_array_set_new(json_object_get(json_object_get(r, "reviews_litigation"),
                                       "litigation_after_review"),
                       4, json_integer(2));
    f = run1(r);
    expect(f, CHECK_ERROR, "reviews_sum",
           "reviews_litigation.litigation_after_review.total", "2", "1");
    reportcheck_free(f);
    json_decref(r);
}

/* ---- section 二 --------------------------------------------------------- */

static void test_items_chain(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    set_ad(r, "licensing", "items_change", json_integer(-7)); /* 6 items, -7 */
    set_ad(r, "fee", "items_change", json_integer(-1));       /* 0 items, -1 */
    set_ad(r, "penalty", "items_change", json_integer(-31));  /* fine: 0 left */
    struct check_findings *f = run1(r);
    expect(f, CHECK_ERROR, "items_chain", "active_disclosure.licensing.items_change",
           "-7", "\">= -6\"");
    expect(f, CHECK_ERROR, "items_chain", "active_disclosure.fee.items_change", "-1",
           "\">= 0\"");
    assert_int_equal(f->errors, 2);
    reportcheck_free(f);
    json_decref(r);
}

/* ---- blanks ------------------------------------------------------------- */

static void test_blank_totals_no_error(void **state)
{
    (void)state;
    json_t *r = data("blank-totals-2019.json");
    struct check_findings *f = run1(r);
    assert_int_equal(f->errors, 0);
    /* one warning per blank, showing what the printed cells imply */
    assert_int_equal(f->warnings, 23 + 3);
    expect(f, CHECK_WARNING, "blank_cell", "applications.received.total", "null",
           "59");
    expect(f, CHECK_WARNING, "blank_cell", "applications.total_processed.total",
           "null", "58");
    expect(f, CHECK_WARNING, "blank_cell", "reviews_litigation.review.total", "null",
           "1");
    reportcheck_free(f);
    json_decref(r);
}

static void test_blank_in_sum_is_not_an_error(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    /* A blank outcome cell: its column's sums are not checked, and the
     * blank's warning says the 5 the other cells imply. */
    set_app(r, "other", 0, json_null());
    /* Two blanks in one row: its sum implies nothing, but each blank's
     * column still does. */
    set_app(r, "partially_disclosed", 2, json_null());
    set_app(r, "partially_disclosed", 5, json_null());
    set_ad(r, "procurement", "amount_wan_yuan", json_null());
    struct check_findings *f = run1(r);
    assert_int_equal(f->errors, 0);
    expect(f, CHECK_WARNING, "blank_cell", "applications.other.natural_person", "null",
           "5");
    expect(f, CHECK_WARNING, "blank_cell",
           "applications.partially_disclosed.research_institution", "null", "1");
    expect(f, CHECK_WARNING, "blank_cell", "applications.partially_disclosed.other_org",
           "null", "1");
    expect(f, CHECK_WARNING, "blank_cell", "active_disclosure.procurement.amount_wan_yuan",
           "null", "null");
    reportcheck_free(f);
    json_decref(r);

    /* a blank does not hide a contradiction elsewhere in the column */
    r = fixture(2019);
    set_app(r, "other", 6, json_null());
    set_app(r, "disclosed", 0, json_integer(24));
    f = run1(r);
    expect(f, CHECK_ERROR, "outcome_sum", "applications.total_processed.natural_person",
           "51", "52");
    expect(f, CHECK_ERROR, "applicant_sum", "applications.disclosed.total", "26", "27");
    reportcheck_free(f);
    json_decref(r);
}

/* ---- templates ---------------------------------------------------------- */

static void test_template_2019_row(void **state)
{
    (void)state;
    json_t *r = data("template-2021-with-other-row.json");
    struct check_findings *f = run1(r);
    expect(f, CHECK_WARNING, "template_2019_row", "applications.other",
           "[1,0,0,0,0,0,1]", "\"not in the 2021 template\"");
    /* its numbers add up with the single row standing in for the three */
    assert_int_equal(f->errors, 0);
    reportcheck_free(f);
    json_decref(r);

    /* 2019 columns and rows in section 二 of a 2021 report */
    r = data("valid-2021.json");
    set_ad(r, "licensing", "items_prev_year", json_integer(6));
    set_ad(r, "licensing", "items_change", json_integer(-7));
    json_object_set_new(json_object_get(r, "active_disclosure"), "procurement",
                        json_pack("{s:i, s:s}", "projects", 2, "amount_wan_yuan", "1.50"));
    f = run1(r);
    expect(f, CHECK_WARNING, "template_2019_row",
           "active_disclosure.licensing.items_prev_year", "6", NULL);
    expect(f, CHECK_WARNING, "template_2019_row", "active_disclosure.licensing.items_change",
           "-7", NULL);
    expect(f, CHECK_WARNING, "template_2019_row", "active_disclosure.procurement", NULL,
           NULL);
    /* the chain still holds in whatever columns are printed */
    expect(f, CHECK_ERROR, "items_chain", "active_disclosure.licensing.items_change", "-7",
           "\">= -6\"");
    reportcheck_free(f);
    json_decref(r);
}

static void test_template_2021_row(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    json_t *rows = json_object_get(json_object_get(r, "applications"), "rows");
    /* replace the single "other" row (index 20) by the three 2021 rows */
    json_array_remove(rows, 20);
    json_array_insert_new(rows, 20, json_pack("{s:s, s:[iiiiiii]}", "key", "other.other",
                                              "values", 5, 0, 0, 0, 0, 0, 5));
    json_array_insert_new(rows, 20, json_pack("{s:s, s:[iiiiiii]}", "key",
                                              "other.fee_unpaid", "values", 0, 0, 0, 0,
                                              0, 0, 0));
    json_array_insert_new(rows, 20, json_pack("{s:s, s:[iiiiiii]}", "key",
                                              "other.no_correction", "values", 0, 0, 0,
                                              0, 0, 0, 0));
    struct check_findings *f = run1(r);
    expect(f, CHECK_WARNING, "template_2021_row", "applications.other.no_correction",
           NULL, "\"not in the 2019 template\"");
    expect(f, CHECK_WARNING, "template_2021_row", "applications.other.other", NULL, NULL);
    assert_int_equal(f->errors, 0);
    assert_int_equal(f->warnings, 3);
    reportcheck_free(f);
    json_decref(r);
}

static void test_template_year(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    json_object_set_new(r, "year", json_integer(2021));
    struct check_findings *f = run1(r);
    expect(f, CHECK_WARNING, "template_year", "template", "\"2019\"", "\"2021\"");
    assert_int_equal(f->errors, 0);
    reportcheck_free(f);
    json_decref(r);
}

static void test_unknown_key(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    json_object_set_new(r, "remarks", json_string("x"));
    set_ad(r, "licensing", "items_now", json_integer(8));
    json_array_append_new(json_object_get(json_object_get(r, "applications"), "rows"),
                          json_pack("{s:s, s:[iiiiiii]}", "key", "withdrawn", "values",
                                    0, 0, 0, 0, 0, 0, 0));
    struct check_findings *f = run1(r);
    expect(f, CHECK_WARNING, "unknown_key", "remarks", "\"x\"", NULL);
    expect(f, CHECK_WARNING, "unknown_key", "active_disclosure.licensing.items_now", "8",
           NULL);
    expect(f, CHECK_WARNING, "unknown_key", "applications.withdrawn", NULL, NULL);
    assert_int_equal(f->errors, 0);
    reportcheck_free(f);
    json_decref(r);
}

/* ---- structure ---------------------------------------------------------- */

/* Printed precision is never an error (issue 13): real, self-consistent
 * reports print 4166.241619 and 7545 as often as 6021.70. */
static void test_money_precision(void **state)
{
    (void)state;
    static const char *const printed[] = {"6021.705", "4166.241619", "7545", "0.5", "7539.443252"};
    for (size_t i = 0; i < sizeof printed / sizeof printed[0]; i++) {
        json_t *r = fixture(2019);
        set_ad(r, "procurement", "amount_wan_yuan", json_string(printed[i]));
        struct check_findings *f = run1(r);
        if (f->errors)
            fail_msg("%s: %zu errors", printed[i], f->errors);
        reportcheck_free(f);
        json_decref(r);
    }
}

static void test_structure(void **state)
{
    (void)state;
    json_t *r = fixture(2019);
    set_app(r, "received", 1, json_string("2"));
    json_array_remove(app_row(r, "disclosed"), 6);
    json_object_del(json_object_get(r, "active_disclosure"), "fee");
    set_ad(r, "procurement", "amount_wan_yuan", json_string("6021.7万"));
    set_ad(r, "rule", "issued", json_real(1.0));
    json_object_set_new(json_object_get(r, "reviews_litigation"), "case_rule",
                        json_string("closed"));
    struct check_findings *f = run1(r);
    expect(f, CHECK_ERROR, "structure", "applications.received.commercial_enterprise",
           "\"2\"", "\"an integer or null\"");
    expect(f, CHECK_ERROR, "structure", "applications.disclosed.values", NULL, NULL);
    expect(f, CHECK_ERROR, "structure", "active_disclosure.fee", "null", NULL);
    expect(f, CHECK_ERROR, "structure", "active_disclosure.procurement.amount_wan_yuan",
           "\"6021.7万\"", NULL);
    expect(f, CHECK_ERROR, "structure", "active_disclosure.rule.issued", "1.0", NULL);
    expect(f, CHECK_ERROR, "structure", "reviews_litigation.case_rule", "\"closed\"",
           NULL);
    /* sums over a malformed cell are skipped, not reported twice */
    assert_null(find(f, "balance", "applications.total_processed.commercial_enterprise"));
    assert_null(find(f, "outcome_sum", "applications.total_processed.total"));
    reportcheck_free(f);
    json_decref(r);

    /* shapes that are not reports at all */
    const char *bad[] = {
        "5", "[]", "null", "{}",
        "{\"agency\": 1, \"year\": \"2019\", \"template\": 2019, \"applications\": [],"
        " \"active_disclosure\": {\"rule\": 3}, \"reviews_litigation\": {\"review\": {}}}",
        "{\"applications\": {\"columns\": [\"a\"], \"rows\": [1, {\"key\": 2}]}}",
        "{\"applications\": {\"rows\": [{\"key\": \"received\"},"
        " {\"key\": \"received\", \"values\": [1,2,3,4,5,6,7]}]}}",
        "{\"applications\": {\"rows\": [{\"key\": \"received\","
        " \"values\": [99999999999999999, 0, 0, 0, 0, 0, 0]}]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        f = run1(j);
        assert_true(f->errors > 0);
        for (size_t k = 0; k < f->count; k++)
            if (f->items[k].severity == CHECK_ERROR)
                assert_string_equal(f->items[k].rule, "structure");
        reportcheck_free(f);
        json_decref(j);
    }
    r = json_loads(bad[0], JSON_DECODE_ANY, NULL);
    f = run1(r);
    expect(f, CHECK_ERROR, "structure", "report", "5", "\"a JSON object\"");
    reportcheck_free(f);
    json_decref(r);
    r = json_loads(bad[5], 0, NULL);
    f = run1(r);
    expect(f, CHECK_ERROR, "structure", "applications.columns", "[\"a\"]", NULL);
    reportcheck_free(f);
    json_decref(r);
    r = json_loads(bad[6], 0, NULL);
    f = run1(r);
    expect(f, CHECK_ERROR, "structure", "applications.received.values", "null", NULL);
    expect(f, CHECK_ERROR, "structure", "applications.received", "\"received\"",
           "\"one row per key\"");
    expect(f, CHECK_ERROR, "structure", "applications.carried_over", "null", NULL);
    reportcheck_free(f);
    json_decref(r);
}

/* ---- across years ------------------------------------------------------- */

static void test_chain_2019_2020(void **state)
{
    (void)state;
    json_t *a = data("chain-2019.json"), *b = data("chain-2020.json");
    struct check_findings *f = run2(b, a); /* order does not matter */
    expect(f, CHECK_ERROR, "carried_over_chain",
           "applications.carried_over.natural_person", "0", "1");
    expect(f, CHECK_ERROR, "carried_over_chain", "applications.carried_over.total", "0",
           "1");
    expect(f, CHECK_ERROR, "items_prev_year_chain",
           "active_disclosure.licensing.items_prev_year", "7", "8");
    assert_int_equal(f->errors, 3);
    /* findings belong to the later year, here given first */
    for (size_t i = 0; i < f->count; i++)
        assert_int_equal(f->items[i].report, 0);
    reportcheck_free(f);

    /* each alone is consistent */
    f = run1(b);
    assert_clean(f);
    reportcheck_free(f);

    /* another agency, or a year apart, is no chain */
    json_object_set_new(b, "agency", json_string("other-agency"));
    f = run2(a, b);
    assert_clean(f);
    reportcheck_free(f);
    /* imported without an agency code: the printed names decide */
    json_object_set_new(a, "agency", json_string("unknown"));
    json_object_set_new(b, "agency", json_string("unknown"));
    json_object_set_new(a, "name", json_string("貴州省生態環境廳"));
    json_object_set_new(b, "name", json_string("贵州省生态环境厅"));
    f = run2(a, b);
    assert_int_equal(f->errors, 0);
    reportcheck_free(f);
    json_object_set_new(b, "name", json_string("貴州省生態環境廳"));
    f = run2(a, b);
    assert_int_equal(f->errors, 3);
    reportcheck_free(f);
    json_object_set_new(b, "year", json_integer(2021));
    f = run2(a, b);
    assert_int_equal(f->errors, 0);
    reportcheck_free(f);
    json_decref(a);
    json_decref(b);
}

static void test_in_force_chain(void **state)
{
    (void)state;
    json_t *a = data("valid-2021.json"), *b = data("in-force-2022.json");
    struct check_findings *f = run2(a, b);
    expect(f, CHECK_ERROR, "in_force_chain", "active_disclosure.normative.in_force",
           "44", "43");
    assert_null(find(f, "in_force_chain", "active_disclosure.rule.in_force"));
    assert_int_equal(f->errors, 1);
    assert_int_equal(f->items[0].report, 1);
    reportcheck_free(f);
    json_decref(a);
    json_decref(b);
}

/* ---- rendering ---------------------------------------------------------- */

static void test_render(void **state)
{
    (void)state;
    json_t *r = data("outcome-mismatch-2019.json");
    struct check_findings *f = run1(r);
    const char *names[] = {"a.json"};

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    reportcheck_render_text(out, f, names);
    fclose(out);
    assert_non_null(strstr(text, "a.json: error outcome_sum "
                                 "applications.total_processed.natural_person: "
                                 "printed 51, expected 52\n"));
    free(text);

    json_t *list = reportcheck_to_json(f, names);
    assert_int_equal(json_array_size(list), 2);
    json_t *want = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "severity", "error", "rule",
                             "outcome_sum", "cell",
                             "applications.total_processed.natural_person", "printed", 51,
                             "expected", 52, "report", "a.json");
    assert_true(json_equal(json_array_get(list, 0), want));
    json_decref(want);
    json_decref(list);

    list = reportcheck_to_json(f, NULL);
    assert_null(json_object_get(json_array_get(list, 0), "report"));
    assert_int_equal(json_object_size(json_array_get(list, 0)), 5);
    json_decref(list);
    reportcheck_free(f);
    json_decref(r);
}

/* Plain blank cells come in one line per report, however many (a real
 * report left 135 blank and got 135 lines); a blank the other cells
 * determine keeps its own line with the value they imply. */
static void test_render_blank_summary(void **state)
{
    (void)state;
    json_t *r = data("blank-totals-2019.json");
    json_t *apps = json_object_get(json_object_get(r, "applications"), "rows");
    size_t i;
    json_t *row;
    json_array_foreach(apps, i, row) {
        json_t *v = json_object_get(row, "values");
        if (strcmp(json_string_value(json_object_get(row, "key")), "received") != 0)
            for (size_t k = 0; k < 6; k++)
                json_array_set_new(v, k, json_null());
    }
    struct check_findings *f = run1(r);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    reportcheck_render_text(out, f, NULL);
    fclose(out);
    size_t lines = 0, plain = 0;
    for (const char *p = text; (p = strstr(p, "warning blank_cell")) != NULL; p++)
        lines++;
    for (size_t k = 0; k < f->count; k++)
        plain += strcmp(f->items[k].rule, "blank_cell") == 0 && json_is_null(f->items[k].expected);
    assert_true(plain > 20);
    assert_non_null(strstr(text, "cells not filled ("));
    assert_true(lines < 10); /* the implied ones, and one summary */
    free(text);
    reportcheck_free(f);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_blank_summary),
        cmocka_unit_test(test_money_precision),
        cmocka_unit_test(test_fixtures_clean),
        cmocka_unit_test(test_balance),
        cmocka_unit_test(test_outcome_sum),
        cmocka_unit_test(test_applicant_sum),
        cmocka_unit_test(test_negative_value),
        cmocka_unit_test(test_reviews_sum),
        cmocka_unit_test(test_items_chain),
        cmocka_unit_test(test_blank_totals_no_error),
        cmocka_unit_test(test_blank_in_sum_is_not_an_error),
        cmocka_unit_test(test_template_2019_row),
        cmocka_unit_test(test_template_2021_row),
        cmocka_unit_test(test_template_year),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_chain_2019_2020),
        cmocka_unit_test(test_in_force_chain),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
