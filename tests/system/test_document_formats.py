#!/usr/bin/python3
"""The annual report as DOCX and PDF (issue 14, acceptance 1): the seed
fixture published with its prose and released; `gongkai document --format
docx` is a Word document (a zip with word/document.xml holding the title,
the headings and the prose) that LibreOffice opens — converted to PDF here,
its text holds every number of the tables and the Chinese labels; `--format
pdf` is an A4 PDF whose text (pdftotext) holds them too; `--release 1
--format pdf` is made from the release's bytes. Without LibreOffice the
command says what to install.
"""
import io
import json
import os
import re
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402
from browser import Chromium, screenshot  # noqa: E402

GK = gk.bin_path("gongkai")
W = gk.work_dir()
expected = json.load(open(os.path.join(os.path.dirname(gk.fixture_path()), "expected-2019.json"), encoding="utf-8"))
intake, agg = gkagg.seeded()
PROSE = "2019年，我厅认真贯彻落实《条例》，全年主动公开政府信息一千二百条。"
r = gk.run([GK, "narrative", "set", "--agency", "gz-sthjt", "--year", "2019", "--section", "1", "-"],
           input=PROSE.encode())
gk.check(r.returncode == 0, "section 一 written")


def numbers(rep):
    """Every number of the tables as printed (money as 万元 text)."""
    out = set()
    for cols in rep["active_disclosure"].values():
        out.update(str(v) for v in cols.values())
    for row in rep["applications"]["rows"]:
        out.update(str(v) for v in row["values"])
    rl = rep["reviews_litigation"]
    for k, v in rl.items():
        if isinstance(v, list) and k != "columns":
            out.update(str(x) for x in v)
    return out


def pdf_text(pdf):
    p = os.path.join(W, "t.pdf")
    with open(p, "wb") as f:
        f.write(pdf)
    return subprocess.run(["pdftotext", "-layout", p, "-"], capture_output=True, check=True).stdout.decode()


LABELS = ["贵州省生态环境厅", "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
          "法人或其他组织", "政府集中采购", "行政复议", "未经复议直接起诉", "六、其他需要报告的事项"]


def holds_all(text, what):
    flat = text.replace(" ", "").replace("\n", "")
    missing = [x for x in LABELS if x.replace(" ", "") not in flat]
    tokens = set(text.split())
    missing += [n for n in numbers(expected) if n not in tokens]
    gk.check(not missing, what + ": every number and label is in its text", missing[:10])


r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--format", "docx"], timeout=180)
gk.check(r.returncode == 0 and r.stdout[:2] == b"PK", "--format docx writes a zip", r.stderr)
z = zipfile.ZipFile(io.BytesIO(r.stdout))
xml = z.read("word/document.xml").decode("utf-8")
words = re.sub(r"<[^>]+>", "", xml)  # the text, whatever runs Word split it into
gk.check("一、总体情况" in words and PROSE[:12] in words and "gridSpan" in xml and "vMerge" in xml,
         "word/document.xml: the headings, the prose and merged cells (gridSpan, vMerge)", words[:300])
gk.check('w:val="Heading1"' in xml and xml.count('w:val="Heading2"') == 6,
         "the title a Word Heading 1, the six sections Heading 2")
docx = os.path.join(W, "report.docx")
with open(docx, "wb") as f:
    f.write(r.stdout)
prof = "-env:UserInstallation=file://" + os.path.join(W, "lo-profile")
c = subprocess.run(["soffice", "--headless", "--norestore", prof, "--convert-to", "pdf", "--outdir", W, docx],
                   capture_output=True, timeout=180)
with open(os.path.join(W, "report.pdf"), "rb") as f:
    holds_all(pdf_text(f.read()), "the DOCX, opened by LibreOffice and converted to PDF")

r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--format", "pdf"], timeout=180)
gk.check(r.returncode == 0 and r.stdout[:5] == b"%PDF-", "--format pdf writes a PDF", r.stderr)
holds_all(pdf_text(r.stdout), "the PDF")
pdf_path = os.path.join(W, "report-2019.pdf")
with open(pdf_path, "wb") as f:
    f.write(r.stdout)
imp = gk.run([GK, "import-report", "--agency", "gz-sthjt", pdf_path])
got = json.loads(imp.stdout) if imp.returncode == 0 else {}
for row in got.get("applications", {}).get("rows", []):
    row.pop("label", None)
gk.eq({k: got.get(k) for k in ("year", "active_disclosure", "applications", "reviews_litigation")},
      {k: expected[k] for k in ("year", "active_disclosure", "applications", "reviews_litigation")},
      "the PDF imports back (by content, poppler's text) to expected-2019.json exactly: the same tables as "
      "the HTML")
