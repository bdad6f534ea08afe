/* test_reportimport — reading published report texts into the contract JSON.
 *
 * The seed (a traditional-character copy of a 2019 report, one table cell
 * per line) must give exactly the tables of the fixture expected-2019.json;
 * a simplified-character 2021 report in whitespace-separated rows is written
 * out below; blanks, annotations, money, template detection and every kind
 * of unreadable text are covered on variations of the two.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alloc.h"
#include "buf.h"
#include "reportcheck.h"
#include "reportimport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *shared_dir(void)
{
    const char *s = getenv("GONGKAI_SHARED");
    return s ? s : "../shared";
}

static char *seed_text(void)
{
    char *path = xasprintf("%s/seed/000_a8cdedea806683b6.txt", shared_dir());
    char *t = buf_read_file(path, NULL);
    if (!t)
        fail_msg("cannot open %s", path);
    free(path);
    return t;
}

/* Returns text with line no (1-based), which must read old, replaced by
 * repl (NULL deletes the line); frees text. */
static char *edit_line(char *text, int no, const char *old, const char *repl)
{
    char *start = text;
    for (int i = 1; i < no; i++) {
        start = strchr(start, '\n');
        assert_non_null(start);
        start++;
    }
    char *end = strchr(start, '\n');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    if (strlen(old) != len || strncmp(start, old, len) != 0)
        fail_msg("line %d is not \"%s\"", no, old);
    char *out;
    if (repl)
        out = xasprintf("%.*s%s%s", (int)(start - text), text, repl, end ? end : "");
    else
        out = xasprintf("%.*s%s", (int)(start - text), text, end ? end + 1 : "");
    free(text);
    return out;
}

/* 1-based number of the line holding needle. */
static int line_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    assert_non_null(p);
    int no = 1;
    for (const char *q = text; q < p; q++)
        no += *q == '\n';
    return no;
}

static json_t *parse(const char *text, const char *agency, int year)
{
    struct reportimport_options opt = {.agency = agency, .year = year};
    struct reportimport_error err = {0};
    json_t *r = reportimport_parse(text, strlen(text), &opt, &err);
    if (r == NULL)
        fail_msg("import failed: %s", err.message);
    assert_null(err.message);
    return r;
}

/* Expects the text to be rejected at line with a message containing what. */
static void parse_fails(const char *text, int line, const char *what)
{
    struct reportimport_error err = {0};
    json_t *r = reportimport_parse(text, strlen(text), NULL, &err);
    if (r != NULL) {
        json_decref(r);
        fail_msg("import accepted a text that should fail at line %d", line);
    }
    assert_non_null(err.message);
    if (err.line != line || strstr(err.message, what) == NULL)
        fail_msg("want line %d \"%s\", got %d: %s", line, what, err.line, err.message);
    char *prefix = xasprintf("line %d: ", line);
    assert_true(strncmp(err.message, prefix, strlen(prefix)) == 0);
    free(prefix);
    reportimport_error_clear(&err);
    assert_null(err.message);
}

/* Every key and value of want is in got, arrays element by element. */
static void assert_subset(json_t *want, json_t *got, const char *path)
{
    if (json_is_object(want)) {
        if (!json_is_object(got))
            fail_msg("%s: not an object", path);
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v) {
            char *sub = xasprintf("%s.%s", path, k);
            json_t *g = json_object_get(got, k);
            if (g == NULL)
                fail_msg("%s: missing", sub);
            assert_subset(v, g, sub);
            free(sub);
        }
    } else if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
            fail_msg("%s: array of %zu expected", path, json_array_size(want));
        size_t i;
        json_t *v;
        json_array_foreach(want, i, v) {
            char *sub = xasprintf("%s[%zu]", path, i);
            assert_subset(v, json_array_get(got, i), sub);
            free(sub);
        }
    } else if (!json_equal(want, got)) {
        char *w = json_dumps(want, JSON_ENCODE_ANY), *g = json_dumps(got, JSON_ENCODE_ANY);
        fail_msg("%s: want %s, got %s", path, w, g ? g : "(nothing)");
    }
}

static json_t *app_values(json_t *report, const char *key)
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

static json_t *ad_cell(json_t *report, const char *row, const char *col)
{
    return json_object_get(json_object_get(json_object_get(report, "active_disclosure"),
                                           row),
                           col);
}

static const char *note(json_t *report, const char *cell)
{
    return json_string_value(json_object_get(json_object_get(report, "notes"), cell));
}

