/* reportcheck — the arithmetic and cross-year checks of annual reports.
 *
 * Each report is first read into a fixed grid of cells (struct sheet), every
 * cell MISSING, BLANK or a number; reading reports every structural problem as
 * a finding and leaves the cell MISSING. The rules then work on the grid only:
 * a sum with a MISSING term was already reported and is skipped, a sum with a
 * BLANK term is not an error, and a sum with exactly one blank tells what the
 * blank would have to be, which the blank's warning shows as "expected".
 *
 * Findings are collected in the order the rules run and stably regrouped by
 * report at the end, so each report's findings read top to bottom.
 */
#include "reportcheck.h"

#include "alloc.h"
#include "money.h"
#include "day.h"
#include "template.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* No real count comes near this; bounding input values keeps every sum we
 * form far from overflow. */
#define VALUE_LIMIT 1000000000000000LL

/* Rows, columns and which format has them: template.h. */
#define T2019 TMPL_2019
#define T2021 TMPL_2021
#define TBOTH TMPL_BOTH
#define N_APP_COLS TMPL_APP_COLS
#define N_RL_COLS TMPL_RL_COLS
#define N_RL_ROWS TMPL_RL_ROWS
#define N_APP_ROWS TMPL_APP_ROWS
#define N_AD_ROWS TMPL_AD_ROWS
#define AD_MAX_COLS TMPL_AD_COLS
#define APP_TOTAL (N_APP_COLS - 1)
#define RL_TOTAL (N_RL_COLS - 1)

enum cell_state { CELL_MISSING = 0, CELL_BLANK, CELL_NUM };

struct cell {
    enum cell_state state;
    long long v;    /* the number; money in hundredths of 万元 */
    bool derived;   /* BLANK whose value one sum implies */
    long long dv;
};

enum { R_RECEIVED = 0, R_CARRIED_OVER = 1, R_TOTAL = N_APP_ROWS - 2,
       R_FORWARD = N_APP_ROWS - 1 };

static const char *const top_keys[] = {
    "agency", "name", "year", "template", "as_of", "final",
    "active_disclosure", "applications", "reviews_litigation", "notes",
};

/* One report read into cells. Strings are borrowed from the JSON. (Not
 * tables.h's struct report: a published report has blanks, which an int64
 * cannot say, so the checker works from the JSON form.) */
struct sheet {
    const char *agency;
    const char *name;
    bool has_year;
    long long year;
    unsigned tmpl;
    bool outcome_complete; /* every outcome row of the template is there */
    bool app_present[N_APP_ROWS];
    bool use_row[N_APP_ROWS]; /* outcome rows the outcome sum adds */
    struct cell app[N_APP_ROWS][N_APP_COLS];
    struct cell rl[N_RL_ROWS][N_RL_COLS];
    struct cell ad[N_AD_ROWS][AD_MAX_COLS];
};

struct ctx {
    struct check_findings *f;
    size_t report; /* index of the report being read or checked */
};

/* ---- findings ---------------------------------------------------------- */

const char *reportcheck_severity_name(enum check_severity s)
{
    return s == CHECK_ERROR ? "error" : "warning";
}

/* Takes ownership of cell, printed and expected (NULL means JSON null). */
static void add(struct ctx *c, enum check_severity sev, const char *rule,
                char *cell, json_t *printed, json_t *expected)
{
    struct check_findings *f = c->f;
    if (f->count == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 16;
        f->items = xrealloc(f->items, f->cap * sizeof *f->items);
    }
    f->items[f->count++] = (struct check_finding){
        .severity = sev,
        .rule = rule,
        .cell = cell,
        .printed = printed ? printed : json_null(),
        .expected = expected ? expected : json_null(),
        .report = c->report,
    };
    if (sev == CHECK_ERROR)
        f->errors++;
    else
        f->warnings++;
}

static char *path3(const char *sec, const char *row, const char *col)
{
    if (row == NULL)
        return xstrdup(sec);
    if (col == NULL)
        return xasprintf("%s.%s", sec, row);
    return xasprintf("%s.%s.%s", sec, row, col);
}

/* A structural problem: printed is the offending value (borrowed, may be
 * NULL for a missing key), what says what the contract wants there. */
static void structure(struct ctx *c, char *cell, json_t *printed,
                      const char *what)
{
    add(c, CHECK_ERROR, "structure", cell,
        printed ? json_incref(printed) : NULL, json_string(what));
}

