#!/usr/bin/env bash
# test_agg_fixture — issue 3, acceptance 1 and 5, with real processes, sockets and
# PostgreSQL: the Guizhou fixture through gongkai publish → intake → feed →
# aggregator; the reports over HTTP, over ZeroMQ (gongkai report) and in the SQL
# views equal expected-2019.json / expected-2020.json in every key and number;
# ?format=text shows the seed document's numbers under the official labels in
# simplified characters; csv and md; the 400s; an agency without events;
# /v1/agencies, /healthz, /metrics; gongkai verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agg.sh"

FIX=$GONGKAI_SHARED/fixtures/guizhou-eco-2019
W=$GONGKAI_WORK
[ -f "$GK_FIXTURE" ] || gk_fail "fixture missing: $GK_FIXTURE"

intake_start
aggregator_start
gk_match 'applied_seq=0' "$(grep 'aggregator ready' "$AGG_LOG")" "aggregator ready on an empty log"

OUT=$("$GK" publish "$GK_FIXTURE" 2>"$W/publish.err") || gk_fail "publish exited $?: $(cat "$W/publish.err")"
gk_eq "accepted 356, duplicate 5, rejected 0" "$OUT" "fixture published"
agg_wait_caught_up 60
gk_ok "aggregator caught up with the log"

# --- the JSON equals the expected files --------------------------------------------
for y in 2019 2020; do
    http_get "/v1/reports/gz-sthjt/$y"
    gk_eq 200 "$HTTP_STATUS" "GET /v1/reports/gz-sthjt/$y"
    gk_match '^application/json' "$HTTP_TYPE" "$y: JSON content type"
    cp "$HTTP_FILE" "$W/http-$y.json"
    D=$(agg_py subset "$FIX/expected-$y.json" "$W/http-$y.json") ||
        gk_fail "$y report differs from expected-$y.json:"$'\n'"$D"
    gk_ok "$y report equals expected-$y.json in every key and number (rows by key)"
    D=$(agg_py problems "$W/http-$y.json") || gk_fail "$y report arithmetic:"$'\n'"$D"
    gk_ok "$y report: balance, row and column sums, template shape hold"
    gk_eq "gz-sthjt|$y|2019|true|$((y + 1))-01-01T00:00:00+08:00|filed" \
        "$(jq -r '[.agency, (.year|tostring), .template, (.final|tostring), .as_of, .reviews_litigation.case_rule] | join("|")' "$HTTP_FILE")" \
        "$y: agency, year, template 2019, final, as_of, default case_rule filed"

    # Both case rules: the SQL views equal the HTTP JSON cell by cell.
    D=$(agg_py same-as-views "$W/http-$y.json") || gk_fail "$y: SQL views differ from HTTP:"$'\n'"$D"
    gk_ok "$y: report_applications, report_active_disclosure, report_reviews_litigation (filed) equal the HTTP JSON"
    http_get "/v1/reports/gz-sthjt/$y?case_rule=handled"
    gk_eq 200 "$HTTP_STATUS" "$y with case_rule=handled"
    gk_eq handled "$(jq -r .reviews_litigation.case_rule "$HTTP_FILE")" "$y: case_rule handled is reported"
    cp "$HTTP_FILE" "$W/http-$y-handled.json"
    D=$(agg_py same-as-views "$W/http-$y-handled.json") || gk_fail "$y handled: SQL views differ:"$'\n'"$D"
    gk_ok "$y: the views (case_rule handled) equal the HTTP JSON"
    D=$(agg_py problems "$W/http-$y-handled.json") || gk_fail "$y handled arithmetic:"$'\n'"$D"
    gk_ok "$y (handled): arithmetic holds"
done
# In the fixture every case is decided in its filing year or still open at the
# end of 2020, so both rules agree.
gk_eq "$(jq -c .reviews_litigation.review "$W/http-2019.json")" \
    "$(jq -c .reviews_litigation.review "$W/http-2019-handled.json")" "2019 review row: both case rules agree"
