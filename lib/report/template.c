/* template — the official formats of the report's tables (see template.h). */
#include "template.h"

#include <string.h>

enum tmpl_form tmpl_of_year(int year)
{
    return year <= 2020 ? TMPL_2019 : TMPL_2021;
}

const char *tmpl_form_name(enum tmpl_form f)
{
    return f == TMPL_2021 ? "2021" : "2019";
}

int tmpl_index(enum tmpl_form f)
{
    return f == TMPL_2021;
}

const char *const tmpl_section[3] = {
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
};

const char *const tmpl_prose_section[3] = {
    "一、总体情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
};

const char *const tmpl_title_suffix = "政府信息公开工作年度报告";
const char *const tmpl_ad_corner = "信息内容";
const char *const tmpl_app_corner = "申请人情况";
const char *const tmpl_app_org_group = "法人或其他组织";

/* ---- section 二 ----------------------------------------------------------- */

#define B TMPL_BOTH
#define F19 TMPL_2019
#define F21 TMPL_2021

#define DOC_COLS                                                        \
    {{"issued", B, {"本年新制作数量", "本年制发件数"}, false, false},    \
     {"published", F19, {"本年新公开数量", NULL}, false, false},         \
     {"total_published", F19, {"对外公开总数量", NULL}, false, false},   \
     {"repealed", F21, {NULL, "本年废止件数"}, false, false},            \
     {"in_force", F21, {NULL, "现行有效件数"}, false, false}}
#define PREV_YEAR {"items_prev_year", F19, {"上一年项目数量", NULL}, false, false}
#define CHANGE {"items_change", F19, {"本年增/减", NULL}, false, true}
#define DECISIONS(f) {"decisions", f, {"处理决定数量", "本年处理决定数量"}, false, false}

const struct tmpl_ad_row tmpl_ad_rows[TMPL_AD_ROWS] = {
    {"rule", B, {"规章", "规章"}, "规章", TMPL_SUFFIX, "第二十条第(一)项", DOC_COLS},
    {"normative", B, {"规范性文件", "行政规范性文件"}, "规范性文件", TMPL_SUB, "第二十条第(一)项",
     DOC_COLS},
    {"licensing", B, {"行政许可", "行政许可"}, "行政许可", TMPL_SUB, "第二十条第(五)项",
     {PREV_YEAR, CHANGE, DECISIONS(B)}},
    {"other_service", F19, {"其他对外管理服务事项", NULL}, "其他对外管理服务", TMPL_SUB,
     "第二十条第(五)项", {PREV_YEAR, CHANGE, DECISIONS(F19)}},
    {"penalty", B, {"行政处罚", "行政处罚"}, "行政处罚", TMPL_SUB, "第二十条第(六)项",
     {PREV_YEAR, CHANGE, DECISIONS(B)}},
    {"enforcement", B, {"行政强制", "行政强制"}, "行政强制", TMPL_SUB, "第二十条第(六)项",
     {PREV_YEAR, CHANGE, DECISIONS(B)}},
    {"fee", B, {"行政事业性收费", "行政事业性收费"}, "行政事业性收费", TMPL_SUB, "第二十条第(八)项",
     {PREV_YEAR, CHANGE, {"amount_wan_yuan", F21, {NULL, "本年收费金额(单位:万元)"}, true, false}}},
    {"procurement", F19, {"政府集中采购", NULL}, "政府集中采购", TMPL_SUB, "第二十条第(九)项",
     {{"projects", F19, {"采购项目数量", NULL}, false, false},
      {"amount_wan_yuan", F19, {"采购总金额(万元)", NULL}, true, false}}},
};

/* ---- section 三 ----------------------------------------------------------- */

const struct tmpl_column tmpl_app_columns[TMPL_APP_COLS] = {
    {"natural_person", "自然人"},        {"commercial_enterprise", "商业企业"},
    {"research_institution", "科研机构"}, {"social_welfare_org", "社会公益组织"},
    {"legal_service_org", "法律服务机构"}, {"other_org", "其他"},
    {"total", "总计"},
};

#define OUT(key, code, group, label, match) \
    {key, B, TMPL_OUTCOME, TMPL_OTHER_NONE, code, NULL, group, label, match, TMPL_SUB}
#define WITHHELD "(三)不予公开"
#define UNAVAILABLE "(四)无法提供"
#define NOT_PROCESSED "(五)不予处理"
#define OTHER "(六)其他处理"