static struct check_findings *check(json_t *report)
{
    return reportcheck_run(&report, 1);
}

static size_t count_rule(const struct check_findings *f, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        n += strcmp(f->items[i].rule, rule) == 0;
    return n;
}

/* ---- a 2021 report in simplified characters, whitespace-separated rows -- */

#define R21_HEAD                                                                     \
    "某某市某某局2022年政府信息公开工作年度报告\n"                                   \
    "一、总体情况\n"                                                                 \
    "（略）\n"

#define R21_SEC2                                                                     \
    "二、主动公开政府信息情况\n"                                                     \
    "第二十条第（一）项\n"                                                           \
    "信息内容 本年制发件数 本年废止件数 现行有效件数\n"                              \
    "规章 0 0 0\n"                                                                   \
    "行政规范性文件 5 1 42\n"                                                        \
    "第二十条第（五）项\n"                                                           \
    "信息内容 本年处理决定数量\n"                                                    \
    "行政许可 1,234\n"                                                               \
    "第二十条第（六）项\n"                                                           \
    "信息内容 本年处理决定数量\n"                                                    \
    "行政处罚 17（含不公开3件）\n"                                                   \
    "行政强制 —\n"                                                                   \
    "第二十条第（八）项\n"                                                           \
    "信息内容 本年收费金额（单位：万元）\n"                                          \
    "行政事业性收费 12.5\n"

#define S2_2019                                                                      \
    "二、主动公开政府信息情况\n"                                                     \
    "| 第二十条第（一）项 | | | |\n"                                                  \
    "| 信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |\n"               \
    "|---|:---:|---:|---|\n"                                                         \
    "| 规章 | 0 | 0 | 10 |\n"                                                        \
    "| 规范性文件 | 3 | 3 | 39 |\n"                                                  \
    "| 信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |\n"                     \
    "| 行政许可 | 6 | 2 | 590（办结数） |\n"                                        \
    "| 其他对外管理服务事项 | 2 | 0 | 8 |\n"                                         \
    "| 行政处罚 | 31 | -2 | 6 |\n"                                                   \
    "| 行政强制 | 0 | 0 | 0 |\n"                                                     \
    "| 行政事业性收费 | 0 | 0 |\n"                                                   \
    "| 信息内容 | 采购项目数量 | 采购总金额（万元） |\n"                             \
    "| 政府集中采购 | 28 | 1,234.567 |\n"

#define R21_SEC3                                                                     \
    "三、收到和处理政府信息公开申请情况\n"                                           \
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\n"         \
    "申请人情况 自然人 法人或其他组织 总计\n"                                        \
    "商业企业 科研机构 社会公益组织 法律服务机构 其他\n"                             \
    "一、本年新收政府信息公开申请数量 10 2 0 0 1 0 13\n"                             \
    "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1\n"                               \
    "三、本年度办理结果\n"                                                           \
    "（一）予以公开 4 1 0 0 0 0 5\n"                                                 \
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 1 0 0 0 0 0 1\n"       \
    "（三）不予公开 1.属于国家秘密 0 0 0 0 0 0 0\n"                                  \
    "2.其他法律行政法规禁止公开 0 0 0 0 0 0 0\n"                                     \
    "3.危及“三安全一稳定” 0 0 0 0 0 0 0\n"                                           \
    "4.保护第三方合法权益 0 0 0 0 0 0 0\n"                                           \
    "5.属于三类内部事务信息 0 0 0 0 0 0 0\n"                                         \
    "6.属于四类过程性信息 1 0 0 0 0 0 1\n"                                           \
    "7.属于行政执法案卷 0 0 0 0 0 0 0\n"                                             \
    "8.属于行政查询事项 0 0 0 0 0 0 0\n"                                             \
    "（四）无法提供 1.本机关不掌握相关政府信息 3 1 0 0 1 0 5\n"                      \
    "2.没有现成信息需要另行制作 0 0 0 0 0 0 0\n"                                     \
    "3.补正后申请内容仍不明确 0 0 0 0 0 0 0\n"                                       \
    "（五）不予处理 1.信访举报投诉类申请 0 0 0 0 0 0 0\n"                            \
    "2.重复申请 1 0 0 0 0 0 1\n"                                                     \
    "3.要求提供公开出版物 0 0 0 0 0 0 0\n"                                           \
    "4.无正当理由大量反复申请 0 0 0 0 0 0 0\n"                                       \
    "5.要求行政机关确认或重新出具已获取信息 0 0 0 0 0 0 0\n"                         \
    "（六）其他处理\n"                                                               \
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 0 0 0 0 0 0 0\n" \
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 0 0 0 0 0 0 0\n" \
    "3.其他 1 0 0 0 0 0 1\n"                                                         \
    "（七）总计 11 2 0 0 1 0 14\n"                                                   \
    "四、结转下年度继续办理 0 0 0 0 0 0 0\n"