gk_eq "[0,0,0,1,1]" "$(jq -c .reviews_litigation.litigation_after_review "$W/http-2020-handled.json")" \
    "2020 lawsuit after review still pending at the end of 2020 (handled)"
http_get "/v1/reports/gz-sthjt/2021?case_rule=handled"
gk_eq "[0,0,0,1,1]" "$(jq -c .reviews_litigation.litigation_after_review "$HTTP_FILE")" \
    "handled: the open lawsuit is pending again at the end of 2021"
http_get "/v1/reports/gz-sthjt/2021"
gk_eq "[0,0,0,0,0]" "$(jq -c .reviews_litigation.litigation_after_review "$HTTP_FILE")" \
    "filed: the open lawsuit counts in 2020 only, not again in 2021"
gk_eq "2021" "$(jq -r .template "$HTTP_FILE")" "2021 uses the 2021 template"
D=$(agg_py problems "$HTTP_FILE") || gk_fail "2021 arithmetic:"$'\n'"$D"
gk_ok "2021 (2021 template): arithmetic and shape hold"

# --- the same numbers over ZeroMQ: gongkai report ------------------------------------
for y in 2019 2020; do
    "$GK" report --agency gz-sthjt --year "$y" --format json >"$W/cli-$y.json" 2>"$W/cli.err" ||
        gk_fail "gongkai report $y exited $?: $(cat "$W/cli.err")"
    D=$(agg_py subset "$FIX/expected-$y.json" "$W/cli-$y.json") ||
        gk_fail "gongkai report $y differs from expected-$y.json:"$'\n'"$D"
    gk_ok "gongkai report --format json $y equals expected-$y.json"
    gk_eq "$(jq -S . "$W/http-$y.json")" "$(jq -S . "$W/cli-$y.json")" \
        "gongkai report $y is the HTTP JSON, byte for byte after sorting keys"
done
http_get "/v1/reports/gz-sthjt/2019?format=text"
gk_eq "$(cat "$HTTP_FILE")" "$("$GK" report --agency gz-sthjt --year 2019)" \
    "gongkai report (default text) equals ?format=text"
RC=0
"$GK" report --agency GZ --year 2019 >/dev/null 2>"$W/cli.err" || RC=$?
gk_eq 1 "$RC" "gongkai report with a malformed agency exits 1"
gk_match 'bad_agency' "$(cat "$W/cli.err")" "... and says bad_agency"
RC=0
"$GK" report --agency gz-sthjt --year 1989 >/dev/null 2>"$W/cli.err" || RC=$?
gk_eq 1 "$RC" "gongkai report --year 1989 exits 1"
gk_match 'bad_year' "$(cat "$W/cli.err")" "... and says bad_year"