static void missing(struct ctx *c, char *cell, const char *what)
{
    char *msg = xasprintf("%s (the key is missing)", what);
    structure(c, cell, NULL, msg);
    free(msg);
}

static json_t *money_json(long long hundredths)
{
    char s[32];
    money_wan_yuan((int64_t)hundredths * 10000, s, sizeof s); /* fen */
    return json_string(s);
}

/* ---- reading ----------------------------------------------------------- */

/* "6021.70", "6021.7", "6021" or "4166.241619" (a "-" sign allowed, to be
 * reported as negative rather than as malformed) → hundredths, cut; false
 * when not such a string. */
static bool parse_money(const char *s, long long *out)
{
    bool neg = *s == '-';
    long long whole = 0;
    int ndig = 0;
    if (neg)
        s++;
    for (; *s >= '0' && *s <= '9'; s++, ndig++) {
        if (ndig >= 12)
            return false; /* a trillion 万元 is no budget: keeps fen in int64 */
        whole = whole * 10 + (*s - '0');
    }
    if (ndig == 0)
        return false;
    long long cents = 0;
    if (*s == '.') {
        s++;
        int nfrac = 0;
        /* Any number of decimals: precision is how a report prints, never
         * an error; hundredths are all a check needs (the rest is cut). */
        for (; *s >= '0' && *s <= '9'; s++, nfrac++)
            if (nfrac < 2)
                cents = cents * 10 + (*s - '0');
        if (nfrac == 0)
            return false;
        if (nfrac == 1)
            cents *= 10;
    }
    if (*s != '\0')
        return false;
    *out = (neg ? -1 : 1) * (whole * 100 + cents);
    return true;
}

/* Reads one cell. v is the value (NULL when the key is absent: the caller
 * decides whether that is a problem, so nothing is reported here for it). */
static void read_cell(struct ctx *c, json_t *v, struct cell *out,
                      bool money, bool signed_ok, const char *sec,
                      const char *row, const char *col)
{
    out->state = CELL_MISSING;
    if (v == NULL)
        return;
    if (json_is_null(v)) {
        out->state = CELL_BLANK;
        return;
    }
    if (money && json_is_string(v)) {
        if (!parse_money(json_string_value(v), &out->v)) {
            structure(c, path3(sec, row, col), v,
                      "a decimal string of 万元, or null");
            return;
        }
        if (out->v < 0)
            add(c, CHECK_ERROR, "negative_value", path3(sec, row, col),
                json_incref(v), json_string(">= 0"));
        out->state = CELL_NUM;
        return;
    }
    if (!json_is_integer(v)) {
        structure(c, path3(sec, row, col), v,
                  money ? "a decimal string of 万元, or null"
                        : "an integer or null");
        return;
    }
    long long n = json_integer_value(v);
    if (n > VALUE_LIMIT || n < -VALUE_LIMIT) {
        structure(c, path3(sec, row, col), v, "an integer within ±10^15");
        return;
    }
    if (n < 0 && !signed_ok)
        add(c, CHECK_ERROR, "negative_value", path3(sec, row, col),
            json_integer(n), json_string(">= 0"));
    out->state = CELL_NUM;
    out->v = money ? n * 100 : n;
}

static const char *foreign_rule(unsigned tmpl)
{
    /* A key outside the report's template belongs to the other one. */
    return tmpl == T2021 ? "template_2019_row" : "template_2021_row";
}

static const char *foreign_what(unsigned tmpl)
{
    return tmpl == T2021 ? "not in the 2021 template"
                         : "not in the 2019 template";
}

static void unknown_key(struct ctx *c, char *cell, json_t *v)
{
    add(c, CHECK_WARNING, "unknown_key", cell, json_incref(v),
        json_string("a key the contract defines"));
}

static int ad_row_index(const char *key)
{
    for (size_t i = 0; i < N_AD_ROWS; i++)
        if (strcmp(tmpl_ad_rows[i].key, key) == 0)
            return (int)i;
    return -1;
}

static int ad_col_index(size_t row, const char *name)
{
    for (int i = 0; i < AD_MAX_COLS && tmpl_ad_rows[row].cols[i].key; i++)
        if (strcmp(tmpl_ad_rows[row].cols[i].key, name) == 0)
            return i;
    return -1;
}