#define R21_SEC4                                                                     \
    "四、政府信息公开行政复议、行政诉讼情况\n"                                       \
    "行政复议 行政诉讼\n"                                                            \
    "结果维持 结果纠正 其他结果 尚未审结 总计 未经复议直接起诉 复议后起诉\n"         \
    "结果维持 结果纠正 其他结果 尚未审结 总计 结果维持 结果纠正 其他结果 尚未审结 总计\n" \
    "1 0 0 1 2 0 0 0 0 0\n"                                                          \
    "0 0 0 0 0\n"                                                                    \
    "五、存在的主要问题及改进情况\n"                                                 \
    "（一）略\n"

/* Section 四 transposed, a labelled row per kind of case, tab-separated (as
 * some agencies print it, and as `gongkai report --format text` does); the
 * empty field at the end of the last row is a blank cell. */
#define R21_SEC4_BY_KIND                                                             \
    "四、政府信息公开行政复议、行政诉讼情况\n"                                       \
    "\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n"                             \
    "行政复议\t1\t0\t0\t1\t2\n"                                                     \
    "行政诉讼 未经复议直接起诉\t0\t1\t0\t0\t1\n"                                     \
    "行政诉讼 复议后起诉\t0\t0\t0\t0\t\n"                                             \
    "五、存在的主要问题及改进情况\n"

static const char r2021[] = R21_HEAD R21_SEC2 R21_SEC3 R21_SEC4;

/* ---- tests -------------------------------------------------------------- */

static void test_seed_gives_fixture(void **state)
{
    (void)state;
    char *text = seed_text();
    json_t *got = parse(text, "gz-sthjt", 0);
    char *path = xasprintf("%s/fixtures/guizhou-eco-2019/expected-2019.json", shared_dir());
    json_t *want = json_load_file(path, 0, NULL);
    assert_non_null(want);
    assert_subset(want, got, "report");

    /* the annotations beside the numbers, and what the title says */
    assert_string_equal(note(got, "active_disclosure.licensing.decisions"), "办结数");
    assert_string_equal(note(got, "active_disclosure.penalty.decisions"), "省本级");
    assert_string_equal(note(got, "active_disclosure.enforcement.decisions"), "省本级");
    assert_int_equal(json_object_size(json_object_get(got, "notes")), 3);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "貴州省生態環境廳");
    json_t *first = json_array_get(
        json_object_get(json_object_get(got, "applications"), "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "label")),
                        "一、本年新收政府信息公开申请数量");

    struct check_findings *f = check(got);
    if (f->count != 0)
        reportcheck_render_text(stderr, f, NULL);
    assert_int_equal(f->errors, 0);
    assert_int_equal(f->warnings, 0);
    reportcheck_free(f);

    /* without --agency the code is unknown; --year overrides the title */
    json_decref(got);
    got = parse(text, NULL, 2018);
    assert_string_equal(json_string_value(json_object_get(got, "agency")), "unknown");
    assert_int_equal(json_integer_value(json_object_get(got, "year")), 2018);
    json_decref(got);
    json_decref(want);
    free(path);
    free(text);
}

static void test_normalize(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"規範性檔案", "规范性文件"},
        {"本年新製作數量", "本年新制作数量"},
        {"二、上年結轉政府信息公開申請數量", "二、上年结转政府信息公开申请数量"},
        {"行政複議", "行政复议"},
        {"尚未審結", "尚未审结"},
        {"4.無正當理由大量反覆申請", "4.无正当理由大量反复申请"},
        {"（一）予以公開", "(一)予以公开"},
        {"５９０（辦結數）", "590(办结数)"},
        {"採購總金額（萬元）", "采购总金额(万元)"},
        {"其它\xe3\x80\x80結果", "其他 结果"},  /* ideographic space */
        {"\xef\xbb\xbf規章", "规章"},          /* BOM */
        {"a\xff" "b", "a\xef\xbf\xbd" "b"},    /* invalid UTF-8 */
        {"\xe8\xa6", "\xef\xbf\xbd\xef\xbf\xbd"}, /* truncated sequence */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = reportimport_normalize(cases[i][0], strlen(cases[i][0]));
        assert_string_equal(got, cases[i][1]);
        free(got);
    }
}