# --- text: the seed document's numbers under the official labels ---------------------
http_get "/v1/reports/gz-sthjt/2019?format=text"
gk_eq 200 "$HTTP_STATUS" "?format=text"
gk_match '^text/plain' "$HTTP_TYPE" "text: content type text/plain"
cp "$HTTP_FILE" "$W/text-2019.txt"
# From seed/000_a8cdedea806683b6.txt, in its order, in simplified characters.
T=$'\t'
cat >"$W/seed-lines.txt" <<EOF
二、主动公开政府信息情况
第二十条第(一)项
信息内容${T}本年新制作数量${T}本年新公开数量${T}对外公开总数量
规章${T}0${T}0${T}10
规范性文件${T}3${T}3${T}39
第二十条第(五)项
信息内容${T}上一年项目数量${T}本年增/减${T}处理决定数量
行政许可${T}6${T}2${T}590
其他对外管理服务事项${T}2${T}0${T}8
第二十条第(六)项
行政处罚${T}31${T}0${T}6
行政强制${T}0${T}0${T}0
第二十条第(八)项
信息内容${T}上一年项目数量${T}本年增/减
行政事业性收费${T}0${T}0
第二十条第(九)项
信息内容${T}采购项目数量${T}采购总金额(万元)
政府集中采购${T}28${T}6021.70
三、收到和处理政府信息公开申请情况
申请人情况${T}自然人${T}商业企业${T}科研机构${T}社会公益组织${T}法律服务机构${T}其他${T}总计
一、本年新收政府信息公开申请数量${T}52${T}2${T}4${T}0${T}0${T}1${T}59
二、上年结转政府信息公开申请数量${T}0${T}0${T}0${T}0${T}0${T}0${T}0
三、本年度办理结果
(一)予以公开${T}23${T}1${T}2${T}0${T}0${T}0${T}26
(二)部分公开(区分处理的,只计这一情形,不计其他情形)${T}8${T}0${T}1${T}0${T}0${T}1${T}10
(三)不予公开
1.属于国家秘密${T}0${T}0${T}0${T}0${T}0${T}0${T}0
2.其他法律行政法规禁止公开${T}0${T}0${T}0${T}0${T}0${T}0${T}0
3.危及“三安全一稳定”${T}0${T}0${T}0${T}0${T}0${T}0${T}0
4.保护第三方合法权益${T}0${T}0${T}0${T}0${T}0${T}0${T}0
5.属于三类内部事务信息${T}0${T}0${T}0${T}0${T}0${T}0${T}0
6.属于四类过程性信息${T}0${T}0${T}1${T}0${T}0${T}0${T}1
7.属于行政执法案卷${T}0${T}0${T}0${T}0${T}0${T}0${T}0
8.属于行政查询事项${T}0${T}0${T}0${T}0${T}0${T}0${T}0
(四)无法提供
1.本机关不掌握相关政府信息${T}15${T}1${T}0${T}0${T}0${T}0${T}16
2.没有现成信息需要另行制作${T}0${T}0${T}0${T}0${T}0${T}0${T}0
3.补正后申请内容仍不明确${T}0${T}0${T}0${T}0${T}0${T}0${T}0
(五)不予处理
1.信访举报投诉类申请${T}0${T}0${T}0${T}0${T}0${T}0${T}0
2.重复申请${T}0${T}0${T}0${T}0${T}0${T}0${T}0
3.要求提供公开出版物${T}0${T}0${T}0${T}0${T}0${T}0${T}0
4.无正当理由大量反复申请${T}0${T}0${T}0${T}0${T}0${T}0${T}0
5.要求行政机关确认或重新出具已获取信息${T}0${T}0${T}0${T}0${T}0${T}0${T}0
(六)其他处理${T}5${T}0${T}0${T}0${T}0${T}0${T}5
(七)总计${T}51${T}2${T}4${T}0${T}0${T}1${T}58
四、结转下年度继续办理${T}1${T}0${T}0${T}0${T}0${T}0${T}1
行政复议${T}0${T}1${T}0${T}0${T}1
行政诉讼 未经复议直接起诉${T}0${T}0${T}0${T}0${T}0
行政诉讼 复议后起诉${T}0${T}0${T}0${T}0${T}0
EOF
D=$(agg_py lines-in-order "$W/seed-lines.txt" "$W/text-2019.txt") ||
    gk_fail "?format=text does not show the seed document's tables:"$'\n'"$D"$'\n'"$(cat "$W/text-2019.txt")"
gk_ok "?format=text: every row of the seed document's three tables, same labels, same numbers, same order"
gk_match '结果维持	结果纠正	其他结果	尚未审结	总计' "$(cat "$W/text-2019.txt")" "text: section 四 column labels"
# Characters the seed document prints in traditional form must not appear.
TRAD='規範檔許處罰採購總計結轉開辦請數項議訟維糾審況資內製'
if grep -q "[$TRAD]" "$W/text-2019.txt"; then
    gk_fail "text has traditional characters: $(grep -o "[$TRAD]" "$W/text-2019.txt" | sort -u | tr -d '\n')"
fi
gk_ok "text: simplified characters only"

