/* render — report JSON and the official table layout (see render.h). */
#include "render.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "day.h"
#include "money.h"

static const char *const col_keys[] = {"natural_person", "commercial_enterprise",
                                       "research_institution", "social_welfare_org",
                                       "legal_service_org", "other_org", "total"};
static const char *const col_labels[] = {"自然人", "商业企业", "科研机构", "社会公益组织",
                                         "法律服务机构", "其他", "总计"};

/* Section 三 rows: group headings and outcome rows, in report order. */
static const char *const outcome_group[] = {
    NULL, "", "", "(三)不予公开", "(三)不予公开", "(三)不予公开", "(三)不予公开", "(三)不予公开",
    "(三)不予公开", "(三)不予公开", "(三)不予公开", "(四)无法提供", "(四)无法提供", "(四)无法提供",
    "(五)不予处理", "(五)不予处理", "(五)不予处理", "(五)不予处理", "(五)不予处理", "(六)其他处理",
    "(六)其他处理", "(六)其他处理"};
static const char *const outcome_label[] = {
    NULL,
    "(一)予以公开",
    "(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
    "1.本机关不掌握相关政府信息",
    "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他"};

int render_parse_format(const char *s)
{
    static const char *const f[] = {"json", "csv", "md", "text"};
    for (int i = 0; i < 4; i++)
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
    default: return "text/plain; charset=utf-8";
    }
}

/* ---- one application row of the template ---- */

struct app_row {
    const char *key;
    char label[200];
    const char *group;   /* heading printed above, for text/md/csv */
    int64_t v[7];
};

/* Rows of section 三 for r's template, in report order; returns the count. */
static int app_rows(const struct report *r, struct app_row *rows)
{
    int n = 0;
#define ROW(k, lab, grp, src)                                                         \
    do {                                                                              \
        rows[n].key = (k);                                                            \
        snprintf(rows[n].label, sizeof rows[n].label, "%s", (lab));                   \
        rows[n].group = (grp);                                                        \
        int64_t tot = 0;                                                              \
        for (int c_ = 0; c_ < N_COLS; c_++)                                           \
            tot += rows[n].v[c_] = (src)[c_];                                         \
        rows[n].v[N_COLS] = tot;                                                      \
        n++;                                                                          \
    } while (0)
    ROW("received", "一、本年新收政府信息公开申请数量", NULL, r->received);
    ROW("carried_over", "二、上年结转政府信息公开申请数量", NULL, r->carried_over);
    int last = r->template2021 ? N_OUTCOMES : OUTCOME_OTHER_NO_CORRECTION - 1;
    for (int o = 1; o <= last; o++) {
        const char *g = o == 1 ? "三、本年度办理结果" : NULL;
        const char *grp = outcome_group[o];
        char lab[200];
        if (*grp)
            snprintf(lab, sizeof lab, "%s %s", grp, outcome_label[o]);
        else
            snprintf(lab, sizeof lab, "%s", outcome_label[o]);
        ROW(ev_outcome_names[o], lab, g, r->outcome[o - 1]);
    }
    if (!r->template2021) {
        int64_t other[N_COLS];
        for (int c = 0; c < N_COLS; c++)
            other[c] = r->outcome[OUTCOME_OTHER_NO_CORRECTION - 1][c] +
                       r->outcome[OUTCOME_OTHER_FEE_UNPAID - 1][c] +
                       r->outcome[OUTCOME_OTHER_OTHER - 1][c];
        ROW("other", "(六)其他处理", NULL, other);
    }
    ROW("total_processed", "(七)总计", NULL, r->total_processed);
    ROW("carried_forward", "四、结转下年度继续办理", NULL, r->carried_forward);
#undef ROW
    return n;
}

/* ---- JSON ---- */

