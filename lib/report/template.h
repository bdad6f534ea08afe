/* template — the two official formats of the report's tables, as data.
 *
 * 国办公开办函〔2019〕60号 fixes the tables of the reports for 2019 and 2020
 * (the "2019" format), 〔2021〕30号 those from 2021 on (the "2021" format):
 * the rows and columns of sections 二, 三 and 四, their order and their
 * labels. This file and template.c are the only place they are written down:
 * render.c lays reports out from them, reportcheck.c knows which cells each
 * format has from them, reportimport.c finds each printed row by its label's
 * `match` text, `gongkai template` prints them, and a system test checks the
 * row lists of sql/003's views against them.
 *
 * Keys are the contract's (spec/report.md); labels are the official forms'
 * text in simplified characters. A format is a bit in `form` masks, so a row
 * or column present in both says TMPL_BOTH.
 *
 * Everything here is constant data: no state, safe from any thread.
 */
#ifndef GK_TEMPLATE_H
#define GK_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

enum tmpl_form { TMPL_2019 = 1, TMPL_2021 = 2, TMPL_BOTH = 3 };

/* How the importer finds a row by its match text: anywhere in the printed
 * label, or only at its end (a short text such as 规章 or 其他 would
 * otherwise match headings and prose). */
enum tmpl_match { TMPL_SUB, TMPL_SUFFIX };

/* The format of a report year: TMPL_2019 up to 2020, TMPL_2021 after. */
enum tmpl_form tmpl_of_year(int year);
/* "2019" or "2021". */
const char *tmpl_form_name(enum tmpl_form f);
/* 0 for TMPL_2019, 1 for TMPL_2021: the index of per-format arrays below. */
int tmpl_index(enum tmpl_form f);

/* The headings of sections 二, 三 and 四, in order. */
extern const char *const tmpl_section[3];
/* The headings of the prose sections 一, 五 and 六, in order. */
extern const char *const tmpl_prose_section[3];
/* The title after the agency's name: {name}{year}年 + this. */
extern const char *const tmpl_title_suffix;
/* Table corners and header spans of the official forms: 信息内容 (二),
 * 申请人情况 (三), 法人或其他组织 over the five kinds of organisation. */
extern const char *const tmpl_ad_corner;
extern const char *const tmpl_app_corner;
extern const char *const tmpl_app_org_group;

/* ---- section 二: active disclosure ---------------------------------------- */

#define TMPL_AD_COLS 5 /* most columns one row has in both formats together */

struct tmpl_ad_col {
    const char *key;     /* "issued", "items_change", "amount_wan_yuan", … */
    unsigned form;       /* formats that print it */
    const char *head[2]; /* column heading in the 2019 and the 2021 format */
    bool money;          /* a decimal string of 万元 */
    bool signed_ok;      /* may be negative (items_change is a difference) */
};

struct tmpl_ad_row {
    const char *key;      /* "rule", "normative", "licensing", … */
    unsigned form;
    const char *label[2]; /* as the 2019 and the 2021 format print it */
    const char *match;    /* what the importer finds it by */
    enum tmpl_match how;
    const char *item;     /* its sub-table: 第二十条第(一)项 … */
    struct tmpl_ad_col cols[TMPL_AD_COLS]; /* printed order within each format */
};

#define TMPL_AD_ROWS 8 /* both formats together */
extern const struct tmpl_ad_row tmpl_ad_rows[TMPL_AD_ROWS];

/* ---- section 三: applications ---------------------------------------------- */

#define TMPL_APP_COLS 7 /* six kinds of applicant, then the total */

struct tmpl_column {
    const char *key;
    const char *label;
};
extern const struct tmpl_column tmpl_app_columns[TMPL_APP_COLS];

enum tmpl_app_kind { TMPL_RECEIVED, TMPL_CARRIED_OVER, TMPL_OUTCOME, TMPL_TOTAL, TMPL_FORWARD };

/* The "other" outcome is one row in the 2019 format and three in 2021. */
enum tmpl_other { TMPL_OTHER_NONE, TMPL_OTHER_SINGLE, TMPL_OTHER_SPLIT };

struct tmpl_app_row {
    const char *key;     /* "received", "withheld.state_secret", "other", … */
    unsigned form;
    enum tmpl_app_kind kind;
    enum tmpl_other other;
    int outcome;         /* the event's outcome code (event.h); 0 when none or several */
    const char *above;   /* a heading printed above the row ("三、本年度办理结果"), or NULL */
    const char *group;   /* the row's group ("(三)不予公开"), or NULL */
    const char *label;   /* the row's own label within its group */
    const char *match;
    enum tmpl_match how;
};

#define TMPL_APP_ROWS 26 /* both formats together */
extern const struct tmpl_app_row tmpl_app_rows[TMPL_APP_ROWS];

/* ---- section 四: administrative review and litigation ----------------------- */

#define TMPL_RL_ROWS 3
#define TMPL_RL_COLS 5 /* upheld, corrected, other, pending, total */

struct tmpl_rl_row {
    const char *key;
    const char *group; /* "行政诉讼" over the two kinds of lawsuit, or NULL */
    const char *label;
    const char *match;
    enum tmpl_match how;
};
extern const struct tmpl_rl_row tmpl_rl_rows[TMPL_RL_ROWS];
extern const struct tmpl_column tmpl_rl_columns[TMPL_RL_COLS];
/* The note under section 四 for each case rule ("filed", "handled"). */
extern const char *const tmpl_case_rule_title[2];

/* Lookups by key within a format; NULL (or -1) when the format has none. */
const struct tmpl_ad_row *tmpl_ad_row(const char *key, unsigned form);
const struct tmpl_ad_col *tmpl_ad_col(const struct tmpl_ad_row *row, const char *key,
                                      unsigned form);
int tmpl_app_row_index(const char *key);

#endif
