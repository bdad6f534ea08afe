/* gongkai template — the official formats of the report's tables, as JSON.
 *
 * Prints lib/report/template.c: for each format (or the one of --year), the
 * rows and columns of sections 二, 三 and 四 in report order, with the
 * contract's keys and the official labels. For a client that lays out
 * reports itself, and the reference a test holds sql/003's views to.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "tables.h"
#include "template.h"

static const char USAGE[] =
    "usage: gongkai template [--year YEAR]\n\n"
    "Prints the rows and columns of the report's tables (sections 二, 三, 四) as\n"
    "JSON: keys as in the report's JSON, the official labels, in report order.\n"
    "Both formats (2019: reports for 2019 and 2020; 2021: from 2021 on), or the\n"
    "one of --year.\n";

static json_t *columns(const struct tmpl_column *c, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "key", c[i].key, "label", c[i].label));
    return a;
}

static json_t *active_disclosure(unsigned form)
{
    int fi = tmpl_index(form);
    json_t *rows = json_array();
    for (int i = 0; i < TMPL_AD_ROWS; i++) {
        const struct tmpl_ad_row *r = &tmpl_ad_rows[i];
        if (!(r->form & form))
            continue;
        json_t *cols = json_array();
        for (int c = 0; c < TMPL_AD_COLS && r->cols[c].key; c++)
            if (r->cols[c].form & form)
                json_array_append_new(cols, json_pack("{s:s, s:s, s:b}", "key", r->cols[c].key,
                                                      "label", r->cols[c].head[fi], "money",
                                                      r->cols[c].money));
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:o}", "key", r->key, "label",
                                              r->label[fi], "table", r->item, "columns", cols));
    }
    return rows;
}

static json_t *applications(unsigned form)
{
    json_t *rows = json_array();
    for (int i = 0; i < TMPL_APP_ROWS; i++) {
        const struct tmpl_app_row *r = &tmpl_app_rows[i];
        if (r->form & form)
            json_array_append_new(rows, json_pack("{s:s, s:s?, s:s?, s:s}", "key", r->key,
                                                  "heading", r->above, "group", r->group,
                                                  "label", r->label));
    }
    /* The official header's span: 法人或其他组织 over the five kinds between
     * 自然人 and 总计. */
    json_t *kinds = json_array();
    for (int c = 1; c < TMPL_APP_COLS - 1; c++)
        json_array_append_new(kinds, json_string(tmpl_app_columns[c].key));
    json_t *groups = json_pack("[{s:s, s:o}]", "label", tmpl_app_org_group, "columns", kinds);
    return json_pack("{s:o, s:o, s:o}", "columns", columns(tmpl_app_columns, TMPL_APP_COLS), "column_groups",
                     groups, "rows", rows);
}

static json_t *reviews_litigation(void)
{
    json_t *rows = json_array();
    for (int i = 0; i < TMPL_RL_ROWS; i++)
        json_array_append_new(rows, json_pack("{s:s, s:s?, s:s}", "key", tmpl_rl_rows[i].key,
                                              "group", tmpl_rl_rows[i].group, "label",
                                              tmpl_rl_rows[i].label));
    return json_pack("{s:o, s:o}", "columns", columns(tmpl_rl_columns, TMPL_RL_COLS), "rows",
                     rows);
}

static json_t *format(unsigned form)
{
    return json_pack("{s:s, s:i, s:i, s:{s:s, s:o}, s:{s:s, s:o}, s:{s:s, s:o}}", "template",
                     tmpl_form_name(form), "first_year", form == TMPL_2019 ? YEAR_MIN : 2021,
                     "last_year", form == TMPL_2019 ? 2020 : YEAR_MAX, "active_disclosure",
                     "heading", tmpl_section[0], "rows", active_disclosure(form), "applications",
                     "heading", tmpl_section[1], "table", applications(form),
                     "reviews_litigation", "heading", tmpl_section[2], "table",
                     reviews_litigation());
}

int cmd_template(int argc, char **argv)
{
    int year = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
        char *end;
        if (strcmp(argv[i], "--year") == 0 && i + 1 < argc) {
            long y = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || y < YEAR_MIN || y > YEAR_MAX) {
                fprintf(stderr, "gongkai template: --year %s: not a year from %d to %d\n",
                        argv[i], YEAR_MIN, YEAR_MAX);
                return 2;
            }
            year = (int)y;
            continue;
        }
        fprintf(stderr, "gongkai template: unknown argument %s\n%s", argv[i], USAGE);
        return 2;
    }
    json_t *out = json_pack("{s:[]}", "formats");
    json_t *list = json_object_get(out, "formats");
    if (year)
        json_array_append_new(list, format(tmpl_of_year(year)));
    else
        json_array_append_new(list, format(TMPL_2019)), json_array_append_new(list, format(TMPL_2021));
    int rc = json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : 2;
    putchar('\n');
    json_decref(out);
    return rc;
}
