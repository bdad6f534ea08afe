/* render — report JSON and the official table layout (see render.h). */
#include "render.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "day.h"
#include "money.h"
#include "document.h"
#include "sha256.h"
#include "template.h"

int render_parse_format(const char *s)
{
    static const char *const f[] = {"json", "csv", "md", "text", "html"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, f[i]) == 0)
            return i;
    return -1;
}

int render_parse_case_rule(const char *s)
{
    if (strcmp(s, "filed") == 0)
        return CASE_RULE_FILED;
    if (strcmp(s, "handled") == 0)
        return CASE_RULE_HANDLED;
    return -1;
}

const char *render_content_type(enum render_format f)
{
    switch (f) {
    case FORMAT_JSON: return "application/json; charset=utf-8";
    case FORMAT_CSV: return "text/csv; charset=utf-8";
    case FORMAT_MD: return "text/markdown; charset=utf-8";
    case FORMAT_HTML: return "text/html; charset=utf-8";
    default: return "text/plain; charset=utf-8";
    }
}

/* ---- cells, as the template names them ---- */

struct app_row {
    const struct tmpl_app_row *t;
    char label[200];     /* "group label" when the row has a group */
    int64_t v[TMPL_APP_COLS];
};

/* One row of section 三 from r: the outcome's counts, the sum of the three
 * "other" outcomes for the 2019 format's single row, or a flow. */
void render_app_values(const struct report *r, const struct tmpl_app_row *t, int64_t *v)
{
    for (int c = 0; c < N_COLS; c++) {
        switch (t->kind) {
        case TMPL_RECEIVED: v[c] = r->received[c]; break;
        case TMPL_CARRIED_OVER: v[c] = r->carried_over[c]; break;
        case TMPL_TOTAL: v[c] = r->total_processed[c]; break;
        case TMPL_FORWARD: v[c] = r->carried_forward[c]; break;
        case TMPL_OUTCOME:
            if (t->outcome)
                v[c] = r->outcome[t->outcome - 1][c];
            else /* the 2019 format's one "other" row */
                v[c] = r->outcome[OUTCOME_OTHER_NO_CORRECTION - 1][c] +
                       r->outcome[OUTCOME_OTHER_FEE_UNPAID - 1][c] +
                       r->outcome[OUTCOME_OTHER_OTHER - 1][c];
            break;
        }
    }
    int64_t tot = 0;
    for (int c = 0; c < N_COLS; c++)
        tot += v[c];
    v[N_COLS] = tot;
}

/* Rows of section 三 for r's format, in report order; returns the count. */
static int app_rows(const struct report *r, struct app_row *rows)
{
    unsigned form = r->template2021 ? TMPL_2021 : TMPL_2019;
    int n = 0;
    for (size_t i = 0; i < TMPL_APP_ROWS; i++) {
        const struct tmpl_app_row *t = &tmpl_app_rows[i];
        if (!(t->form & form))
            continue;
        rows[n].t = t;
        snprintf(rows[n].label, sizeof rows[n].label, "%s%s%s", t->group ? t->group : "",
                 t->group ? " " : "", t->label);
        render_app_values(r, t, rows[n].v);
        n++;
    }
    return n;
}

/* One cell of section 二. Returns true when it is money (*v in fen). */
static bool ad_value(const struct report *r, const struct tmpl_ad_row *row,
                     const struct tmpl_ad_col *col, int64_t *v)
{
    const char *c = col->key;
    if (strcmp(row->key, "procurement") == 0) {
        *v = col->money ? r->procurement_fen : r->procurement_projects;
        return col->money;
    }
    int d = ev_lookup(ev_document_kind_names, N_DOCKIND, row->key);
    if (d) {
        d--;
        *v = strcmp(c, "issued") == 0      ? r->doc_issued[d]
             : strcmp(c, "published") == 0 ? r->doc_published[d]
             : strcmp(c, "repealed") == 0  ? r->doc_repealed[d]
             : strcmp(c, "in_force") == 0  ? r->doc_in_force[d]
                                           : r->doc_total_published[d];
        return false;
    }
    int k = ev_lookup(ev_item_kind_names, N_ITEMKIND, row->key);
    assert(k > 0);
    if (col->money) {
        *v = r->fee_fen;
        return true;
    }
    *v = strcmp(c, "items_prev_year") == 0 ? r->items_prev_year[k - 1]
         : strcmp(c, "items_change") == 0  ? r->items_change[k - 1]
                                           : r->decisions[k - 1];
    return false;
}