static void test_rows_2021(void **state)
{
    (void)state;
    json_t *r = parse(r2021, "test-2021", 0);
    assert_string_equal(json_string_value(json_object_get(r, "template")), "2021");
    assert_int_equal(json_integer_value(json_object_get(r, "year")), 2022);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "某某市某某局");

    json_t *want = json_loads(
        "{\"rule\": {\"issued\": 0, \"repealed\": 0, \"in_force\": 0},"
        " \"normative\": {\"issued\": 5, \"repealed\": 1, \"in_force\": 42},"
        " \"licensing\": {\"decisions\": 1234}, \"penalty\": {\"decisions\": 17},"
        " \"enforcement\": {\"decisions\": null},"
        " \"fee\": {\"amount_wan_yuan\": \"12.5\"}}", /* as printed (issue 13) */
        0, NULL);
    assert_true(json_equal(want, json_object_get(r, "active_disclosure")));
    json_decref(want);
    assert_string_equal(note(r, "active_disclosure.penalty.decisions"), "含不公开3件");

    json_t *rows = json_object_get(json_object_get(r, "applications"), "rows");
    assert_int_equal(json_array_size(rows), 25);
    static const char *const tail[] = {"other.no_correction", "other.fee_unpaid",
                                       "other.other", "total_processed",
                                       "carried_forward"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(rows, 20 + i), "key")),
            tail[i]);
    want = json_loads("[3, 1, 0, 0, 1, 0, 5]", 0, NULL);
    assert_true(json_equal(want, app_values(r, "unavailable.not_held")));
    json_decref(want);

    want = json_loads("{\"columns\": [\"upheld\", \"corrected\", \"other\", \"pending\","
                      " \"total\"], \"review\": [1, 0, 0, 1, 2],"
                      " \"litigation_direct\": [0, 0, 0, 0, 0],"
                      " \"litigation_after_review\": [0, 0, 0, 0, 0],"
                      " \"case_rule\": \"filed\"}",
                      0, NULL);
    assert_true(json_equal(want, json_object_get(r, "reviews_litigation")));
    json_decref(want);

    struct check_findings *f = check(r);
    assert_int_equal(f->errors, 0);
    assert_int_equal(f->warnings, 1); /* the blank 行政强制 */
    assert_string_equal(f->items[0].rule, "blank_cell");
    assert_string_equal(f->items[0].cell, "active_disclosure.enforcement.decisions");
    reportcheck_free(f);
    json_decref(r);
}

static void test_reviews_by_kind(void **state)
{
    (void)state;
    static const char text[] = R21_HEAD R21_SEC2 R21_SEC3 R21_SEC4_BY_KIND;
    json_t *r = parse(text, NULL, 0);
    json_t *want = json_loads("{\"columns\": [\"upheld\", \"corrected\", \"other\","
                              " \"pending\", \"total\"], \"review\": [1, 0, 0, 1, 2],"
                              " \"litigation_direct\": [0, 1, 0, 0, 1],"
                              " \"litigation_after_review\": [0, 0, 0, 0, null],"
                              " \"case_rule\": \"filed\"}",
                              0, NULL);
    assert_true(json_equal(want, json_object_get(r, "reviews_litigation")));
    json_decref(want);
    json_decref(r);

    /* without the last tab, the row is one cell short */
    char *t = xstrdup(text);
    char *tab = strstr(t, "复议后起诉\t0\t0\t0\t0\t") + strlen("复议后起诉\t0\t0\t0\t0");
    *tab = '\n';
    parse_fails(t, line_of(t, "复议后起诉"), "复议后起诉: 4 values, expected 5");
    free(t);
}

/* Copied from a browser, table cells are separated by single tabs. */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/* A row whose label was mistyped in the published report (a real one:
 * "2.其他法律行政止公开", issue 13): read where the official row belongs, its
 * label unlike no other row's, with a note naming the line. A label that is
 * not like the official one at all is still an error naming the row. */