static void read_ad_row(struct ctx *c, struct sheet *r, size_t ri, json_t *row)
{
    const struct tmpl_ad_row *d = &tmpl_ad_rows[ri];
    bool row_in_tmpl = (d->form & r->tmpl) != 0;
    const char *key;
    json_t *v;

    /* A row printed with the other template's columns lacks some of this
     * template's: the foreign-column warning covers that, not "missing". */
    bool foreign_present = false;
    json_object_foreach(row, key, v) {
        int ci = ad_col_index(ri, key);
        if (ci < 0) {
            unknown_key(c, path3("active_disclosure", d->key, key), v);
        } else if (!(d->cols[ci].form & r->tmpl)) {
            foreign_present = true;
            if (row_in_tmpl)
                add(c, CHECK_WARNING, foreign_rule(r->tmpl),
                    path3("active_disclosure", d->key, key), json_incref(v),
                    json_string(foreign_what(r->tmpl)));
        }
    }
    for (int ci = 0; ci < AD_MAX_COLS && d->cols[ci].key; ci++) {
        const struct tmpl_ad_col *cd = &d->cols[ci];
        v = json_object_get(row, cd->key);
        if (v == NULL && row_in_tmpl && (cd->form & r->tmpl) && !foreign_present)
            missing(c, path3("active_disclosure", d->key, cd->key),
                    "an integer or null");
        read_cell(c, v, &r->ad[ri][ci], cd->money, cd->signed_ok,
                  "active_disclosure", d->key, cd->key);
    }
}

static void read_active(struct ctx *c, struct sheet *r, json_t *ad)
{
    if (ad == NULL) {
        missing(c, xstrdup("active_disclosure"), "an object");
        return;
    }
    if (!json_is_object(ad)) {
        structure(c, xstrdup("active_disclosure"), ad, "an object");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(ad, key, v) {
        int ri = ad_row_index(key);
        if (ri < 0)
            unknown_key(c, path3("active_disclosure", key, NULL), v);
        else if (!(tmpl_ad_rows[ri].form & r->tmpl))
            add(c, CHECK_WARNING, foreign_rule(r->tmpl),
                path3("active_disclosure", key, NULL), json_incref(v),
                json_string(foreign_what(r->tmpl)));
    }
    for (size_t ri = 0; ri < N_AD_ROWS; ri++) {
        v = json_object_get(ad, tmpl_ad_rows[ri].key);
        if (v == NULL) {
            if (tmpl_ad_rows[ri].form & r->tmpl)
                missing(c, path3("active_disclosure", tmpl_ad_rows[ri].key, NULL),
                        "an object");
        } else if (!json_is_object(v)) {
            structure(c, path3("active_disclosure", tmpl_ad_rows[ri].key, NULL), v,
                      "an object");
        } else {
            read_ad_row(c, r, ri, v);
        }
    }
}

/* True when cols is absent (reported; the contract order is assumed) or
 * equals want; false when it names other columns, which makes every
 * position meaningless. */
static bool check_columns(struct ctx *c, json_t *cols, const char *sec,
                          const struct tmpl_column *want, size_t n)
{
    if (cols == NULL) {
        missing(c, path3(sec, "columns", NULL), "the list of column names");
        return true;
    }
    bool ok = json_is_array(cols) && json_array_size(cols) == n;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *s = json_array_get(cols, i);
        ok = json_is_string(s) && strcmp(json_string_value(s), want[i].key) == 0;
    }
    if (!ok) {
        json_t *w = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(w, json_string(want[i].key));
        add(c, CHECK_ERROR, "structure", path3(sec, "columns", NULL),
            json_incref(cols), w);
    }
    return ok;
}

static int app_row_index(const char *key)
{
    for (size_t i = 0; i < N_APP_ROWS; i++)
        if (strcmp(tmpl_app_rows[i].key, key) == 0)
            return (int)i;
    return -1;
}

