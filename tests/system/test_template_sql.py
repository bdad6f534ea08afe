#!/usr/bin/python3
"""sql/003's report views hold the rows and columns of the one template
(issue 15): `gongkai template` prints lib/report/template.c; the views'
row lists (report_application_rows, report_active_disclosure_rows, the rows
of report_reviews_litigation) must list the same keys in the same order for
each format, and the views' value columns must be the template's columns.
(That the views' numbers equal the JSON report's, cell by cell, is
test_agg_fixture's.)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402

r = gk.run([gk.bin_path("gongkai"), "template"])
gk.check(r.returncode == 0, "gongkai template prints the template", r.stderr.decode()[-300:])
formats = {f["template"]: f for f in json.loads(r.stdout.decode("utf-8"))["formats"]}
gk.eq(sorted(formats), ["2019", "2021"], "both formats")

r = gk.run([gk.bin_path("gongkai"), "template", "--year", "2020"])
gk.eq([f["template"] for f in json.loads(r.stdout)["formats"]], ["2019"], "--year 2020 is the 2019 format")
r = gk.run([gk.bin_path("gongkai"), "template", "--year", "1989"])
gk.check(r.returncode == 2 and b"--year 1989" in r.stderr, "a year outside the contract is refused, named")


def view_rows(view, form):
    return [k for (k,) in gk.query(f"SELECT row_key FROM {view} WHERE template = %s ORDER BY ord", (form,))]


def columns(view):
    return [c for (c,) in gk.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
        " ORDER BY ordinal_position", (view,))]


KEYS = ["agency", "year", "template", "ord", "row_key", "case_rule"]
for name, f in formats.items():
    gk.eq(view_rows("report_application_rows", name),
          [row["key"] for row in f["applications"]["table"]["rows"]],
          f"report_application_rows of the {name} format: the template's rows in order")
    gk.eq(view_rows("report_active_disclosure_rows", name),
          [row["key"] for row in f["active_disclosure"]["rows"]],
          f"report_active_disclosure_rows of the {name} format: the template's rows in order")
    gk.eq([c for c in columns("report_applications") if c not in KEYS],
          [c["key"] for c in f["applications"]["table"]["columns"]],
          f"report_applications' columns are the {name} format's")
    gk.eq([c for c in columns("report_reviews_litigation") if c not in KEYS],
          [c["key"] for c in f["reviews_litigation"]["table"]["columns"]],
          f"report_reviews_litigation's columns are the {name} format's")

ad_cols = []
for f in formats.values():
    for row in f["active_disclosure"]["rows"]:
        ad_cols += [c["key"] for c in row["columns"] if c["key"] not in ad_cols]
gk.eq(sorted(c for c in columns("report_active_disclosure") if c not in KEYS), sorted(ad_cols),
      "report_active_disclosure's columns are the template's, both formats together")

# Section 四's rows come from a VALUES list inside the view: read them back
# for one agency-year.
gk.query("INSERT INTO agg_metric (agency, year, metric, value) VALUES ('tpl-a', 2021, 'decision.licensing', 1)")
rl = [k for (k,) in gk.query("SELECT row_key FROM report_reviews_litigation WHERE agency = 'tpl-a'"
                             " AND year = 2021 AND case_rule = 'filed' ORDER BY ord")]
gk.eq(rl, [row["key"] for row in formats["2021"]["reviews_litigation"]["table"]["rows"]],
      "report_reviews_litigation's rows are the template's, in order")
gk.done()