# The text people extract themselves keeping the layout (pdftotext -layout):
# labels in pieces above and below their numbers, the group column between.
layout_path = os.path.join(W, "report-2019.layout.txt")
with open(layout_path, "w", encoding="utf-8") as f:
    f.write(pdf_text(r.stdout))
imp = gk.run([GK, "import-report", "--agency", "gz-sthjt", layout_path])
got = json.loads(imp.stdout) if imp.returncode == 0 else {}
for row in got.get("applications", {}).get("rows", []):
    row.pop("label", None)
gk.eq({k: got.get(k) for k in ("year", "active_disclosure", "applications", "reviews_litigation")},
      {k: expected[k] for k in ("year", "active_disclosure", "applications", "reviews_litigation")},
      "its pdftotext -layout text imports to expected-2019.json exactly too (%s)" % imp.stderr.decode()[-300:])
gk.check("pdftotext -layout" in got.get("notes", {}).get("text", ""), "… with a note saying how it was read",
         json.dumps(got.get("notes"), ensure_ascii=False))
r2 = gk.run([GK, "import-report", pdf_path], env_over={"GONGKAI_PDFTOTEXT": "/nonexistent/pdftotext"})
gk.check(r2.returncode == 2 and b"poppler-utils" in r2.stderr, "without pdftotext: exit 2, saying what to install",
         r2.stderr)
info = subprocess.run(["pdfinfo", "-"], input=r.stdout, capture_output=True).stdout.decode()
gk.check("(A4)" in info, "… on A4 paper", info)

r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", "2019"])
gk.check(r.returncode == 0, "released")
# Acceptance 1 of issue 14 as written: release 1's HTML (prose and all)
# imports back to the fixture's expected tables exactly.
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--release", "1"])
rel_html = os.path.join(W, "release-1.html")
with open(rel_html, "wb") as f:
    f.write(r.stdout)
r = gk.run([GK, "import-report", "--agency", "gz-sthjt", rel_html])
got = json.loads(r.stdout) if r.returncode == 0 else {}
for row in got.get("applications", {}).get("rows", []):
    row.pop("label", None)
gk.eq({k: got.get(k) for k in ("active_disclosure", "applications", "reviews_litigation")},
      {k: expected[k] for k in ("active_disclosure", "applications", "reviews_litigation")},
      "release 1's document imports back to expected-2019.json exactly")
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--release", "1", "--format", "pdf"],
           timeout=180)
gk.check(r.returncode == 0 and r.stdout[:5] == b"%PDF-", "--release 1 --format pdf", r.stderr)

# The HTML document in headless Chromium: a screenshot to look at.
b = Chromium()
b.call("Page.enable")
b.call("Page.navigate", url="http://%s/v1/reports/gz-sthjt/2019/document.html" % agg.http)
gk.wait_for(lambda: b.eval("document.readyState") == "complete" and b.eval("document.title") != "", 15,
            "the document loads in Chromium")
gk.eq(b.eval("document.querySelectorAll('h2').length"), 6, "… with its six sections")
screenshot(b, "document-gz-sthjt-2019.png")
b.close()

# The same over HTTP, on the aggregator's workers.
status, ctype, body = agg.get("/v1/reports/gz-sthjt/2019/document.docx", timeout=180)
gk.check(status == 200 and body[:2] == b"PK" and "wordprocessingml" in ctype, "GET document.docx", (status, ctype))
status, ctype, body = agg.get("/v1/reports/gz-sthjt/2019/document.pdf?release=1", timeout=180)
gk.check(status == 200 and body[:5] == b"%PDF-" and ctype == "application/pdf", "GET document.pdf?release=1",
         (status, ctype))
holds_all(pdf_text(body), "release 1's PDF over HTTP")
gk.check(agg.stop() == 0, "the aggregator stops")
agg = gkagg.Aggregator(env={"GONGKAI_SOFFICE": "/nonexistent/soffice"}).start()
status, _, body = agg.get("/v1/reports/gz-sthjt/2019/document.pdf")
gk.eq((status, json.loads(body).get("error")), (501, "not_available"),
      "an aggregator without LibreOffice: document.pdf is 501 not_available, saying why")
gk.eq(agg.get("/v1/reports/gz-sthjt/2019/document.html")[0], 200, "… and document.html is served")

r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--format", "docx"],
           env_over={"GONGKAI_SOFFICE": "/nonexistent/soffice"})
gk.check(r.returncode == 1 and b"libreoffice-writer-nogui" in r.stderr,
         "without LibreOffice: exit 1, saying what to install", r.stderr)
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--format", "odt"])
gk.check(r.returncode == 2 and b"html, docx or pdf" in r.stderr, "--format odt is refused, naming the choices")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
