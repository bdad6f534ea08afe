#!/usr/bin/python3
"""gongkai audit (issue 13): a directory tree of reports in the forms offices
have them — the report pages (HTML), a PDF, a browser-copy text, a report with an
arithmetic error, a report that cannot be read, files that are no report —
imported and checked in one run. The text, CSV and HTML summaries agree;
the exit status is 1 (an error and an unreadable report); the HTML page
loads in headless Chromium, sorts by a column when its header is clicked,
and opens a report's findings; a screenshot is kept.
"""
import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402
from browser import Chromium, screenshot  # noqa: E402

GK = gk.bin_path("gongkai")
W = gk.work_dir()
intake, agg = gkagg.seeded()
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("name") == "贵州省生态环境厅", 10, "the name shows")
pages = {y: agg.get("/v1/reports/gz-sthjt/%d/document.html" % y)[2] for y in (2018, 2019, 2020)}
text2019 = agg.get("/v1/reports/gz-sthjt/2019?format=text")[2]
pdf2019 = agg.get("/v1/reports/gz-sthjt/2019/document.pdf", timeout=180)[2]
gk.check(pdf2019[:5] == b"%PDF-", "the 2019 document as PDF")
gk.check(agg.stop() == 0, "the aggregator stops")
intake.stop()

root = os.path.join(W, "province")
files = {
    "gz-sthjt/2018.html": pages[2018],
    "gz-sthjt/2019.html": pages[2019],
    "gz-sthjt/2020/report.htm": pages[2020],
    "copies/2019-copied.txt": text2019,
    "pdf/2019.pdf": pdf2019,
    # One cell changed: the balance and the applicant columns no longer add up.
    "other/bad-2019.html": pages[2019].replace(b"<td>52</td>", b"<td>53</td>", 1),
    "other/cut-2019.txt": "贵州省某局2019年政府信息公开工作年度报告\n一、总体情况\n（此处缺表）\n".encode(),
    "other/readme.txt": "这是一个目录说明。\n".encode(),
    "other/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ".git/config": b"[core]\n",
}
for rel, data in files.items():
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)

r = gk.run([GK, "audit", root])
lines = r.stdout.decode("utf-8").splitlines()
rows = {ln.split("\t")[0][len(root) + 1:]: ln.split("\t") for ln in lines if not ln.startswith("  ")}
gk.eq(r.returncode, 1, "exit 1: a report has an error and one cannot be read")
gk.eq(sorted(rows), sorted(k for k in files if not k.startswith(".git")), "every file listed once, .git left out")
for rel in ("gz-sthjt/2018.html", "gz-sthjt/2019.html", "gz-sthjt/2020/report.htm", "copies/2019-copied.txt",
            "pdf/2019.pdf"):
    gk.eq(rows[rel][3:6], ["imported", "0 errors", rows[rel][5]], "%s: imported, no error" % rel)
gk.eq([rows[k][2] for k in ("gz-sthjt/2018.html", "gz-sthjt/2019.html", "gz-sthjt/2020/report.htm")],
      ["2018", "2019", "2020"], "years read from the titles")
gk.eq(rows["other/bad-2019.html"][3:5], ["imported", "2 errors"], "the changed cell: two errors")
gk.check(any("balance applications.total_processed.natural_person: printed 51, expected 52" in ln for ln in lines),
         "… named cell by cell with printed and expected values")
gk.check(rows["other/cut-2019.txt"][3].startswith("not imported: line 3: end of text without the heading of section 二"),
         "a report without its tables: not imported, with the line and the section", rows["other/cut-2019.txt"])
gk.check(rows["other/readme.txt"][3].startswith("skipped") and rows["other/logo.png"][3].startswith("skipped"),
         "files that are no report are skipped, not errors")
order = [k for k in rows]
gk.check(order.index("gz-sthjt/2018.html") < order.index("gz-sthjt/2019.html") < order.index("gz-sthjt/2020/report.htm"),
         "the summary in agency, year order", order)
gk.check(b"9 files: 6 reports imported, 1 not; 2 errors" in r.stderr,
         "a closing line on stderr with the counts", r.stderr[-300:])

r = gk.run([GK, "audit", "--format", "csv", root])
table = list(csv.DictReader(io.StringIO(r.stdout.decode("utf-8"))))
errs = [t for t in table if t["severity"] == "error"]
gk.eq(sorted((t["rule"], t["cell"]) for t in errs),
      [("applicant_sum", "applications.received.total"), ("balance", "applications.total_processed.natural_person")],
      "CSV: a row per finding, the same two errors")
gk.eq(len({t["file"] for t in table}), 9, "CSV: every file has its row")

r = gk.run([GK, "audit", "--format", "html", root])
html_path = os.path.join(W, "audit.html")
with open(html_path, "wb") as f:
    f.write(r.stdout)
b = Chromium()
b.call("Page.enable")
b.call("Page.navigate", url="file://" + html_path)
gk.wait_for(lambda: b.eval("document.readyState") == "complete", 10, "the audit page loads")
gk.eq(b.eval("document.querySelectorAll('#reports > tbody > tr').length"), 9, "the page's table: a row per file")
YEARS = "[...document.querySelectorAll('#reports > tbody > tr')].map(r => r.cells[2].innerText)"
b.eval("document.querySelectorAll('#reports th')[4].click()")  # errors, ascending
b.eval("document.querySelectorAll('#reports th')[4].click()")  # then descending
gk.eq(b.eval("document.querySelector('#reports > tbody > tr').cells[0].innerText").endswith("bad-2019.html"), True,
      "clicking 错误 twice sorts the report with errors first")
b.eval("document.querySelectorAll('#reports th')[2].click()")
years = [y for y in b.eval(YEARS) if y]
gk.eq(years, sorted(years), "clicking 年度 sorts by year")
b.eval("document.querySelector('#reports details').open = true")
shown = b.eval("document.querySelector('#reports details').innerText")
gk.check("balance" in shown and "applications.total_processed.natural_person" in shown,
         "a report's findings open in its row", shown)
screenshot(b, "audit-summary.png", min_height=300)
b.close()
gk.done()