static void read_app_row(struct ctx *c, struct sheet *r, size_t idx,
                         json_t *row)
{
    char *where = xasprintf("applications.rows[%zu]", idx);
    if (!json_is_object(row)) {
        structure(c, where, row, "an object {\"key\", \"values\"}");
        return;
    }
    json_t *k = json_object_get(row, "key");
    if (!json_is_string(k)) {
        structure(c, xasprintf("%s.key", where), k, "a row key string");
        free(where);
        return;
    }
    free(where);
    const char *key = json_string_value(k);
    json_t *vals = json_object_get(row, "values");
    int ri = app_row_index(key);
    if (ri < 0) {
        unknown_key(c, path3("applications", key, NULL), k);
        return;
    }
    if (r->app_present[ri]) {
        structure(c, path3("applications", key, NULL), k, "one row per key");
        return;
    }
    r->app_present[ri] = true;
    if (!(tmpl_app_rows[ri].form & r->tmpl))
        add(c, CHECK_WARNING, foreign_rule(r->tmpl),
            path3("applications", key, NULL),
            vals ? json_incref(vals) : NULL,
            json_string(foreign_what(r->tmpl)));
    if (vals == NULL) {
        missing(c, path3("applications", key, "values"),
                "an array of 7 values");
        return;
    }
    if (!json_is_array(vals) || json_array_size(vals) != N_APP_COLS) {
        structure(c, path3("applications", key, "values"), vals,
                  "an array of 7 values");
        return;
    }
    for (size_t ci = 0; ci < N_APP_COLS; ci++)
        read_cell(c, json_array_get(vals, ci), &r->app[ri][ci], false, false,
                  "applications", key, tmpl_app_columns[ci].key);
}