static void test_label_typo(void **state)
{
    (void)state;
    char *t = replace(r2021, "2.其他法律行政法规禁止公开 0 0 0 0 0 0 0",
                      "2.其他法律行政止公开 0 0 1 0 0 0 1");
    json_t *r = parse(t, NULL, 0);
    json_t *want = json_loads("[0, 0, 1, 0, 0, 0, 1]", 0, NULL);
    assert_true(json_equal(want, app_values(r, "withheld.prohibited_by_law")));
    json_decref(want);
    const char *n = note(r, "applications.withheld.prohibited_by_law.label");
    assert_non_null(n);
    assert_non_null(strstr(n, "\"2.其他法律行政止公开\" taken as \"2.其他法律行政法规禁止公开\""));
    assert_non_null(strstr(n, "line "));
    json_decref(r);
    free(t);

    t = replace(r2021, "2.其他法律行政法规禁止公开 0 0 0 0 0 0 0", "2.其他情形 0 0 0 0 0 0 0");
    struct reportimport_error err = {0};
    assert_null(reportimport_parse(t, strlen(t), NULL, &err));
    assert_non_null(strstr(err.message, "no row 禁止公开"));
    reportimport_error_clear(&err);
    free(t);
}

/* Section 二 as section 三: a row label with a typo or a word left out is
 * taken when it is like the official one (a note names the line); a row
 * whose label is unlike it stays an error. */
static void test_label_typo_active(void **state)
{
    (void)state;
    char *t = replace(r2021, "行政规范性文件 5 1 42", "行政规范文件 5 1 42");
    json_t *r = parse(t, NULL, 0);
    json_t *ad = json_object_get(r, "active_disclosure");
    json_t *row = json_object_get(ad, "normative");
    assert_non_null(row);
    assert_int_equal(json_integer_value(json_object_get(row, "issued")), 5);
    const char *n = note(r, "active_disclosure.normative.label");
    assert_non_null(n);
    assert_non_null(strstr(n, "\"行政规范文件\" taken as \"行政规范性文件\""));
    json_decref(r);
    free(t);

    t = replace(r2021, "行政许可 1,234", "其他事项 1,234");
    struct reportimport_error err = {0};
    assert_null(reportimport_parse(t, strlen(t), NULL, &err));
    assert_non_null(strstr(err.message, "行政许可"));
    reportimport_error_clear(&err);
    free(t);
}

/* Headings numbered otherwise (a report without 一、总体情况 numbers its
 * tables 一, 二, 三): read as 二, 三, 四, with a note; the tables are the
 * same, and the next heading (四) still ends section 四. */
static void test_renumbered_headings(void **state)
{
    (void)state;
    json_t *official = parse(r2021, NULL, 0);
    char *t1 = replace(r2021, "一、总体情况", "总体情况");
    char *t2 = replace(t1, "二、主动公开政府信息情况", "一、主动公开政府信息情况");
    char *t3 = replace(t2, "三、收到和处理政府信息公开申请情况", "二、收到和处理政府信息公开申请情况");
    char *t4 = replace(t3, "四、政府信息公开行政复议、行政诉讼情况", "三、政府信息公开行政复议、行政诉讼情况");
    char *t5 = replace(t4, "五、存在的主要问题及改进情况", "四、存在的主要问题及改进情况");
    json_t *r = parse(t5, NULL, 0);
    const char *n = note(r, "headings");
    assert_non_null(n);
    assert_non_null(strstr(n, "sections numbered 一, 二, 三 (the official 二, 三, 四)"));
    const char *const parts[] = {"active_disclosure", "applications", "reviews_litigation"};
    for (size_t i = 0; i < 3; i++)
        assert_true(json_equal(json_object_get(official, parts[i]), json_object_get(r, parts[i])));
    json_decref(r);
    json_decref(official);
    free(t1), free(t2), free(t3), free(t4), free(t5);
}

/* A province's extra row (here a subtotal under 本年新收) is not a row of
 * the official table: the tables are the same, and the row is kept as a
 * note naming its line, never counted or dropped in silence. The official
 * texts give no such note. */
static void test_extra_row_noted(void **state)
{
    (void)state;
    json_t *official = parse(r2021, NULL, 0);
    const char *key = NULL;
    json_t *v;
    json_object_foreach(json_object_get(official, "notes"), key, v)
        assert_int_not_equal(strncmp(key, "extra_row.", 10), 0);
    char *t = replace(r2021, "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1",
                      "其中:网上申请 5 0 0 0 0 0 5\n二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1");
    json_t *r = parse(t, NULL, 0);
    const char *const parts[] = {"active_disclosure", "applications", "reviews_litigation"};
    for (size_t i = 0; i < 3; i++)
        assert_true(json_equal(json_object_get(official, parts[i]), json_object_get(r, parts[i])));
    int extra = 0;
    json_object_foreach(json_object_get(r, "notes"), key, v) {
        if (strncmp(key, "extra_row.line_", 15) == 0) {
            extra++;
            assert_non_null(strstr(json_string_value(v), "section 三: \"其中:网上申请 5 0 0 0 0 0 5\""));
        }
    }
    assert_int_equal(extra, 1);
    json_decref(r);
    json_decref(official);
    free(t);
}