/* The cell as printed: an integer, or 万元 with two decimals. */
void render_ad_text(const struct report *r, const struct tmpl_ad_row *row,
                    const struct tmpl_ad_col *col, char *out, size_t cap)
{
    int64_t v;
    if (ad_value(r, row, col, &v))
        money_wan_yuan(v, out, cap);
    else
        snprintf(out, cap, "%lld", (long long)v);
}

/* ---- JSON ---- */

static void json_ints(struct buf *b, const int64_t *v, int n)
{
    buf_putc(b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ", ");
        buf_int(b, v[i]);
    }
    buf_putc(b, ']');
}

/* The c-th of a list of template keys (plain ASCII: no escaping needed). */
static void json_key(struct buf *b, int c, const char *key)
{
    if (c)
        buf_puts(b, ", ");
    buf_putc(b, '"');
    buf_puts(b, key);
    buf_putc(b, '"');
}

static void as_of(const struct report *r, int64_t now_us, char *buf, size_t cap, int *final)
{
    int32_t today = day_beijing(now_us);
    *final = r->year < day_year(today);
    if (*final) {
        snprintf(buf, cap, "%04d-01-01T00:00:00+08:00", r->year + 1);
        return;
    }
    int64_t s = now_us / 1000000 + BEIJING_OFFSET_S;
    int64_t sod = s % 86400;
    int y, m, d;
    day_to_ymd(today, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60));
}

static void render_json(const struct report *r, const char *name, int64_t now_us, struct buf *b)
{
    char asof[40], money[32];
    int final;
    as_of(r, now_us, asof, sizeof asof, &final);
    buf_puts(b, "{\n  \"agency\": ");
    buf_json_string(b, r->agency);
    if (name) {
        buf_puts(b, ",\n  \"name\": ");
        buf_json_string(b, name);
    }
    buf_printf(b, ",\n  \"year\": %d,\n  \"template\": \"%s\",\n  \"as_of\": \"%s\",\n  \"final\": %s,\n",
               r->year, r->template2021 ? "2021" : "2019", asof, final ? "true" : "false");
    unsigned form = r->template2021 ? TMPL_2021 : TMPL_2019;
    buf_puts(b, "  \"active_disclosure\": {");
    const char *sep = "\n";
    for (size_t i = 0; i < TMPL_AD_ROWS; i++) {
        const struct tmpl_ad_row *row = &tmpl_ad_rows[i];
        if (!(row->form & form))
            continue;
        buf_puts(b, sep);
        buf_puts(b, "    \"");
        buf_puts(b, row->key);
        buf_puts(b, "\": {");
        const char *csep = "";
        for (int c = 0; c < TMPL_AD_COLS && row->cols[c].key; c++) {
            const struct tmpl_ad_col *col = &row->cols[c];
            if (!(col->form & form))
                continue;
            buf_puts(b, csep);
            buf_putc(b, '"');
            buf_puts(b, col->key);
            buf_puts(b, "\": ");
            int64_t v;
            if (col->money || ad_value(r, row, col, &v)) { /* as render_ad_text prints it */
                render_ad_text(r, row, col, money, sizeof money);
                if (col->money)
                    buf_putc(b, '"');
                buf_puts(b, money);
                if (col->money)
                    buf_putc(b, '"');
            } else {
                buf_int(b, v);
            }
            csep = ", ";
        }
        buf_putc(b, '}');
        sep = ",\n";
    }
    buf_puts(b, "\n  },\n  \"applications\": {\n    \"columns\": [");
    for (int c = 0; c < TMPL_APP_COLS; c++)
        json_key(b, c, tmpl_app_columns[c].key);
    buf_puts(b, "],\n    \"rows\": [\n");
    struct app_row rows[32];
    int n = app_rows(r, rows);
    for (int i = 0; i < n; i++) {
        buf_puts(b, "      {\"key\": \"");
        buf_puts(b, rows[i].t->key);
        buf_puts(b, "\", \"label\": ");
        buf_json_string(b, rows[i].label);
        buf_puts(b, ", \"values\": ");
        json_ints(b, rows[i].v, TMPL_APP_COLS);
        buf_puts(b, i + 1 < n ? "},\n" : "}\n");
    }
    buf_puts(b, "    ]\n  },\n  \"reviews_litigation\": {\n    \"columns\": [");
    for (int c = 0; c < TMPL_RL_COLS; c++)
        json_key(b, c, tmpl_rl_columns[c].key);
    buf_puts(b, "],\n");
    for (int i = 0; i < TMPL_RL_ROWS; i++) {
        buf_puts(b, "    \"");
        buf_puts(b, tmpl_rl_rows[i].key);
        buf_puts(b, "\": ");
        json_ints(b, r->cases[i], TMPL_RL_COLS);
        buf_puts(b, ",\n");
    }
    buf_printf(b, "    \"case_rule\": \"%s\"\n  }\n}\n",
               r->case_rule == CASE_RULE_FILED ? "filed" : "handled");
}