static void json_ints(struct buf *b, const int64_t *v, int n)
{
    buf_putc(b, '[');
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%lld", i ? ", " : "", (long long)v[i]);
    buf_putc(b, ']');
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
    buf_puts(b, "  \"active_disclosure\": {\n");
    static const char *const dk[] = {"rule", "normative"};
    for (int k = 0; k < 2; k++) {
        if (r->template2021)
            buf_printf(b, "    \"%s\": {\"issued\": %lld, \"repealed\": %lld, \"in_force\": %lld},\n",
                       dk[k], (long long)r->doc_issued[k], (long long)r->doc_repealed[k],
                       (long long)r->doc_in_force[k]);
        else
            buf_printf(b, "    \"%s\": {\"issued\": %lld, \"published\": %lld, \"total_published\": %lld},\n",
                       dk[k], (long long)r->doc_issued[k], (long long)r->doc_published[k],
                       (long long)r->doc_total_published[k]);
    }
    if (r->template2021) {
        static const int kinds[] = {ITEM_LICENSING, ITEM_PENALTY, ITEM_ENFORCEMENT};
        for (int i = 0; i < 3; i++)
            buf_printf(b, "    \"%s\": {\"decisions\": %lld},\n", ev_item_kind_names[kinds[i]],
                       (long long)r->decisions[kinds[i] - 1]);
        money_wan_yuan(r->fee_fen, money, sizeof money);
        buf_printf(b, "    \"fee\": {\"amount_wan_yuan\": \"%s\"}\n", money);
    } else {
        for (int k = ITEM_LICENSING; k <= ITEM_ENFORCEMENT; k++)
            buf_printf(b, "    \"%s\": {\"items_prev_year\": %lld, \"items_change\": %lld, \"decisions\": %lld},\n",
                       ev_item_kind_names[k], (long long)r->items_prev_year[k - 1],
                       (long long)r->items_change[k - 1], (long long)r->decisions[k - 1]);
        buf_printf(b, "    \"fee\": {\"items_prev_year\": %lld, \"items_change\": %lld},\n",
                   (long long)r->items_prev_year[ITEM_FEE - 1], (long long)r->items_change[ITEM_FEE - 1]);
        money_wan_yuan(r->procurement_fen, money, sizeof money);
        buf_printf(b, "    \"procurement\": {\"projects\": %lld, \"amount_wan_yuan\": \"%s\"}\n",
                   (long long)r->procurement_projects, money);
    }
    buf_puts(b, "  },\n  \"applications\": {\n    \"columns\": [");
    for (int c = 0; c <= N_COLS; c++)
        buf_printf(b, "%s\"%s\"", c ? ", " : "", col_keys[c]);
    buf_puts(b, "],\n    \"rows\": [\n");
    struct app_row rows[32];
    int n = app_rows(r, rows);
    for (int i = 0; i < n; i++) {
        buf_printf(b, "      {\"key\": \"%s\", \"label\": ", rows[i].key);
        buf_json_string(b, rows[i].label);
        buf_puts(b, ", \"values\": ");
        json_ints(b, rows[i].v, 7);
        buf_puts(b, i + 1 < n ? "},\n" : "}\n");
    }
    buf_puts(b, "    ]\n  },\n  \"reviews_litigation\": {\n");
    buf_puts(b, "    \"columns\": [\"upheld\", \"corrected\", \"other\", \"pending\", \"total\"],\n");
    static const char *const rk[] = {"review", "litigation_direct", "litigation_after_review"};
    for (int i = 0; i < 3; i++) {
        buf_printf(b, "    \"%s\": ", rk[i]);
        json_ints(b, r->cases[i], 5);
        buf_puts(b, ",\n");
    }
    buf_printf(b, "    \"case_rule\": \"%s\"\n  }\n}\n",
               r->case_rule == CASE_RULE_FILED ? "filed" : "handled");
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

static void row_ints(struct sheet_row *row, const char *label, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    snprintf(row->label, sizeof row->label, "%s", label);
    row->ncells = n;
    for (int i = 0; i < n; i++)
        snprintf(row->cell[i], sizeof row->cell[i], "%lld", (long long)va_arg(ap, int64_t));
    va_end(ap);
}

static void render_layout(const struct report *r, const char *name, enum render_format f,
                          struct buf *b)
{
    struct emitter e = {f, b, ""};
    struct sheet_row rows[32];
    char money[32];
    if (f == FORMAT_CSV)
        buf_puts(b, "section,table,row,cells\n");
    else
        buf_printf(b, "%s%s%d年政府信息公开工作年度报告%s\n", f == FORMAT_MD ? "# " : "",
                   name ? name : r->agency, r->year,
                   r->template2021 ? "" : "");
    heading(&e, "二、主动公开政府信息情况");
    if (!r->template2021) {
        const char *h1[] = {"信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"};
        row_ints(&rows[0], "规章", 3, r->doc_issued[0], r->doc_published[0], r->doc_total_published[0]);
        row_ints(&rows[1], "规范性文件", 3, r->doc_issued[1], r->doc_published[1], r->doc_total_published[1]);
        emit_table(&e, "第二十条第(一)项", h1, 4, rows, 2);
        const char *h5[] = {"信息内容", "上一年项目数量", "本年增/减", "处理决定数量"};
        row_ints(&rows[0], "行政许可", 3, r->items_prev_year[0], r->items_change[0], r->decisions[0]);
        row_ints(&rows[1], "其他对外管理服务事项", 3, r->items_prev_year[1], r->items_change[1], r->decisions[1]);
        emit_table(&e, "第二十条第(五)项", h5, 4, rows, 2);
        row_ints(&rows[0], "行政处罚", 3, r->items_prev_year[2], r->items_change[2], r->decisions[2]);
        row_ints(&rows[1], "行政强制", 3, r->items_prev_year[3], r->items_change[3], r->decisions[3]);
        emit_table(&e, "第二十条第(六)项", h5, 4, rows, 2);
        const char *h8[] = {"信息内容", "上一年项目数量", "本年增/减"};
        row_ints(&rows[0], "行政事业性收费", 2, r->items_prev_year[4], r->items_change[4]);
        emit_table(&e, "第二十条第(八)项", h8, 3, rows, 1);
        const char *h9[] = {"信息内容", "采购项目数量", "采购总金额(万元)"};
        row_ints(&rows[0], "政府集中采购", 1, r->procurement_projects);
        money_wan_yuan(r->procurement_fen, money, sizeof money);
        snprintf(rows[0].cell[1], sizeof rows[0].cell[1], "%s", money);
        rows[0].ncells = 2;
        emit_table(&e, "第二十条第(九)项", h9, 3, rows, 1);
    } else {
        const char *h1[] = {"信息内容", "本年制发件数", "本年废止件数", "现行有效件数"};
        row_ints(&rows[0], "规章", 3, r->doc_issued[0], r->doc_repealed[0], r->doc_in_force[0]);
        row_ints(&rows[1], "行政规范性文件", 3, r->doc_issued[1], r->doc_repealed[1], r->doc_in_force[1]);
        emit_table(&e, "第二十条第(一)项", h1, 4, rows, 2);
        const char *h5[] = {"信息内容", "本年处理决定数量"};
        row_ints(&rows[0], "行政许可", 1, r->decisions[0]);
        emit_table(&e, "第二十条第(五)项", h5, 2, rows, 1);
        row_ints(&rows[0], "行政处罚", 1, r->decisions[2]);
        row_ints(&rows[1], "行政强制", 1, r->decisions[3]);
        emit_table(&e, "第二十条第(六)项", h5, 2, rows, 2);
        const char *h8[] = {"信息内容", "本年收费金额(单位:万元)"};
        money_wan_yuan(r->fee_fen, money, sizeof money);
        snprintf(rows[0].label, sizeof rows[0].label, "行政事业性收费");
        snprintf(rows[0].cell[0], sizeof rows[0].cell[0], "%s", money);
        rows[0].ncells = 1;
        emit_table(&e, "第二十条第(八)项", h8, 2, rows, 1);
    }

    heading(&e, "三、收到和处理政府信息公开申请情况");
    struct app_row ar[32];
    int n = app_rows(r, ar);
    const char *hc[8] = {"申请人情况"};
    for (int c = 0; c < 7; c++)
        hc[c + 1] = col_labels[c];
    int k = 0;
    for (int i = 0; i < n; i++) {
        /* Text and Markdown print group headings as rows of their own, as the
         * official table does; each outcome row then carries its short label. */
        if (ar[i].group && f != FORMAT_CSV) {
            snprintf(rows[k].label, sizeof rows[k].label, "%s", ar[i].group);
            rows[k++].ncells = 0;
        }
        const char *lab = ar[i].label;
        if (f != FORMAT_CSV) {
            const char *sp = strchr(lab, ' ');
            int o = ev_lookup(ev_outcome_names, N_OUTCOME, ar[i].key);
            if (sp && o) {
                /* First row of a group: the group's own heading row comes first. */
                if (i == 0 || strncmp(ar[i - 1].label, lab, (size_t)(sp - lab)) != 0) {
                    snprintf(rows[k].label, sizeof rows[k].label, "%.*s", (int)(sp - lab), lab);
                    rows[k++].ncells = 0;
                }
                lab = sp + 1;
            }
        }
        snprintf(rows[k].label, sizeof rows[k].label, "%s", lab);
        rows[k].ncells = 7;
        for (int c = 0; c < 7; c++)
            snprintf(rows[k].cell[c], sizeof rows[k].cell[c], "%lld", (long long)ar[i].v[c]);
        k++;
    }
    emit_table(&e, "", hc, 8, rows, k);

    heading(&e, "四、政府信息公开行政复议、行政诉讼情况");
    const char *hr[] = {"", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"};
    static const char *const rl[] = {"行政复议", "行政诉讼 未经复议直接起诉", "行政诉讼 复议后起诉"};
    for (int i = 0; i < 3; i++)
        row_ints(&rows[i], rl[i], 5, r->cases[i][0], r->cases[i][1], r->cases[i][2], r->cases[i][3],
                 r->cases[i][4]);
    emit_table(&e, r->case_rule == CASE_RULE_FILED ? "按立案年度统计" : "按办理年度统计", hr, 6, rows, 3);
}

void render_report(const struct report *r, const char *name, enum render_format f, int64_t now_us,
                   struct buf *out)
{
    if (f == FORMAT_JSON)
        render_json(r, name, now_us, out);
    else
        render_layout(r, name, f, out);
}