static void test_tab_separated(void **state)
{
    (void)state;
    char *t1 = replace(r2021, "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1",
                       "二、上年结转政府信息公开申请数量\t1\t\t0\t0\t0\t0\t1\t");
    char *t2 = replace(t1, "规章 0 0 0", "规章\t\t\t");
    char *t3 = replace(t2, "申请人情况 自然人 法人或其他组织 总计",
                       "\t申请人情况\t自然人\t法人或其他组织\t\t\t\t\t总计");
    json_t *r = parse(t3, NULL, 0);
    json_t *want = json_loads("[1, null, 0, 0, 0, 0, 1]", 0, NULL);
    assert_true(json_equal(want, app_values(r, "carried_over")));
    json_decref(want);
    want = json_loads("{\"issued\": null, \"repealed\": null, \"in_force\": null}", 0,
                      NULL);
    assert_true(json_equal(want, json_object_get(json_object_get(r, "active_disclosure"),
                                                 "rule")));
    json_decref(want);
    json_decref(r);
    free(t1);
    free(t2);
    free(t3);
}

static void test_blanks_one_cell_per_line(void **state)
{
    (void)state;
    char *text = seed_text();
    text = edit_line(text, 57, "590(辦結數)", "—");  /* a printed dash */
    text = edit_line(text, 111, "59", "");           /* an empty cell */
    text = edit_line(text, 283, "58", "");
    text = edit_line(text, 316, "1", "");            /* section 四 total */
    json_t *r = parse(text, "gz-sthjt", 0);
    assert_true(json_is_null(ad_cell(r, "licensing", "decisions")));
    assert_null(note(r, "active_disclosure.licensing.decisions"));
    assert_true(json_is_null(json_array_get(app_values(r, "received"), 6)));
    assert_true(json_is_null(json_array_get(app_values(r, "total_processed"), 6)));
    assert_int_equal(json_integer_value(json_array_get(app_values(r, "received"), 5)), 1);
    json_t *review = json_object_get(json_object_get(r, "reviews_litigation"), "review");
    assert_true(json_is_null(json_array_get(review, 4)));
    assert_int_equal(json_integer_value(json_array_get(review, 1)), 1);

    /* blank totals but consistent numbers: warnings, no error */
    struct check_findings *f = check(r);
    assert_int_equal(f->errors, 0);
    assert_int_equal(count_rule(f, "blank_cell"), 4);
    reportcheck_free(f);
    json_decref(r);
    free(text);
}

/* An amount printed in 元, the unit in the cell, under a 万元 heading
 * (issue 13): shifted four places to 万元 exactly, no float, and noted. */
static void test_money_in_yuan(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"75394432.52元", "7539.443252"}, {"251000元", "25.1"}, {"9元", "0.0009"}, {"12.5万元", "12.5"},
    };
    /* The unit in the column's heading: 本年收费金额（单位：元）. */
    {
        const char *h = "信息内容 本年收费金额（单位：万元）\n行政事业性收费 12.5\n";
        const char *at = strstr(r2021, h);
        assert_non_null(at);
        char *text = xasprintf("%.*s信息内容 本年收费金额（单位：元）\n行政事业性收费 125000\n%s", (int)(at - r2021), r2021,
                               at + strlen(h));
        json_t *r = parse(text, "yuan-head", 0);
        assert_string_equal(json_string_value(ad_cell(r, "fee", "amount_wan_yuan")), "12.5");
        assert_string_equal(note(r, "active_disclosure.fee.amount_wan_yuan"), "printed 125000");
        json_decref(r);
        free(text);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *at = strstr(r2021, "行政事业性收费 12.5\n");
        assert_non_null(at);
        char *text = xasprintf("%.*s行政事业性收费 %s\n%s", (int)(at - r2021), r2021, cases[i][0],
                               at + strlen("行政事业性收费 12.5\n"));
        json_t *r = parse(text, "yuan", 0);
        assert_string_equal(json_string_value(ad_cell(r, "fee", "amount_wan_yuan")), cases[i][1]);
        if (strstr(cases[i][0], "万元") == NULL) {
            char *want = xasprintf("printed %s", cases[i][0]);
            assert_string_equal(note(r, "active_disclosure.fee.amount_wan_yuan"), want);
            free(want);
        }
        json_decref(r);
        free(text);
    }
}

