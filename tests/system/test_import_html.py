#!/usr/bin/python3
"""A report's HTML page imports (issues 13 and 14): `gongkai import-report`
reads the page itself, by content, with a real HTML parser.

The round trip first (issue 14): the seed's 2019 document.html, and a 2021
document of a generated stream (the 2021 form), import back to the tables
they were rendered from, exactly. Then the same page in the forms real sites
give it (built from it here, so the expected tables are known): inside a
site's chrome with scripts, styles and menus that mention the section
headings; each cell's text in <p>s, labels broken with <br>, &nbsp; around
numbers, source line breaks everywhere; GB2312/GBK bytes with a <meta
charset>; a UTF-8 BOM; HTML 4 with uppercase tags, unquoted attributes and
the optional </td></tr> left out; a fragment without <html> or <body>; and
what a browser's select-all + copy gives of the page, with and without <p>
in its cells.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402
from browser import Chromium  # noqa: E402

GK = gk.bin_path("gongkai")
W = gk.work_dir()
expected = json.load(open(os.path.join(os.path.dirname(gk.fixture_path()), "expected-2019.json"), encoding="utf-8"))
TABLES = ("active_disclosure", "applications", "reviews_litigation")


def tables(report):
    r = json.loads(json.dumps({k: report[k] for k in TABLES}))
    for row in r["applications"]["rows"]:
        row.pop("label", None)
    return r


def imported(name, data, agency="gz-sthjt"):
    p = os.path.join(W, name)
    with open(p, "wb") as f:
        f.write(data)
    r = gk.run([GK, "import-report", "--agency", agency, p])
    if r.returncode != 0:
        return None, r.stderr.decode("utf-8", "replace")
    return json.loads(r.stdout), ""


events = gkagg.gen_events(1500, seed=21, prefix="imp", agencies=("imp-a",), first_year=2021, last_year=2022)
path = os.path.join(W, "gen.jsonl")
gkagg.write_jsonl(path, events)
intake, agg = gkagg.seeded(extra=[path])
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("name") == "贵州省生态环境厅", 10, "the name shows")

page = agg.get("/v1/reports/gz-sthjt/2019/document.html")[2]
got, why = imported("doc-2019.html", page)
gk.eq(tables(got) if got else why, tables(expected), "the seed's 2019 document.html imports back exactly")
gk.eq((got or {}).get("name"), "贵州省生态环境厅", "… the name from its title")
live21 = agg.report("imp-a", 2021)
got, why = imported("doc-2021.html", agg.get("/v1/reports/imp-a/2021/document.html")[2], "imp-a")
gk.eq(tables(got) if got else why, tables(live21), "a 2021-form document imports back exactly")
gk.eq((got or {}).get("template"), "2021", "… read as the 2021 form")

text = page.decode("utf-8")
body = text[text.index("<body>") + 6:text.index("</body>")]
CHROME_TOP = """<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="#">二、主动公开政府信息情况</a></li></ul></div>
<script>var menu = ["三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"];</script>
<style>.x { content: "五、存在的主要问题及改进情况"; }</style>
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 年度报告</div><div class="main"><div class="article">"""
CHROME_END = """</div><div class="side"><h3>相关链接</h3><ul><li>2018年度报告</li><li>2017年度报告</li></ul></div></div>
<div class="footer">版权所有：贵州省生态环境厅 黔ICP备00000000号 <a href="#">网站地图</a></div>"""


def chrome(b):
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>贵州省生态环境厅2019年政府信息公开工作年度报告"
            "-贵州省生态环境厅</title><script src=\"/js/jquery.js\"></script></head><body>"
            + CHROME_TOP + b + CHROME_END + "</body></html>")


def paragraphs(b):
    # Each cell's text in a <p>, long labels broken in two, numbers padded with &nbsp;.
    def cell(m):
        tag, attrs, inner = m.group(1), m.group(2), m.group(3)
        if re.fullmatch(r"[0-9.]+", inner):
            inner = "&nbsp;" + inner + "&nbsp;"
        elif len(inner) > 6:
            inner = inner[:4] + "<br>\n    " + inner[4:]
        return "<%s%s>\n  <p style=\"text-align:center\">%s</p>\n</%s>" % (tag, attrs, inner, tag)
    return re.sub(r"<(td|th)([^>]*)>(.*?)</\1>", cell, b)


def html4(b):
    b = re.sub(r"</t[dh]>", "", b)
    b = b.replace("</tr>", "")
    b = re.sub(r"<(/?)(table|tr|td|th|h1|h2|p|div)\b", lambda m: "<" + m.group(1) + m.group(2).upper(), b)
    return re.sub(r'(colspan|rowspan|class)="([^"]*)"', r"\1=\2", b)


variants = [
    ("site chrome, scripts and menus naming the sections", chrome(body).encode("utf-8")),
    ("<p> in every cell, labels broken by <br>, &nbsp; around numbers", chrome(paragraphs(body)).encode("utf-8")),
    ("GB2312 bytes with a <meta charset>",
     chrome(body).replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
     .encode("gb18030")),
    ("a UTF-8 BOM", b"\xef\xbb\xbf" + page),
    ("HTML 4: uppercase tags, unquoted attributes, no </td></tr>", html4(text).encode("utf-8")),
    ("a fragment without <html> or <body>", ("<div>" + body + "</div>").encode("utf-8")),
]
for i, (what, data) in enumerate(variants):
    got, why = imported("variant-%d.html" % i, data)
    gk.eq(tables(got) if got else why, tables(expected), "imports exactly: " + what)

# What a browser's select-all + copy gives (Chromium's innerText) of the page
# as served and of the one with <p> in every cell (blank lines around each
# tab, labels broken over lines): both import exactly.
b = Chromium()
b.call("Page.enable")
for i, (what, data) in enumerate([("the page as served", page), ("the page with <p> in every cell",
                                                                  chrome(paragraphs(body)).encode("utf-8"))]):
    html_path = os.path.join(W, "copy-%d.html" % i)
    with open(html_path, "wb") as f:
        f.write(data)
    b.call("Page.navigate", url="file://" + html_path)
    gk.wait_for(lambda: b.eval("document.readyState") == "complete" and
                "二、主动公开" in (b.eval("document.body.innerText") or ""), 10, "the page loads")
    copied = b.eval("document.body.innerText").encode("utf-8")
    got, why = imported("copy-%d.txt" % i, copied)
    gk.eq(tables(got) if got else why, tables(expected), "a browser's copy of %s imports exactly" % what)
b.close()

# Not a report: said, with the section that was looked for.
got, why = imported("other.html", b"<html><body><h1>\xe9\xa6\x96\xe9\xa1\xb5</h1><table><tr><td>1</td></tr></table></body></html>")
gk.check(got is None and "二、主动公开政府信息情况" in why, "a page without the report says which heading is missing", why)
got, why = imported("empty.html", b"<html></html>")
gk.check(got is None and why, "an empty page is refused with a reason", why)
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