# --- csv and md --------------------------------------------------------------------------
http_get "/v1/reports/gz-sthjt/2019?format=csv"
gk_eq 200 "$HTTP_STATUS" "?format=csv"
gk_match '^text/csv' "$HTTP_TYPE" "csv: content type text/csv"
cp "$HTTP_FILE" "$W/2019.csv"
gk_match '^section,table,row,cells$' "$(head -1 "$W/2019.csv")" "csv: header line"
gk_match ',政府集中采购,采购项目数量=28,采购总金额\(万元\)=6021\.70$' "$HTTP_BODY" "csv: procurement 28 / 6021.70"
gk_match ',行政许可,上一年项目数量=6,本年增/减=2,处理决定数量=590$' "$HTTP_BODY" "csv: licensing 6 / 2 / 590"
gk_match ',一、本年新收政府信息公开申请数量,自然人=52,商业企业=2,科研机构=4,社会公益组织=0,法律服务机构=0,其他=1,总计=59$' \
    "$HTTP_BODY" "csv: received row"
gk_match ',\(七\)总计,自然人=51,商业企业=2,科研机构=4,社会公益组织=0,法律服务机构=0,其他=1,总计=58$' "$HTTP_BODY" "csv: total row"
gk_match ',行政复议,结果维持=0,结果纠正=1,其他结果=0,尚未审结=0,总计=1$' "$HTTP_BODY" "csv: review row"
/usr/bin/python3 - "$W/2019.csv" <<'EOF' || gk_fail "csv does not parse as CSV with 4 + cells fields"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
assert rows[0] == ["section", "table", "row", "cells"], rows[0]
assert len(rows) > 30, len(rows)
for r in rows[1:]:
    assert len(r) >= 4 and all("=" in c for c in r[3:]), r
EOF
gk_ok "csv parses: section, table, row, then label=value cells"

http_get "/v1/reports/gz-sthjt/2019?format=md"
gk_eq 200 "$HTTP_STATUS" "?format=md"
gk_match '^text/markdown' "$HTTP_TYPE" "md: content type text/markdown"
gk_match '^\| 政府集中采购 \| 28 \| 6021\.70 \|$' "$HTTP_BODY" "md: procurement row"
gk_match '^\| 规范性文件 \| 3 \| 3 \| 39 \|$' "$HTTP_BODY" "md: normative documents row"
gk_match '^\| 一、本年新收政府信息公开申请数量 \| 52 \| 2 \| 4 \| 0 \| 0 \| 1 \| 59 \|$' "$HTTP_BODY" "md: received row"
gk_match '^\| \(七\)总计 \| 51 \| 2 \| 4 \| 0 \| 0 \| 1 \| 58 \|$' "$HTTP_BODY" "md: total row"
gk_match '^\| 行政复议 \| 0 \| 1 \| 0 \| 0 \| 1 \|$' "$HTTP_BODY" "md: review row"