void render_tables_sha256(const struct report *r, char hex[65])
{
    struct buf b = {0};
    render_json(r, NULL, 0, &b);
    sha256_hex(b.data, b.len, hex);
    buf_free(&b);
}

void render_json_release(struct buf *json, int release, int changed)
{
    /* render_json ends every report with "\n}\n": the keys go before it. */
    assert(json->len >= 3 && memcmp(json->data + json->len - 3, "\n}\n", 3) == 0);
    json->len -= 3;
    buf_printf(json, ",\n  \"released\": %d,\n  \"changed_since_release\": %s\n}\n", release,
               changed ? "true" : "false");
}

/* ---- the official layout, shared by CSV, Markdown and text ---- */

#define MAX_COLS 16

struct sheet_row {
    char label[200];
    char cell[MAX_COLS][32];
    int ncells;
};

/* Emits one table in format f. */
struct emitter {
    enum render_format f;
    struct buf *b;
    const char *section;
};

static void csv_field(struct buf *b, const char *s)
{
    if (strpbrk(s, ",\"\n")) {
        buf_putc(b, '"');
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                buf_putc(b, '"');
            buf_putc(b, *p);
        }
        buf_putc(b, '"');
    } else {
        buf_puts(b, s);
    }
}

static void emit_table(struct emitter *e, const char *title, const char *const *head, int nhead,
                       const struct sheet_row *rows, int nrows)
{
    struct buf *b = e->b;
    switch (e->f) {
    case FORMAT_CSV:
        for (int i = 0; i < nrows; i++) {
            csv_field(b, e->section);
            buf_putc(b, ',');
            csv_field(b, title);
            buf_putc(b, ',');
            csv_field(b, rows[i].label);
            for (int c = 0; c < rows[i].ncells; c++) {
                buf_putc(b, ',');
                buf_puts(b, head[c + 1]);
                buf_putc(b, '=');
                buf_puts(b, rows[i].cell[c]);
            }
            buf_putc(b, '\n');
        }
        break;
    case FORMAT_MD:
        if (*title)
            buf_printf(b, "\n**%s**\n", title);
        buf_puts(b, "\n|");
        for (int c = 0; c < nhead; c++)
            buf_printf(b, " %s |", head[c]);
        buf_puts(b, "\n|");
        for (int c = 0; c < nhead; c++)
            buf_puts(b, c ? " ---: |" : " --- |");
        buf_putc(b, '\n');
        for (int i = 0; i < nrows; i++) {
            buf_printf(b, "| %s |", rows[i].label);
            for (int c = 0; c < rows[i].ncells; c++)
                buf_printf(b, " %s |", rows[i].cell[c]);
            buf_putc(b, '\n');
        }
        break;
    default:
        buf_printf(b, "\n%s%s", title, *title ? "\n" : "");
        for (int c = 0; c < nhead; c++)
            buf_printf(b, "%s%s", c ? "\t" : "", head[c]);
        buf_putc(b, '\n');
        for (int i = 0; i < nrows; i++) {
            buf_puts(b, rows[i].label);
            for (int c = 0; c < rows[i].ncells; c++)
                buf_printf(b, "\t%s", rows[i].cell[c]);
            buf_putc(b, '\n');
        }
    }
}

static void heading(struct emitter *e, const char *text)
{
    e->section = text;
    if (e->f == FORMAT_MD)
        buf_printf(e->b, "\n## %s\n", text);
    else if (e->f == FORMAT_TEXT)
        buf_printf(e->b, "\n%s\n", text);
}

/* Section 二: one sub-table per item of Article 20, as the format prints
 * them; the headings are those of the sub-table's first row. */
