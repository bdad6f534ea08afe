#!/usr/bin/python3
"""The annual report as a document (issue 14, first part): the seed fixture
published and its agency registered, GET /v1/reports/gz-sthjt/2019/document.html
is one HTML page in the official structure — the official title, sections
一 to 六 in order (the prose ones empty, with their headings), the header
spans of the official forms (法人或其他组织 over five columns; 行政复议 over
five, 行政诉讼 over ten, each kind of lawsuit over five) — and every number
of its tables, read back through the spans, equals the fixture's expected
report. `gongkai document` prints the same page; other formats are refused.
"""
import html.parser
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

GK = gk.bin_path("gongkai")
EVENTS = gk.fixture_path()
expected = json.load(open(os.path.join(os.path.dirname(EVENTS), "expected-2019.json"), encoding="utf-8"))


class Page(html.parser.HTMLParser):
    """h1, h2 texts and tables as grids (rowspan/colspan expanded); each
    grid cell is (text, tag, colspan)."""

    def __init__(self):
        super().__init__()
        self.h1, self.h2, self.tables = [], [], []
        self.text = None
        self.rows = None
        self.cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h1", "h2"):
            self.text = ""
        elif tag == "table":
            self.rows = []
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = [tag, int(a.get("colspan", 1)), int(a.get("rowspan", 1)), ""]

    def handle_endtag(self, tag):
        if tag == "h1":
            self.h1.append(self.text)
            self.text = None
        elif tag == "h2":
            self.h2.append(self.text)
            self.text = None
        elif tag in ("td", "th"):
            self.rows[-1].append(self.cell)
            self.cell = None
        elif tag == "table":
            self.tables.append(grid(self.rows))
            self.rows = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[3] += data
        elif self.text is not None:
            self.text += data


def grid(rows):
    g, pending = [], {}
    for r, cells in enumerate(rows):
        line, col = [], 0
        it = iter(cells)
        while True:
            if (r, col) in pending:
                line.append(pending.pop((r, col)))
                col += 1
                continue
            c = next(it, None)
            if c is None:
                break
            tag, cs, rs, text = c
            for k in range(cs):
                v = (text, tag, cs)
                line.append(v)
                for d in range(1, rs):
                    pending[(r + d, col + k)] = v
            col += cs
        while (r, col) in pending:
            line.append(pending.pop((r, col)))
            col += 1
        g.append(line)
    return g


intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
rc, out, err = gk.publish([EVENTS])
gk.check(rc == 0, "the seed fixture published", err[-300:])
r = gk.run([GK, "agency", "add", "gz-sthjt", "--name", "贵州省生态环境厅"])
gk.check(r.returncode == 0, "its agency registered with its name")
agg.wait_caught_up()
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("name") == "贵州省生态环境厅", 10, "the name shows")

status, ctype, body = agg.get("/v1/reports/gz-sthjt/2019/document.html")
gk.eq((status, ctype), (200, "text/html; charset=utf-8"), "document.html is served as HTML")
page = Page()
page.feed(body.decode("utf-8"))
gk.eq(page.h1, ["贵州省生态环境厅2019年政府信息公开工作年度报告"], "the official title")
gk.eq(page.h2, ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"],
      "sections 一 to 六, in order")
apps_t, rl_t = page.tables[-2], page.tables[-1]
ad_tables = page.tables[:-2]

# Section 二: each table is titled, headed, then rows label + values.
ad = expected["active_disclosure"]
labels = {"rule": "规章", "normative": "规范性文件", "licensing": "行政许可",
          "other_service": "其他对外管理服务事项", "penalty": "行政处罚", "enforcement": "行政强制",
          "fee": "行政事业性收费", "procurement": "政府集中采购"}
seen = {}
for t in ad_tables:
    for line in t[2:]:
        seen[line[0][0]] = [c[0] for c in line[1:]]
for key, cols in ad.items():
    want = [str(v) for v in cols.values()]
    gk.eq(seen.get(labels[key]), want, "二 %s: %s" % (labels[key], " / ".join(want)))

# Section 三: the header spans, then each row's seven values.
gk.check(("法人或其他组织", "th", 5) in apps_t[0], "三: 法人或其他组织 spans its five columns", repr(apps_t[0]))
gk.eq([c[0] for c in apps_t[1]][-6:], ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
      "三: the columns under it, then 总计")
rows = expected["applications"]["rows"]
body_rows = apps_t[2:]
gk.eq(len(body_rows), len(rows), "三: one table row per report row")
for want, line in zip(rows, body_rows):
    gk.eq([int(c[0]) for c in line[3:]], want["values"], "三 %s" % want["key"])

# Section 四: 行政复议 over five, 行政诉讼 over ten, each lawsuit kind over five; 15 numbers.
gk.check(("行政复议", "th", 5) in rl_t[0] and ("行政诉讼", "th", 10) in rl_t[0],
         "四: 行政复议 over five columns, 行政诉讼 over ten", repr(rl_t[0]))
gk.check(("未经复议直接起诉", "th", 5) in rl_t[1] and ("复议后起诉", "th", 5) in rl_t[1],
         "四: each kind of lawsuit over five", repr(rl_t[1]))
rl = expected["reviews_litigation"]
want = rl["review"] + rl["litigation_direct"] + rl["litigation_after_review"]
gk.eq([int(c[0]) for c in rl_t[3]], want, "四: the fifteen numbers")

# The CLI prints the same page; other formats are refused.
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019"])
gk.eq((r.returncode, r.stdout), (0, body), "gongkai document prints the same page")
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--format", "odt"])
gk.check(r.returncode == 2 and b"html, docx or pdf" in r.stderr, "gongkai document --format odt is refused, saying why")
status, _, b = agg.get("/v1/reports/gz-sthjt/2019/document.odt")
gk.eq(status, 404, "document.odt is not a route")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