# --- 400 with a JSON error body ---------------------------------------------------------------
bad() { # PATH WHAT
    http_get "$1"
    gk_eq 400 "$HTTP_STATUS" "$2: 400"
    gk_match '^application/json' "$HTTP_TYPE" "$2: JSON error body"
    gk_eq true "$(jq -e 'has("error") and has("message") and (.error|type=="string") and (.message|type=="string") and (.message|length>0)' "$HTTP_FILE" 2>/dev/null || echo false)" \
        "$2: body is {\"error\": CODE, \"message\": TEXT}"
}
bad /v1/reports/GZ-STHJT/2019 "upper-case agency"
bad /v1/reports/-gz/2019 "agency starting with -"
bad "/v1/reports/gz%20sthjt/2019" "agency with a space"
bad "/v1/reports/$(printf 'a%.0s' $(seq 65))/2019" "65-character agency"
bad /v1/reports/gz-sthjt/1989 "year 1989"
bad /v1/reports/gz-sthjt/2101 "year 2101"
bad /v1/reports/gz-sthjt/abc "year abc"
bad /v1/reports/gz-sthjt/2019x "year 2019x"
bad "/v1/reports/gz-sthjt/2019?format=pdf" "format pdf"
bad "/v1/reports/gz-sthjt/2019?case_rule=decided" "case_rule decided"
http_get /v1/reports/GZ/2019
gk_eq bad_agency "$(jq -r .error "$HTTP_FILE")" "bad agency: error code bad_agency"
http_get /v1/reports/gz-sthjt/1989
gk_eq bad_year "$(jq -r .error "$HTTP_FILE")" "bad year: error code bad_year"
http_get /v1/reports/gz-sthjt/1990
gk_eq 200 "$HTTP_STATUS" "year 1990 (first allowed) is 200"
http_get /v1/reports/gz-sthjt/2100
gk_eq 200 "$HTTP_STATUS" "year 2100 (last allowed) is 200"
a64=$(printf 'a%.0s' $(seq 64))
http_get "/v1/reports/$a64/2019"
gk_eq 200 "$HTTP_STATUS" "64-character agency is 200"
http_get /v1/no-such-route
gk_eq 404 "$HTTP_STATUS" "unknown route: 404"

# --- no events: all zeros, the same shape ----------------------------------------------------
shape() { # FILE: the report with every number 0 and every string ""
    jq -S 'del(.agency, .year, .as_of, .final) | walk(if type == "number" then 0 elif type == "string" then "" else . end)' "$1"
}
zeros() { # FILE: every number but year is 0, every money "0.00"
    jq -e 'del(.year) | ([.. | numbers] | all(. == 0)) and ([.active_disclosure[][] | strings] | all(. == "0.00"))' "$1" >/dev/null
}
for p in no-events-here/2019 no-events-here/2020 gz-sthjt/2005; do
    http_get "/v1/reports/$p"
    gk_eq 200 "$HTTP_STATUS" "/v1/reports/$p (no events) is 200, not an error"
    zeros "$HTTP_FILE" || gk_fail "$p: not all zeros: $(cat "$HTTP_FILE")"
    gk_ok "$p: all zeros"
    gk_eq "$(shape "$W/http-2019.json")" "$(shape "$HTTP_FILE")" "$p: same shape as the fixture's 2019 report"
done
for y in 2021 2024; do
    http_get "/v1/reports/no-events-here/$y"
    zeros "$HTTP_FILE" || gk_fail "no-events-here $y: not all zeros"
    D=$(agg_py problems "$HTTP_FILE") || gk_fail "no-events-here $y:"$'\n'"$D"
    gk_ok "no-events-here $y: all zeros in the 2021 template's shape"
done

# --- /v1/agencies, /healthz, /metrics, / ------------------------------------------------------
http_get /v1/agencies
gk_eq 200 "$HTTP_STATUS" "/v1/agencies"
gk_eq '["gz-sthjt"]' "$(jq -c '[.agencies[].agency]' "$HTTP_FILE")" "/v1/agencies lists gz-sthjt (and nothing else)"
gk_eq "2012 2020" "$(jq -r '.agencies[0] | "\(.first_year) \(.last_year)"' "$HTTP_FILE")" \
    "/v1/agencies: gz-sthjt's years 2012-2020"

http_get /healthz
gk_eq 200 "$HTTP_STATUS" "/healthz"
gk_eq "356 356 0" "$(jq -r '"\(.applied_seq) \(.head_seq) \(.lag)"' "$HTTP_FILE")" "/healthz: applied_seq = head_seq = 356, lag 0"