/* The title as PDFs and pages print it (issue 13): "2022 年" with spaces,
 * wrapped over two lines, or the name on a line of its own. */
/* A text browser's dump draws the table (issue 13): borders of box-drawing
 * characters around and between the cells read as nothing. */
static void test_box_drawing(void **state)
{
    (void)state;
    struct buf b = {0};
    for (const char *p = r2021; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (memchr(p, ' ', n) && p[0] != '#') {
            buf_puts(&b, "├──────┼──────┤\n│");
            for (size_t i = 0; i < n; i++) {
                if (p[i] == ' ')
                    buf_puts(&b, "│");
                else
                    buf_putc(&b, p[i]);
            }
            buf_puts(&b, "│\n");
        } else {
            buf_append(&b, p, n);
            buf_putc(&b, '\n');
        }
        p += n + (nl != NULL);
    }
    buf_putc(&b, '\0');
    json_t *want = parse(r2021, "t", 0), *got = parse(b.data, "t", 0);
    assert_true(json_equal(json_object_get(want, "applications"), json_object_get(got, "applications")));
    assert_true(json_equal(json_object_get(want, "active_disclosure"), json_object_get(got, "active_disclosure")));
    assert_true(json_equal(json_object_get(want, "reviews_litigation"), json_object_get(got, "reviews_litigation")));
    json_decref(want);
    json_decref(got);
    buf_free(&b);
}

static void test_title_forms(void **state)
{
    (void)state;
    static const char *const titles[][2] = {
        {"某某市某某局 2022 年政府信息公开工作年度报告\n", "某某市某某局"},
        {"某某市某某局2022年政府信息公开工\n作年度报告\n", "某某市某某局"},
        {"某某市某某局2022年政府信息\n公开工作年度\n报告\n", "某某市某某局"},
        {"某某市某某局\n2022年政府信息公开工作年度报告\n", NULL},
    };
    const char *head = "某某市某某局2022年政府信息公开工作年度报告\n";
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
        char *text = xasprintf("%s%s", titles[i][0], r2021 + strlen(head));
        json_t *r = parse(text, "t", 0);
        assert_int_equal(json_integer_value(json_object_get(r, "year")), 2022);
        const char *name = json_string_value(json_object_get(r, "name"));
        if (titles[i][1])
            assert_string_equal(name, titles[i][1]);
        json_decref(r);
        free(text);
    }
}

static void test_money_and_numbers(void **state)
{
    (void)state;
    /* a 2021 report whose section 二 keeps the 2019 table, as a Markdown table */
    static const char mixed[] = R21_HEAD S2_2019 R21_SEC3 R21_SEC4;
    json_t *r = parse(mixed, NULL, 0);
    /* Kept as printed (issue 13): every decimal, the separator dropped. */
    assert_string_equal(json_string_value(ad_cell(r, "procurement", "amount_wan_yuan")),
                        "1234.567");
    assert_int_equal(json_integer_value(ad_cell(r, "penalty", "items_change")), -2);
    assert_int_equal(json_integer_value(ad_cell(r, "licensing", "decisions")), 590);
    assert_string_equal(note(r, "active_disclosure.licensing.decisions"), "办结数");
    /* section 三 has the 2021 rows, so the report says 2021: the checker
     * then points at the 2019 columns of section 二 */
    assert_string_equal(json_string_value(json_object_get(r, "template")), "2021");
    struct check_findings *f = check(r);
    assert_int_equal(f->errors, 0);
    assert_true(count_rule(f, "template_2019_row") >= 3);
    reportcheck_free(f);
    json_decref(r);
}

static void test_template_from_text(void **state)
{
    (void)state;
    /* the seed retitled 2021: a 2021 report in the 2019 form throughout */
    char *text = seed_text();
    text = edit_line(text, 1, "貴州省生態環境廳2019年政府信息公開工作年度報告",
                     "貴州省生態環境廳2021年政府信息公開工作年度報告");
    json_t *r = parse(text, "gz-sthjt", 0);
    assert_string_equal(json_string_value(json_object_get(r, "template")), "2019");
    assert_true(json_is_object(json_object_get(json_object_get(r, "active_disclosure"),
                                               "other_service")));
    struct check_findings *f = check(r);
    assert_int_equal(f->errors, 0);
    assert_int_equal(count_rule(f, "template_year"), 1);
    reportcheck_free(f);
    json_decref(r);
    free(text);

    /* years in Chinese numerals */
    char *t2 = xasprintf("某局二〇二二年政府信息公开工作年度报告\n%s",
                         strchr(r2021, '\n') + 1);
    r = parse(t2, NULL, 0);
    assert_int_equal(json_integer_value(json_object_get(r, "year")), 2022);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "某局");
    json_decref(r);
    free(t2);
}

