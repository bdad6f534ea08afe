"""test_page_browser — the live page at / in headless Chromium (issue 7).

Publishes the sample, opens /#gz-sthjt/2019 in headless Chromium driven over
the DevTools protocol, and checks that every number on the page equals the
JSON API and every label is one lib/report/render.c prints (the text format). Then
publishes one more application and waits for its cells to change on the
page, by polling alone (no reload), and keeps a screenshot of the 2019 tables
as test artefacts (their paths are printed): tests/out/page-gz-sthjt-2019.png
with the sample's tables as published, and page-gz-sthjt-2019-live.png just
after the change, the changed cells highlighted.
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
from browser import Chromium, screenshot  # noqa: E402

HTTP = gk.env("GONGKAI_HTTP")
BASE = f"http://{HTTP}"
SAMPLE = os.path.join(gk.REPO, "deploy", "sample-events.jsonl")


def get(path):
    with urllib.request.urlopen(BASE + path, timeout=10) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")


def get_json(path):
    return json.loads(get(path)[2])


def expected_cells(j):
    """{data-k: text} as the page must show them, from the report JSON."""
    v = {}
    for k, cols in j["active_disclosure"].items():
        for c, x in cols.items():
            v[f"ad.{k}.{c}"] = str(x)
    for row in j["applications"]["rows"]:
        for c, x in zip(j["applications"]["columns"], row["values"]):
            v[f"app.{row['key']}.{c}"] = str(x)
    for k in ("review", "litigation_direct", "litigation_after_review"):
        for c, x in zip(j["reviews_litigation"]["columns"], j["reviews_litigation"][k]):
            v[f"rl.{k}.{c}"] = str(x)
    return v


PAGE_CELLS = "Object.fromEntries([...document.querySelectorAll('[data-k]')].map(e => [e.dataset.k, e.textContent]))"
PAGE_LABELS = """[...document.querySelectorAll('#report h3, #report caption, #report th, #report td.l, #caserule')]
  .map(e => e.textContent)"""


def cell(browser, key):
    return browser.eval(f"(() => {{ const e = document.querySelector('[data-k=\"{key}\"]');"
                        f" return e ? [e.textContent, e.classList.contains('chg')] : null; }})()")


def main():
    intake = gk.Intake().start()
    agg = gk.spawn([gk.bin_path("gongkai-aggregator")], "aggregator.log")
    agg_log = os.path.join(gk.work_dir(), "aggregator.log")

    def agg_ready():
        if agg.poll() is not None:
            gk.fatal(f"gongkai-aggregator exited {agg.returncode}; see aggregator.log")
        with open(agg_log, encoding="utf-8", errors="replace") as f:
            return 'msg="aggregator ready"' in f.read()

    gk.wait_for(agg_ready, 60, '"aggregator ready"')
    rc, out, err = gk.publish([SAMPLE])
    gk.eq(out.strip().splitlines()[-1], "accepted 356, duplicate 5, rejected 0", "sample published")
    gk.wait_for(lambda: get_json("/healthz")["applied_seq"] == 356, 30, "aggregator applied the sample")

    status, ctype, html = get("/")
    gk.eq(status, 200, "GET / answers 200")
    gk.check(ctype.startswith("text/html"), "GET / is HTML", ctype)
    gk.check("<script" in html and "/v1/reports/" in html, "the page is served from the binary, script included")

    browser = Chromium()
    browser.call("Emulation.setDeviceMetricsOverride", width=1200, height=900, deviceScaleFactor=1,
                 mobile=False)
    browser.call("Page.navigate", url=f"{BASE}/#gz-sthjt/2019")
    gk.wait_for(lambda: (cell(browser, "app.received.total") or [""])[0] == "59", 20,
                "the page shows 59 applications received in 2019")
    gk.eq(browser.eval("document.getElementById('agency').value"), "gz-sthjt", "agency picked from the URL")
    gk.eq(browser.eval("document.getElementById('year').value"), "2019", "year picked from the URL")
    agencies = browser.eval("[...document.getElementById('agency').options].map(o => o.value)")
    gk.eq(agencies, [a["agency"] for a in get_json("/v1/agencies")["agencies"]],
          "the agency list comes from /v1/agencies")
    years = browser.eval("[...document.getElementById('year').options].map(o => o.value)")
    gk.check("2012" in years and "2020" in years, "the year list covers the agency's years", years)

    # Every number equals the JSON API, every label is one render.c prints.
    report = get_json("/v1/reports/gz-sthjt/2019")
    want = expected_cells(report)
    have = browser.eval(PAGE_CELLS)
    diff = {k: (want.get(k), have.get(k)) for k in set(want) | set(have) if want.get(k) != have.get(k)}
    gk.check(not diff, f"all {len(want)} numbers on the page equal the JSON report", diff)
    text = get("/v1/reports/gz-sthjt/2019?format=text")[2]
    tokens = {t for line in text.splitlines() for t in line.split("\t")}
    # … and the official header's column groups (法人或其他组织), as `gongkai template` lists them.
    tmpl = json.loads(gk.run([gk.bin_path("gongkai"), "template", "--year", "2019"]).stdout)
    for f in tmpl["formats"]:
        tokens.update(g["label"] for g in f["applications"]["table"]["column_groups"])
    labels = browser.eval(PAGE_LABELS)
    unknown = [lab for lab in labels if lab and lab not in tokens]
    gk.check(not unknown, f"all {len(labels)} labels on the page are official ones (as in the text format)",
             unknown)
    row_labels = [line.split("\t")[0] for line in text.splitlines()
                  if line and not line.startswith("信息内容") and not line.startswith("申请人情况")
                  and not line.startswith("\t") and "年政府信息公开工作年度报告" not in line]
    missing = [lab for lab in row_labels if lab not in labels]
    gk.check(not missing, "every heading and row label of the text format is on the page", missing)
    gk.eq(browser.eval("document.getElementById('lag').textContent"), "0", "status shows lag 0")
    gk.eq(browser.eval("document.getElementById('applied').textContent"), "356", "status shows applied 356")
    gk.check(browser.eval("document.getElementById('last').textContent") not in ("", "—"),
             "status shows the last event time")

    # The CSV link downloads this report as CSV.
    href = browser.eval("document.getElementById('csv').href")
    gk.eq(href, f"{BASE}/v1/reports/gz-sthjt/2019?format=csv&case_rule=filed", "CSV link")
    status, ctype, csv = get(href[len(BASE):])
    gk.check(status == 200 and ctype.startswith("text/csv") and "总计=59" in csv, "CSV link answers CSV",
             ctype)

    # The sample's 2019 tables as they are: the screenshot that goes with the report.
    png = screenshot(browser, "page-gz-sthjt-2019.png")
    title = browser.eval("document.getElementById('title').textContent")
    gk.eq(title, "gz-sthjt 2019年政府信息公开工作年度报告", "the screenshot shows the sample's 2019 report")
    browser.call("Emulation.setDeviceMetricsOverride", width=1200, height=900, deviceScaleFactor=1,
                 mobile=False)

    # 2019 released: the page says so.
    BANNER = "document.getElementById('release').textContent"
    r = gk.run([gk.bin_path("gongkai"), "release", "--agency", "gz-sthjt", "--year", "2019"])
    gk.check(r.returncode == 0, "gongkai release 2019", r.stderr)
    gk.wait_for(lambda: browser.eval(BANNER).startswith("已发布第 1 版"), 10, "the page says release 1")

    # One more application received in 2019: the page follows without a reload.
    before = browser.eval("performance.timeOrigin")
    line = json.dumps({"event_id": "page-test-1", "type": "application_received", "agency": "gz-sthjt",
                       "occurred_at": "2019-12-30T10:00:00+08:00", "application_id": "page-test-app-1",
                       "applicant": "natural_person"})
    path = os.path.join(gk.work_dir(), "one.jsonl")
    with open(path, "w") as f:
        f.write(line + "\n")
    t0 = time.monotonic()
    rc, out, err = gk.publish([path])
    gk.eq(out.strip().splitlines()[-1], "accepted 1, duplicate 0, rejected 0", "one more event published")
    flashed = []

    def changed():
        c = cell(browser, "app.received.natural_person")
        if c and c[1]:
            flashed.append(True)
        return c and c[0] == "53" and (cell(browser, "app.received.total") or [""])[0] == "60"

    gk.wait_for(changed, 10, "the page shows 53 natural-person applications (was 52)", interval=0.1)
    print(f"# the cell changed {time.monotonic() - t0:.2f} s after publishing", flush=True)
    gk.check(bool(flashed), "the changed cell is highlighted")
    gk.eq(browser.eval("performance.timeOrigin"), before, "no reload: the page polled")
    gk.eq(cell(browser, "app.carried_forward.natural_person")[0],
          str(int(want["app.carried_forward.natural_person"]) + 1), "carried_forward follows")
    gk.wait_for(lambda: browser.eval("document.getElementById('applied').textContent") == "357", 5,
                "status shows applied 357")
    gk.wait_for(lambda: browser.eval(BANNER).startswith("注意：第 1 版发布后数据有变动"), 5,
                "the page warns that the tables changed since release 1")

    # And the page just after the change, the changed cells highlighted.
    screenshot(browser, "page-gz-sthjt-2019-live.png")

    # Another year and the other case rule, picked in the page.
    browser.eval("(() => { const y = document.getElementById('year'); y.value = '2020';"
                 " y.dispatchEvent(new Event('change')); })()")
    want20 = expected_cells(get_json("/v1/reports/gz-sthjt/2020"))
    gk.wait_for(lambda: browser.eval(PAGE_CELLS) == want20, 10, "the page shows 2020 after picking it")
    gk.check(browser.eval("location.hash") == "#gz-sthjt/2020", "the URL follows the choice")
    browser.close()
    intake.stop()
    gk.done()


if __name__ == "__main__":
    main()