static void read_applications(struct ctx *c, struct sheet *r, json_t *a)
{
    if (a == NULL) {
        missing(c, xstrdup("applications"), "an object");
        return;
    }
    if (!json_is_object(a)) {
        structure(c, xstrdup("applications"), a, "an object");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(a, key, v) {
        if (strcmp(key, "columns") != 0 && strcmp(key, "rows") != 0)
            unknown_key(c, path3("applications", key, NULL), v);
    }
    if (!check_columns(c, json_object_get(a, "columns"), "applications",
                       tmpl_app_columns, N_APP_COLS))
        return;
    json_t *rows = json_object_get(a, "rows");
    if (rows == NULL) {
        missing(c, xstrdup("applications.rows"), "an array of rows");
        return;
    }
    if (!json_is_array(rows)) {
        structure(c, xstrdup("applications.rows"), rows, "an array of rows");
        return;
    }
    for (size_t i = 0; i < json_array_size(rows); i++)
        read_app_row(c, r, i, json_array_get(rows, i));

    /* Which form of the "other" outcome the sum uses: the template's when
     * printed, else the other template's (warned about above). */
    bool single = r->app_present[app_row_index("other")];
    bool split = false;
    for (size_t i = 0; i < N_APP_ROWS; i++)
        if (tmpl_app_rows[i].other == TMPL_OTHER_SPLIT && r->app_present[i])
            split = true;
    enum tmpl_other use = r->tmpl == T2021 ? (split || !single ? TMPL_OTHER_SPLIT : TMPL_OTHER_SINGLE)
                                           : (single || !split ? TMPL_OTHER_SINGLE : TMPL_OTHER_SPLIT);
    r->outcome_complete = true;
    for (size_t i = 0; i < N_APP_ROWS; i++) {
        const struct tmpl_app_row *d = &tmpl_app_rows[i];
        bool wanted = d->other == TMPL_OTHER_NONE ? (d->form & r->tmpl) != 0
                                          : d->other == use;
        if (d->kind == TMPL_OUTCOME)
            r->use_row[i] = wanted && r->app_present[i];
        if (wanted && !r->app_present[i]) {
            missing(c, path3("applications", d->key, NULL), "a row");
            if (d->kind == TMPL_OUTCOME)
                r->outcome_complete = false;
        }
    }
}

static void read_reviews(struct ctx *c, struct sheet *r, json_t *rl)
{
    if (rl == NULL) {
        missing(c, xstrdup("reviews_litigation"), "an object");
        return;
    }
    if (!json_is_object(rl)) {
        structure(c, xstrdup("reviews_litigation"), rl, "an object");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(rl, key, v) {
        bool known = strcmp(key, "columns") == 0 || strcmp(key, "case_rule") == 0;
        for (size_t i = 0; i < N_RL_ROWS; i++)
            known = known || strcmp(key, tmpl_rl_rows[i].key) == 0;
        if (!known)
            unknown_key(c, path3("reviews_litigation", key, NULL), v);
    }
    /* case_rule only says how cases were counted: it may be absent from a
     * transcribed report, but when present it must be one of the two. */
    v = json_object_get(rl, "case_rule");
    if (v != NULL && !(json_is_string(v) &&
                       (strcmp(json_string_value(v), "filed") == 0 ||
                        strcmp(json_string_value(v), "handled") == 0)))
        structure(c, xstrdup("reviews_litigation.case_rule"), v,
                  "\"filed\" or \"handled\"");
    if (!check_columns(c, json_object_get(rl, "columns"), "reviews_litigation",
                       tmpl_rl_columns, N_RL_COLS))
        return;
    for (size_t ri = 0; ri < N_RL_ROWS; ri++) {
        v = json_object_get(rl, tmpl_rl_rows[ri].key);
        if (v == NULL) {
            missing(c, path3("reviews_litigation", tmpl_rl_rows[ri].key, NULL),
                    "an array of 5 values");
            continue;
        }
        if (!json_is_array(v) || json_array_size(v) != N_RL_COLS) {
            structure(c, path3("reviews_litigation", tmpl_rl_rows[ri].key, NULL), v,
                      "an array of 5 values");
            continue;
        }
        for (size_t ci = 0; ci < N_RL_COLS; ci++)
            read_cell(c, json_array_get(v, ci), &r->rl[ri][ci], false, false,
                      "reviews_litigation", tmpl_rl_rows[ri].key, tmpl_rl_columns[ci].key);
    }
}

static void read_report(struct ctx *c, struct sheet *r, json_t *j)
{
    memset(r, 0, sizeof *r);
    r->tmpl = T2019;
    if (!json_is_object(j)) {
        structure(c, xstrdup("report"), j, "a JSON object");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof top_keys / sizeof top_keys[0]; i++)
            known = known || strcmp(key, top_keys[i]) == 0;
        if (!known)
            unknown_key(c, xstrdup(key), v);
    }

    v = json_object_get(j, "agency");
    if (json_is_string(v))
        r->agency = json_string_value(v);
    else if (v == NULL)
        missing(c, xstrdup("agency"), "an agency code");
    else
        structure(c, xstrdup("agency"), v, "an agency code");
    v = json_object_get(j, "name");
    if (json_is_string(v))
        r->name = json_string_value(v);

    v = json_object_get(j, "year");
    if (json_is_integer(v) && (json_integer_value(v) < DAY_YEAR_MIN ||
                               json_integer_value(v) > DAY_YEAR_MAX)) {
        /* The contract's years only: -1 or 99999 is no report year. */
        structure(c, xstrdup("year"), v, "the report year, an integer in 1990-2100");
    } else if (json_is_integer(v)) {
        r->has_year = true;
        r->year = json_integer_value(v);
    } else if (v == NULL) {
        missing(c, xstrdup("year"), "the report year");
    } else {
        structure(c, xstrdup("year"), v, "the report year, an integer");
    }

    /* Without a usable template, the year says which one applies. */
    v = json_object_get(j, "template");
    const char *t = json_is_string(v) ? json_string_value(v) : "";
    if (strcmp(t, "2019") == 0 || strcmp(t, "2021") == 0) {
        r->tmpl = t[3] == '9' ? T2019 : T2021;
        if (r->has_year && (r->year >= 2021) != (r->tmpl == T2021))
            add(c, CHECK_WARNING, "template_year", xstrdup("template"),
                json_incref(v), json_string(r->year >= 2021 ? "2021" : "2019"));
    } else {
        if (v == NULL)
            missing(c, xstrdup("template"), "\"2019\" or \"2021\"");
        else
            structure(c, xstrdup("template"), v, "\"2019\" or \"2021\"");
        r->tmpl = r->has_year && r->year >= 2021 ? T2021 : T2019;
    }

    read_active(c, r, json_object_get(j, "active_disclosure"));
    read_applications(c, r, json_object_get(j, "applications"));
    read_reviews(c, r, json_object_get(j, "reviews_litigation"));
}

/* ---- rules on one report ----------------------------------------------- */

struct term {
    struct cell *cell;
    int sign; /* +1 or -1 */
};

/* Checks that the signed terms add up to *total, naming cell (owned) on a
 * mismatch. With exactly one blank among them, records what it implies. */
static void check_sum(struct ctx *c, const char *rule, const struct term *t,
                      size_t n, struct cell *total, char *cell)
{
    long long sum = 0;
    size_t blanks = 0;
    const struct term *blank = NULL;

    for (size_t i = 0; i < n; i++) {
        if (t[i].cell->state == CELL_MISSING)
            goto out;
        if (t[i].cell->state == CELL_BLANK) {
            blanks++;
            blank = &t[i];
        } else {
            sum += t[i].sign * t[i].cell->v;
        }
    }
    if (total->state == CELL_MISSING)
        goto out;
    if (total->state == CELL_BLANK) {
        if (blanks == 0 && !total->derived) {
            total->derived = true;
            total->dv = sum;
        }
    } else if (blanks == 0) {
        if (sum != total->v) {
            add(c, CHECK_ERROR, rule, cell, json_integer(total->v),
                json_integer(sum));
            return;
        }
    } else if (blanks == 1 && !blank->cell->derived) {
        /* sign * x + sum = total, sign being ±1 */
        blank->cell->derived = true;
        blank->cell->dv = blank->sign * (total->v - sum);
    }
out:
    free(cell);
}

static void check_applications(struct ctx *c, struct sheet *r)
{
    struct term t[N_APP_ROWS];

    for (size_t col = 0; col < N_APP_COLS; col++) {
        t[0] = (struct term){&r->app[R_RECEIVED][col], +1};
        t[1] = (struct term){&r->app[R_CARRIED_OVER][col], +1};
        t[2] = (struct term){&r->app[R_FORWARD][col], -1};
        check_sum(c, "balance", t, 3, &r->app[R_TOTAL][col],
                  path3("applications", "total_processed", tmpl_app_columns[col].key));
    }
    if (r->outcome_complete) {
        for (size_t col = 0; col < N_APP_COLS; col++) {
            size_t n = 0;
            for (size_t i = 0; i < N_APP_ROWS; i++)
                if (r->use_row[i])
                    t[n++] = (struct term){&r->app[i][col], +1};
            check_sum(c, "outcome_sum", t, n, &r->app[R_TOTAL][col],
                      path3("applications", "total_processed",
                            tmpl_app_columns[col].key));
        }
    }
    for (size_t i = 0; i < N_APP_ROWS; i++) {
        if (!r->app_present[i])
            continue;
        for (size_t col = 0; col < APP_TOTAL; col++)
            t[col] = (struct term){&r->app[i][col], +1};
        check_sum(c, "applicant_sum", t, APP_TOTAL, &r->app[i][APP_TOTAL],
                  path3("applications", tmpl_app_rows[i].key, "total"));
    }
}

static void check_reviews(struct ctx *c, struct sheet *r)
{
    struct term t[RL_TOTAL];
    for (size_t ri = 0; ri < N_RL_ROWS; ri++) {
        for (size_t col = 0; col < RL_TOTAL; col++)
            t[col] = (struct term){&r->rl[ri][col], +1};
        check_sum(c, "reviews_sum", t, RL_TOTAL, &r->rl[ri][RL_TOTAL],
                  path3("reviews_litigation", tmpl_rl_rows[ri].key, "total"));
    }
}

/* The catalogue at the end of the year, items_prev_year + items_change,
 * cannot be negative: the one item chain a single 2019 report lets us test. */
static void check_items(struct ctx *c, struct sheet *r)
{
    for (size_t ri = 0; ri < N_AD_ROWS; ri++) {
        int p = ad_col_index(ri, "items_prev_year");
        int d = ad_col_index(ri, "items_change");
        if (p < 0 || d < 0)
            continue;
        struct cell *prev = &r->ad[ri][p], *chg = &r->ad[ri][d];
        if (prev->state == CELL_NUM && chg->state == CELL_NUM &&
            prev->v + chg->v < 0)
            add(c, CHECK_ERROR, "items_chain",
                path3("active_disclosure", tmpl_ad_rows[ri].key, "items_change"),
                json_integer(chg->v),
                json_sprintf(">= %lld", -prev->v));
    }
}

static void blank_warning(struct ctx *c, const struct cell *cl, bool money,
                          char *cell)
{
    json_t *exp = NULL;
    if (cl->derived)
        exp = money ? money_json(cl->dv) : json_integer(cl->dv);
    add(c, CHECK_WARNING, "blank_cell", cell, NULL, exp);
}

static void check_blanks(struct ctx *c, struct sheet *r)
{
    for (size_t ri = 0; ri < N_AD_ROWS; ri++)
        for (int ci = 0; ci < AD_MAX_COLS && tmpl_ad_rows[ri].cols[ci].key; ci++)
            if (r->ad[ri][ci].state == CELL_BLANK)
                blank_warning(c, &r->ad[ri][ci], tmpl_ad_rows[ri].cols[ci].money,
                              path3("active_disclosure", tmpl_ad_rows[ri].key,
                                    tmpl_ad_rows[ri].cols[ci].key));
    for (size_t i = 0; i < N_APP_ROWS; i++)
        for (size_t col = 0; col < N_APP_COLS; col++)
            if (r->app[i][col].state == CELL_BLANK)
                blank_warning(c, &r->app[i][col], false,
                              path3("applications", tmpl_app_rows[i].key,
                                    tmpl_app_columns[col].key));
    for (size_t ri = 0; ri < N_RL_ROWS; ri++)
        for (size_t col = 0; col < N_RL_COLS; col++)
            if (r->rl[ri][col].state == CELL_BLANK)
                blank_warning(c, &r->rl[ri][col], false,
                              path3("reviews_litigation", tmpl_rl_rows[ri].key,
                                    tmpl_rl_columns[col].key));
}

/* ---- rules across consecutive years ------------------------------------ */

/* The agency code is the identity. An imported report whose agency was not
 * given is "unknown"; two of those chain only when their printed names agree. */
static bool same_agency(const struct sheet *a, const struct sheet *b)
{
    if (a->agency == NULL || b->agency == NULL || a->agency[0] == '\0' ||
        strcmp(a->agency, b->agency) != 0)
        return false;
    if (strcmp(a->agency, "unknown") != 0)
        return true;
    return a->name != NULL && b->name != NULL && strcmp(a->name, b->name) == 0;
}

static bool nums(const struct cell *a, const struct cell *b)
{
    return a->state == CELL_NUM && b->state == CELL_NUM;
}

/* prev is year Y-1, cur year Y of the same agency. */
static void check_chain(struct ctx *c, const struct sheet *prev,
                        const struct sheet *cur)
{
    for (size_t col = 0; col < N_APP_COLS; col++) {
        const struct cell *fw = &prev->app[R_FORWARD][col];
        const struct cell *ov = &cur->app[R_CARRIED_OVER][col];
        if (nums(fw, ov) && fw->v != ov->v)
            add(c, CHECK_ERROR, "carried_over_chain",
                path3("applications", "carried_over", tmpl_app_columns[col].key),
                json_integer(ov->v), json_integer(fw->v));
    }
    for (size_t ri = 0; ri < N_AD_ROWS; ri++) {
        int p = ad_col_index(ri, "items_prev_year");
        int d = ad_col_index(ri, "items_change");
        if (p >= 0 && d >= 0) {
            const struct cell *pp = &prev->ad[ri][p], *pd = &prev->ad[ri][d];
            const struct cell *cp = &cur->ad[ri][p];
            if (nums(pp, pd) && cp->state == CELL_NUM &&
                cp->v != pp->v + pd->v)
                add(c, CHECK_ERROR, "items_prev_year_chain",
                    path3("active_disclosure", tmpl_ad_rows[ri].key,
                          "items_prev_year"),
                    json_integer(cp->v), json_integer(pp->v + pd->v));
        }
        int f = ad_col_index(ri, "in_force");
        int is = ad_col_index(ri, "issued");
        int rp = ad_col_index(ri, "repealed");
        if (f >= 0 && is >= 0 && rp >= 0) {
            const struct cell *pf = &prev->ad[ri][f], *cf = &cur->ad[ri][f];
            const struct cell *ci = &cur->ad[ri][is], *cr = &cur->ad[ri][rp];
            if (nums(pf, cf) && nums(ci, cr) &&
                cf->v != pf->v + ci->v - cr->v)
                add(c, CHECK_ERROR, "in_force_chain",
                    path3("active_disclosure", tmpl_ad_rows[ri].key, "in_force"),
                    json_integer(cf->v), json_integer(pf->v + ci->v - cr->v));
        }
    }
}

/* ---- entry points ------------------------------------------------------ */

/* Regroups findings by report, keeping the order within each. */
static void group_by_report(struct check_findings *f, size_t nreports)
{
    if (f->count < 2)
        return;
    struct check_finding *out = xmalloc(f->count * sizeof *out);
    size_t k = 0;
    for (size_t r = 0; r < nreports; r++)
        for (size_t i = 0; i < f->count; i++)
            if (f->items[i].report == r)
                out[k++] = f->items[i];
    free(f->items);
    f->items = out;
    f->cap = f->count;
}

struct check_findings *reportcheck_run(json_t *const *reports, size_t n)
{
    struct check_findings *f = xcalloc(1, sizeof *f);
    struct sheet *rs = xcalloc(n ? n : 1, sizeof *rs);
    struct ctx c = {.f = f};

    for (size_t i = 0; i < n; i++) {
        c.report = i;
        read_report(&c, &rs[i], reports[i]);
        check_applications(&c, &rs[i]);
        check_reviews(&c, &rs[i]);
        check_items(&c, &rs[i]);
        check_blanks(&c, &rs[i]);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (!rs[i].has_year || !rs[j].has_year ||
                rs[j].year != rs[i].year + 1 || !same_agency(&rs[i], &rs[j]))
                continue;
            c.report = j;
            check_chain(&c, &rs[i], &rs[j]);
        }
    }
    free(rs);
    group_by_report(f, n);
    return f;
}

