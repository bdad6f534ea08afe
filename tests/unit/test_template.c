/* test_template — the report template (lib/report/template.c) is whole and
 * agrees with itself and with the event model: every row filled in, keys
 * unique within a format, each outcome code on exactly one row of each
 * format (the 2019 format's "other" row standing for the three of 2021), the
 * importer's match text found in the label it stands for in every format
 * (what the importer tolerates derives from the label), and every column
 * headed in every format that prints it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "event.h"
#include "template.h"

static const unsigned forms[] = {TMPL_2019, TMPL_2021};

static int matches(const char *label, const char *pat, enum tmpl_match how)
{
    if (how == TMPL_SUB)
        return strstr(label, pat) != NULL;
    size_t l = strlen(label), n = strlen(pat);
    return l >= n && strcmp(label + l - n, pat) == 0;
}

static void test_formats_by_year(void **state)
{
    (void)state;
    assert_int_equal(tmpl_of_year(2019), TMPL_2019);
    assert_int_equal(tmpl_of_year(2020), TMPL_2019);
    assert_int_equal(tmpl_of_year(2021), TMPL_2021);
    assert_string_equal(tmpl_form_name(TMPL_2021), "2021");
    assert_int_equal(tmpl_index(TMPL_2019), 0);
}

static void test_application_rows(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int seen[N_OUTCOME] = {0}, n = 0, other = 0;
        for (int i = 0; i < TMPL_APP_ROWS; i++) {
            const struct tmpl_app_row *r = &tmpl_app_rows[i];
            assert_non_null(r->key);
            assert_non_null(r->label);
            assert_true(matches(r->label, r->match, r->how));
            if (!(r->form & forms[f]))
                continue;
            n++;
            for (int j = 0; j < i; j++)
                if (tmpl_app_rows[j].form & forms[f])
                    assert_string_not_equal(tmpl_app_rows[j].key, r->key);
            if (r->kind != TMPL_OUTCOME) {
                assert_int_equal(r->outcome, 0);
                continue;
            }
            if (r->outcome == 0) {
                assert_int_equal(r->other, TMPL_OTHER_SINGLE);
                other++;
                continue;
            }
            assert_string_equal(ev_outcome_names[r->outcome], r->key);
            seen[r->outcome]++;
        }
        assert_int_equal(n, forms[f] == TMPL_2019 ? 23 : 25);
        for (int o = 1; o < N_OUTCOME; o++)
            assert_int_equal(seen[o] + (o >= OUTCOME_OTHER_NO_CORRECTION ? other : 0), 1);
    }
    assert_int_equal(tmpl_app_row_index("received"), 0);
    assert_int_equal(tmpl_app_row_index("carried_forward"), TMPL_APP_ROWS - 1);
    assert_int_equal(tmpl_app_row_index("no.such.row"), -1);
}

static void test_active_disclosure_rows(void **state)
{
    (void)state;
    for (int i = 0; i < TMPL_AD_ROWS; i++) {
        const struct tmpl_ad_row *r = &tmpl_ad_rows[i];
        assert_non_null(r->key);
        assert_non_null(r->item);
        for (int f = 0; f < 2; f++) {
            if (!(r->form & forms[f]))
                continue;
            assert_non_null(r->label[f]);
            assert_true(matches(r->label[f], r->match, r->how));
            assert_ptr_equal(tmpl_ad_row(r->key, forms[f]), r);
            int ncols = 0;
            for (int c = 0; c < TMPL_AD_COLS && r->cols[c].key; c++) {
                if (!(r->cols[c].form & forms[f]))
                    continue;
                ncols++;
                assert_non_null(r->cols[c].head[f]);
                assert_ptr_equal(tmpl_ad_col(r, r->cols[c].key, forms[f]), &r->cols[c]);
            }
            assert_true(ncols > 0);
        }
    }
    assert_null(tmpl_ad_row("procurement", TMPL_2021));
    assert_null(tmpl_ad_row("other_service", TMPL_2021));
    assert_null(tmpl_ad_col(tmpl_ad_row("rule", TMPL_2021), "published", TMPL_2021));
}

static void test_reviews_litigation(void **state)
{
    (void)state;
    for (int i = 0; i < TMPL_RL_ROWS; i++)
        assert_true(matches(tmpl_rl_rows[i].label, tmpl_rl_rows[i].match, tmpl_rl_rows[i].how));
    assert_string_equal(tmpl_rl_columns[TMPL_RL_COLS - 1].key, "total");
    assert_string_equal(tmpl_app_columns[TMPL_APP_COLS - 1].key, "total");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_by_year),
        cmocka_unit_test(test_application_rows),
        cmocka_unit_test(test_active_disclosure_rows),
        cmocka_unit_test(test_reviews_litigation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