const struct tmpl_app_row tmpl_app_rows[TMPL_APP_ROWS] = {
    {"received", B, TMPL_RECEIVED, TMPL_OTHER_NONE, 0, NULL, NULL,
     "一、本年新收政府信息公开申请数量", "本年新收", TMPL_SUB},
    {"carried_over", B, TMPL_CARRIED_OVER, TMPL_OTHER_NONE, 0, NULL, NULL,
     "二、上年结转政府信息公开申请数量", "上年结转", TMPL_SUB},
    {"disclosed", B, TMPL_OUTCOME, TMPL_OTHER_NONE, 1, "三、本年度办理结果", NULL, "(一)予以公开",
     "予以公开", TMPL_SUB},
    OUT("partially_disclosed", 2, NULL, "(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
        "部分公开"),
    OUT("withheld.state_secret", 3, WITHHELD, "1.属于国家秘密", "国家秘密"),
    OUT("withheld.prohibited_by_law", 4, WITHHELD, "2.其他法律行政法规禁止公开", "禁止公开"),
    OUT("withheld.security_stability", 5, WITHHELD, "3.危及“三安全一稳定”", "安全一稳定"),
    OUT("withheld.third_party_rights", 6, WITHHELD, "4.保护第三方合法权益", "第三方合法权益"),
    OUT("withheld.internal_affairs", 7, WITHHELD, "5.属于三类内部事务信息", "内部事务"),
    OUT("withheld.process_information", 8, WITHHELD, "6.属于四类过程性信息", "过程性信息"),
    OUT("withheld.enforcement_case_file", 9, WITHHELD, "7.属于行政执法案卷", "执法案卷"),
    OUT("withheld.administrative_query", 10, WITHHELD, "8.属于行政查询事项", "查询事项"),
    OUT("unavailable.not_held", 11, UNAVAILABLE, "1.本机关不掌握相关政府信息", "不掌握"),
    OUT("unavailable.needs_creation", 12, UNAVAILABLE, "2.没有现成信息需要另行制作", "另行制作"),
    OUT("unavailable.still_unclear", 13, UNAVAILABLE, "3.补正后申请内容仍不明确", "仍不明确"),
    OUT("not_processed.petition_complaint", 14, NOT_PROCESSED, "1.信访举报投诉类申请",
        "信访举报投诉"),
    OUT("not_processed.duplicate", 15, NOT_PROCESSED, "2.重复申请", "重复申请"),
    OUT("not_processed.publication", 16, NOT_PROCESSED, "3.要求提供公开出版物", "公开出版物"),
    OUT("not_processed.excessive", 17, NOT_PROCESSED, "4.无正当理由大量反复申请", "大量反复申请"),
    OUT("not_processed.confirmation", 18, NOT_PROCESSED, "5.要求行政机关确认或重新出具已获取信息",
        "重新出具"),
    {"other", F19, TMPL_OUTCOME, TMPL_OTHER_SINGLE, 0, NULL, NULL, OTHER, "其他处理", TMPL_SUB},
    {"other.no_correction", F21, TMPL_OUTCOME, TMPL_OTHER_SPLIT, 19, NULL, OTHER,
     "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "逾期不补正", TMPL_SUB},
    {"other.fee_unpaid", F21, TMPL_OUTCOME, TMPL_OTHER_SPLIT, 20, NULL, OTHER,
     "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "缴纳费用",
     TMPL_SUB},
    {"other.other", F21, TMPL_OUTCOME, TMPL_OTHER_SPLIT, 21, NULL, OTHER, "3.其他", "其他",
     TMPL_SUFFIX},
    {"total_processed", B, TMPL_TOTAL, TMPL_OTHER_NONE, 0, NULL, NULL, "(七)总计", "总计", TMPL_SUB},
    {"carried_forward", B, TMPL_FORWARD, TMPL_OTHER_NONE, 0, NULL, NULL, "四、结转下年度继续办理",
     "结转下年度", TMPL_SUB},
};

/* ---- section 四 ----------------------------------------------------------- */

const struct tmpl_rl_row tmpl_rl_rows[TMPL_RL_ROWS] = {
    {"review", NULL, "行政复议", "行政复议", TMPL_SUFFIX},
    {"litigation_direct", "行政诉讼", "未经复议直接起诉", "直接起诉", TMPL_SUB},
    {"litigation_after_review", "行政诉讼", "复议后起诉", "复议后起诉", TMPL_SUB},
};

const struct tmpl_column tmpl_rl_columns[TMPL_RL_COLS] = {
    {"upheld", "结果维持"}, {"corrected", "结果纠正"}, {"other", "其他结果"},
    {"pending", "尚未审结"}, {"total", "总计"},
};

const char *const tmpl_case_rule_title[2] = {"按立案年度统计", "按办理年度统计"};

/* ---- lookups ---------------------------------------------------------------- */

const struct tmpl_ad_row *tmpl_ad_row(const char *key, unsigned form)
{
    for (size_t i = 0; i < TMPL_AD_ROWS; i++)
        if ((tmpl_ad_rows[i].form & form) && strcmp(tmpl_ad_rows[i].key, key) == 0)
            return &tmpl_ad_rows[i];
    return NULL;
}

const struct tmpl_ad_col *tmpl_ad_col(const struct tmpl_ad_row *row, const char *key,
                                      unsigned form)
{
    for (int c = 0; c < TMPL_AD_COLS && row->cols[c].key; c++)
        if ((row->cols[c].form & form) && strcmp(row->cols[c].key, key) == 0)
            return &row->cols[c];
    return NULL;
}

int tmpl_app_row_index(const char *key)
{
    for (size_t i = 0; i < TMPL_APP_ROWS; i++)
        if (strcmp(tmpl_app_rows[i].key, key) == 0)
            return (int)i;
    return -1;
}