http_get /metrics
gk_eq 200 "$HTTP_STATUS" "/metrics"
gk_match '^text/plain; version=0\.0\.4' "$HTTP_TYPE" "/metrics: Prometheus text content type"
/usr/bin/python3 - "$HTTP_FILE" <<'EOF' || gk_fail "/metrics is not Prometheus text format"
import re, sys
typed, seen, buckets = {}, set(), {}
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABELS = r'\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\}'
VALUE = r"-?[0-9.]+(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf"
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line:
        continue
    m = re.fullmatch(rf"# (HELP|TYPE) ({NAME}) (.+)", line)
    if m:
        if m.group(1) == "TYPE":
            assert m.group(3) in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert m.group(2) not in typed, f"line {n}: a second # TYPE for {m.group(2)}"
            typed[m.group(2)] = m.group(3)
        continue
    assert not line.startswith("#"), f"line {n}: {line}"
    m = re.fullmatch(rf"({NAME})({LABELS})? ({VALUE})( -?[0-9]+)?", line)
    assert m, f"line {n}: {line!r}"
    name, labels, family = m.group(1), m.group(2) or "", m.group(1)
    if name not in typed:
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and typed.get(name[: -len(suffix)]) in ("histogram", "summary"):
                family = name[: -len(suffix)]
    assert family in typed, f"line {n}: {name} has no # TYPE"
    if typed[family] == "counter":
        assert name.endswith("_total"), f"counter {name} without _total"
    if typed[family] == "histogram" and name.endswith("_bucket"):
        le = re.search(r'le="([^"]*)"', labels)
        assert le, f"line {n}: a bucket without le"
        buckets.setdefault(family, []).append((le.group(1), float(m.group(3))))
    seen.add(family)
for family, bs in buckets.items():
    assert bs[-1][0] == "+Inf", f"{family}: the last bucket is not +Inf"
    assert [c for _, c in bs] == sorted(c for _, c in bs), f"{family}: buckets not cumulative"
assert len(seen) >= 5, seen
EOF
gk_ok "/metrics parses as Prometheus text (HELP/TYPE, samples, counters end in _total, cumulative histogram buckets)"
gk_match '^gongkai_aggregator_applied_seq 356$' "$HTTP_BODY" "/metrics: applied_seq 356"
gk_match '^gongkai_aggregator_head_seq 356$' "$HTTP_BODY" "/metrics: head_seq 356"
gk_match '^gongkai_aggregator_lag_events 0$' "$HTTP_BODY" "/metrics: lag 0"
gk_match '^gongkai_aggregator_events_applied_total 356$' "$HTTP_BODY" "/metrics: 356 events applied, each once"
http_get /
gk_eq 200 "$HTTP_STATUS" "GET / (the live page)"
gk_match '^text/html' "$HTTP_TYPE" "/: HTML"

# --- the stored state, and verify --------------------------------------------------------------
gk_eq 356 "$(gk_sql "SELECT applied_seq FROM agg_cursor")" "agg_cursor.applied_seq = 356"
agg_verify
gk_eq 0 "$VERIFY_RC" "gongkai verify exits 0 (output: $VERIFY_OUT)"
gk_match 'stored metrics at seq 356: no difference' "$VERIFY_OUT" "verify: stored metrics agree with the log"
gk_match '^0 differences$' "$VERIFY_OUT" "verify: 0 differences"
agg_verify --agency gz-sthjt --year 2019
gk_eq 0 "$VERIFY_RC" "gongkai verify --agency gz-sthjt --year 2019 exits 0"

# Publishing the fixture again changes nothing.
OUT=$("$GK" publish "$GK_FIXTURE" 2>/dev/null) || gk_fail "second publish exited $?"
gk_eq "accepted 0, duplicate 361, rejected 0" "$OUT" "fixture again: all duplicate"
agg_wait_caught_up 30
http_get /v1/reports/gz-sthjt/2019
gk_eq "$(jq -S . "$W/http-2019.json")" "$(jq -S . "$HTTP_FILE")" "duplicates change no report"

aggregator_stop
gk_ok "aggregator stopped with exit 0 on SIGTERM"
gk_match 'msg="aggregator stopping" applied_seq=356' "$(cat "$AGG_LOG")" "aggregator logs its applied seq when stopping"
intake_stop
gk_ok "intake stopped"