void reportcheck_free(struct check_findings *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].cell);
        json_decref(f->items[i].printed);
        json_decref(f->items[i].expected);
    }
    free(f->items);
    free(f);
}

/* ---- rendering --------------------------------------------------------- */

static void render_value(FILE *out, const json_t *v)
{
    if (json_is_string(v)) {
        /* Text from the checked file, which may come from anywhere: shown. */
        char shown[400];
        fputs(utf8_shown(json_string_value(v), shown, sizeof shown), out);
        return;
    }
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    fputs(s ? s : "?", out);
    free(s);
}

/* A blank cell nothing else determines: said in the report's one summary
 * line, not a line each (a real report may leave a hundred cells blank). */
static int plain_blank(const struct check_finding *x)
{
    return strcmp(x->rule, "blank_cell") == 0 && (!x->expected || json_is_null(x->expected));
}

void reportcheck_render_text(FILE *out, const struct check_findings *f,
                             const char *const *names)
{
    size_t reports = 0;
    for (size_t i = 0; i < f->count; i++)
        if (f->items[i].report + 1 > reports)
            reports = f->items[i].report + 1;
    for (size_t i = 0; i < f->count; i++) {
        const struct check_finding *x = &f->items[i];
        if (plain_blank(x))
            continue;
        if (names)
            fprintf(out, "%s: ", names[x->report]);
        char cell[400];
        fprintf(out, "%s %s %s: printed ", reportcheck_severity_name(x->severity), x->rule,
                utf8_shown(x->cell, cell, sizeof cell));
        render_value(out, x->printed);
        fputs(", expected ", out);
        render_value(out, x->expected);
        fputc('\n', out);
    }
    /* Then, per report, one line for its plain blank cells: how many, the first few. */
    for (size_t r = 0; r < reports; r++) {
        size_t n = 0;
        for (size_t i = 0; i < f->count; i++)
            n += f->items[i].report == r && plain_blank(&f->items[i]);
        if (!n)
            continue;
        if (names)
            fprintf(out, "%s: ", names[r]);
        fprintf(out, "warning blank_cell: %zu cell%s not filled (", n, n == 1 ? "" : "s");
        size_t shown = 0;
        for (size_t i = 0; i < f->count && shown < 5; i++) {
            if (f->items[i].report != r || !plain_blank(&f->items[i]))
                continue;
            char cell[400];
            fprintf(out, "%s%s", shown ? ", " : "", utf8_shown(f->items[i].cell, cell, sizeof cell));
            shown++;
        }
        fputs(n > shown ? ", …)\n" : ")\n", out);
    }
}

json_t *reportcheck_to_json(const struct check_findings *f,
                            const char *const *names)
{
    json_t *list = json_array();
    for (size_t i = 0; i < f->count; i++) {
        const struct check_finding *x = &f->items[i];
        json_t *o = json_object();
        json_object_set_new(o, "severity",
                            json_string(reportcheck_severity_name(x->severity)));
        json_object_set_new(o, "rule", json_string(x->rule));
        json_object_set_new(o, "cell", json_string(x->cell));
        json_object_set(o, "printed", x->printed);
        json_object_set(o, "expected", x->expected);
        if (names)
            json_object_set_new(o, "report", json_string(names[x->report]));
        json_array_append_new(list, o);
    }
    return list;
}