static void test_unreadable_texts(void **state)
{
    (void)state;
    char *text = seed_text();

    /* a word where a number belongs */
    char *t = edit_line(xstrdup(text), 57, "590(辦結數)", "五百九十");
    parse_fails(t, 57, "五百九十");
    free(t);

    /* a fraction in a count */
    t = edit_line(xstrdup(text), 111, "59", "5.5");
    parse_fails(t, 111, "not a whole number");
    free(t);

    /* one value too many: the table would be misaligned */
    t = edit_line(xstrdup(text), 111, "59", "59\n7");
    parse_fails(t, 112, "more than 7 values");
    free(t);

    /* a missing value in a one-cell-per-line row */
    t = edit_line(xstrdup(text), 111, "59", NULL);
    parse_fails(t, 111, "where value 7 of 7 was expected");
    free(t);

    /* section 四 cut short */
    t = edit_line(xstrdup(text), 326, "0", NULL);
    parse_fails(t, 326, "14 values, expected 15");
    free(t);

    /* no section 四 heading at all */
    t = edit_line(xstrdup(text), 292, "四、政府信息公開行政複議和行政訴訟情況", "行政複議");
    parse_fails(t, line_of(t, "聯絡我們"), "section 四"); /* the last line */
    free(t);

    /* no year in the title, unless one is given */
    t = edit_line(xstrdup(text), 1, "貴州省生態環境廳2019年政府信息公開工作年度報告",
                  "貴州省生態環境廳政府信息公開工作年度報告");
    parse_fails(t, 1, "no year");
    json_decref(parse(t, NULL, 2019));
    free(t);

    /* whitespace-separated rows: one value short, a number out of place,
     * an unknown template, a row that is not there */
    t = xstrdup(r2021);
    char *s = strstr(t, "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1");
    s[strlen("二、上年结转政府信息公开申请数量 1 0 0 0 0 0 ")] = ' '; /* drop the total */
    parse_fails(t, line_of(t, "二、上年结转"), "6 values, expected 7");
    free(t);

    t = xasprintf("%.*s99\n%s", (int)(strstr(r2021, "一、本年新收") - r2021), r2021,
                  strstr(r2021, "一、本年新收"));
    parse_fails(t, line_of(t, "99\n"), "number \"99\" where the row 本年新收");
    free(t);

    t = xasprintf("%.*s%s", (int)(strstr(r2021, "第二十条") - r2021), r2021,
                  strstr(r2021, "三、收到和处理"));
    parse_fails(t, line_of(t, "二、主动公开"), "neither the 2019 columns");
    free(t);

    t = xasprintf("%.*s%s", (int)(strstr(r2021, "行政许可") - r2021), r2021,
                  strstr(r2021, "第二十条第（六）项"));
    parse_fails(t, line_of(t, "行政规范性文件") + 1, "no row 行政许可");
    free(t);

    /* a 16-digit cell (issue 23): named, not "6 values, expected 7" */
    s = strstr(r2021, "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1");
    t = xasprintf("%.*s二、上年结转政府信息公开申请数量 1234567890123456 0 0 0 0 0 1%s",
                  (int)(s - r2021), r2021, s + strlen("二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1"));
    parse_fails(t, line_of(t, "二、上年结转"), "\"1234567890123456\" is a number of more than 12 digits");
    free(t);

    parse_fails("", 1, "section 二");
    parse_fails("\n\n\n", 3, "section 二");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_gives_fixture),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_rows_2021),
        cmocka_unit_test(test_reviews_by_kind),
        cmocka_unit_test(test_label_typo),
        cmocka_unit_test(test_label_typo_active),
        cmocka_unit_test(test_renumbered_headings),
        cmocka_unit_test(test_extra_row_noted),
        cmocka_unit_test(test_tab_separated),
        cmocka_unit_test(test_blanks_one_cell_per_line),
        cmocka_unit_test(test_money_and_numbers),
        cmocka_unit_test(test_money_in_yuan),
        cmocka_unit_test(test_title_forms),
        cmocka_unit_test(test_box_drawing),
        cmocka_unit_test(test_template_from_text),
        cmocka_unit_test(test_unreadable_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