static void layout_active(struct emitter *e, const struct report *r, unsigned form)
{
    int fi = tmpl_index(form);
    struct sheet_row rows[4];
    for (size_t i = 0; i < TMPL_AD_ROWS;) {
        const struct tmpl_ad_row *first = &tmpl_ad_rows[i];
        const char *head[1 + TMPL_AD_COLS] = {tmpl_ad_corner};
        int nhead = 1, k = 0;
        for (int c = 0; c < TMPL_AD_COLS && first->cols[c].key; c++)
            if (first->cols[c].form & form)
                head[nhead++] = first->cols[c].head[fi];
        for (; i < TMPL_AD_ROWS && strcmp(tmpl_ad_rows[i].item, first->item) == 0; i++) {
            const struct tmpl_ad_row *row = &tmpl_ad_rows[i];
            if (!(row->form & form))
                continue;
            snprintf(rows[k].label, sizeof rows[k].label, "%s", row->label[fi]);
            rows[k].ncells = 0;
            for (int c = 0; c < TMPL_AD_COLS && row->cols[c].key; c++)
                if (row->cols[c].form & form)
                    render_ad_text(r, row, &row->cols[c], rows[k].cell[rows[k].ncells++],
                            sizeof rows[k].cell[0]);
            k++;
        }
        if (k)
            emit_table(e, first->item, head, nhead, rows, k);
    }
}

/* Section 三. Text and Markdown print headings and group names as rows of
 * their own, as the official table does, and each row its short label; CSV
 * gives every row its whole label. */
static void layout_applications(struct emitter *e, const struct report *r)
{
    struct sheet_row rows[64];
    struct app_row ar[32];
    int n = app_rows(r, ar), k = 0;
    const char *hc[1 + TMPL_APP_COLS] = {tmpl_app_corner};
    for (int c = 0; c < TMPL_APP_COLS; c++)
        hc[c + 1] = tmpl_app_columns[c].label;
    for (int i = 0; i < n; i++) {
        const struct tmpl_app_row *t = ar[i].t;
        const char *lab = ar[i].label;
        if (e->f != FORMAT_CSV) {
            if (t->above) {
                snprintf(rows[k].label, sizeof rows[k].label, "%s", t->above);
                rows[k++].ncells = 0;
            }
            if (t->group && (i == 0 || ar[i - 1].t->group != t->group)) {
                snprintf(rows[k].label, sizeof rows[k].label, "%s", t->group);
                rows[k++].ncells = 0;
            }
            lab = t->label;
        }
        snprintf(rows[k].label, sizeof rows[k].label, "%s", lab);
        rows[k].ncells = TMPL_APP_COLS;
        for (int c = 0; c < TMPL_APP_COLS; c++)
            snprintf(rows[k].cell[c], sizeof rows[k].cell[c], "%lld", (long long)ar[i].v[c]);
        k++;
    }
    emit_table(e, "", hc, 1 + TMPL_APP_COLS, rows, k);
}

/* Section 四: one row per kind of case, the lawsuits under 行政诉讼. */
static void layout_cases(struct emitter *e, const struct report *r)
{
    struct sheet_row rows[TMPL_RL_ROWS];
    const char *hr[1 + TMPL_RL_COLS] = {""};
    for (int c = 0; c < TMPL_RL_COLS; c++)
        hr[c + 1] = tmpl_rl_columns[c].label;
    for (int i = 0; i < TMPL_RL_ROWS; i++) {
        const struct tmpl_rl_row *t = &tmpl_rl_rows[i];
        snprintf(rows[i].label, sizeof rows[i].label, "%s%s%s", t->group ? t->group : "",
                 t->group ? " " : "", t->label);
        rows[i].ncells = TMPL_RL_COLS;
        for (int c = 0; c < TMPL_RL_COLS; c++)
            snprintf(rows[i].cell[c], sizeof rows[i].cell[c], "%lld", (long long)r->cases[i][c]);
    }
    emit_table(e, tmpl_case_rule_title[r->case_rule == CASE_RULE_FILED ? 0 : 1], hr,
               1 + TMPL_RL_COLS, rows, TMPL_RL_ROWS);
}

static void render_layout(const struct report *r, const char *name, enum render_format f,
                          struct buf *b)
{
    struct emitter e = {f, b, ""};
    if (f == FORMAT_CSV)
        buf_puts(b, "section,table,row,cells\n");
    else
        buf_printf(b, "%s%s%d年%s\n", f == FORMAT_MD ? "# " : "", name ? name : r->agency,
                   r->year, tmpl_title_suffix);
    heading(&e, tmpl_section[0]);
    layout_active(&e, r, r->template2021 ? TMPL_2021 : TMPL_2019);
    heading(&e, tmpl_section[1]);
    layout_applications(&e, r);
    heading(&e, tmpl_section[2]);
    layout_cases(&e, r);
}

void render_report(const struct report *r, const char *name, enum render_format f, int64_t now_us,
                   struct buf *out)
{
    if (f == FORMAT_JSON)
        render_json(r, name, now_us, out);
    else if (f == FORMAT_HTML)
        document_html(r, name, NULL, out);
    else
        render_layout(r, name, f, out);
}
