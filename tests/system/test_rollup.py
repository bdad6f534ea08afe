#!/usr/bin/env python3
"""test_rollup — issue 8: roll-ups over the agency registry, live.

Three agencies in a two-level hierarchy (prov ← dept-a, prov ← dept-b),
random events for each (and for an unregistered agency that must stay out),
then for every year and both case rules: ?scope=subtree of the parent equals
the sum, cell by cell, of the parent's own table and its children's; a child's
subtree is its own table. Moving dept-b under dept-a changes the sums at once
(within the aggregator's one-second registry poll, no restart): prov's
subtree is unchanged (dept-b is still below it), dept-a's now includes
dept-b's. Moving dept-b out (to a new root) takes it out of prov's sum.
Reports of registered agencies carry "name", and the text form is titled
{name}{year}年政府信息公开工作年度报告. The live /check of the roll-up is clean.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

GK = gk.bin_path("gongkai")
YEARS = range(2018, 2023)


def agency(*args):
    r = gk.run([GK, "agency"] + list(args))
    gk.check(r.returncode == 0, "gongkai agency " + " ".join(args), r.stderr.decode())


def numbers(report):
    """Every number of a report, keyed by section.row.column."""
    out = {}
    for k, row in report["active_disclosure"].items():
        for c, v in row.items():
            out[f"active_disclosure.{k}.{c}"] = v
    cols = report["applications"]["columns"]
    for row in report["applications"]["rows"]:
        for c, v in zip(cols, row["values"]):
            out[f"applications.{row['key']}.{c}"] = v
    rl = report["reviews_litigation"]
    for k in ("review", "litigation_direct", "litigation_after_review"):
        for c, v in zip(rl["columns"], rl[k]):
            out[f"reviews_litigation.{k}.{c}"] = v
    return out


def add(a, b):
    """Cell sums; 万元 cells become [hundredths, parts] since a roll-up rounds
    the exact sum of fen once, and the parts were each rounded already."""
    out = {}
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, (str, list)):
            hx, nx = (x if isinstance(x, list) else [round(float(x) * 100), 1])
            out[k] = [hx + round(float(y) * 100), nx + 1]
        else:
            out[k] = x + y
    return out


def same(want, got):
    if isinstance(want, list):  # each part is off by at most half a hundredth
        hundredths, parts = want
        return abs(round(float(got) * 100) - hundredths) <= parts // 2 + (parts % 2)
    return want == got


def total(agg, codes, year, rule):
    acc = None
    for c in codes:
        n = numbers(agg.report(c, year, case_rule=rule))
        acc = n if acc is None else add(acc, n)
    return acc


def expect_rollup(agg, parent, members, what):
    bad = []
    for y in YEARS:
        for rule in ("filed", "handled"):
            got = numbers(agg.report(parent, y, case_rule=rule, scope="subtree"))
            want = total(agg, members, y, rule)
            diff = [k for k in want if not same(want[k], got[k])]
            if diff:
                bad.append(f"{y}/{rule}: {diff[:3]} e.g. {diff[0]} sum {want[diff[0]]} "
                           f"subtree {got[diff[0]]}")
    return gk.check(not bad, what, "; ".join(bad[:3]))


def main():
    intake = gk.Intake()
    intake.start()
    agg = gkagg.Aggregator()
    agg.start()
    agency("add", "prov", "--name", "某省人民政府")
    agency("add", "dept-a", "--name", "某省甲厅", "--parent", "prov")
    agency("add", "dept-b", "--name", "某省乙厅", "--parent", "prov")
    # The aggregator polls the registry every second.
    gk.wait_for(lambda: agg.report("dept-b", 2020).get("name") == "某省乙厅", 10,
                "the aggregator to load the registry")

    events = gkagg.gen_events(1500, seed=8, prefix="ru",
                              agencies=("prov", "dept-a", "dept-b", "loner"))
    path = os.path.join(gk.work_dir(), "rollup.jsonl")
    gkagg.write_jsonl(path, events)
    rc, out, err = gk.publish([path])
    gk.check(rc == 0, "events published", out + err)
    agg.wait_caught_up()

    sample = numbers(agg.report("dept-b", 2020))
    gk.check(any(v for v in sample.values() if isinstance(v, int)),
             "the generated events fill dept-b's 2020 tables")
    expect_rollup(agg, "prov", ["prov", "dept-a", "dept-b"],
                  "prov subtree = prov + dept-a + dept-b, every cell, years and rules")
    expect_rollup(agg, "dept-a", ["dept-a"], "a leaf's subtree is its own table")
    r = agg.report("prov", 2020, scope="subtree")
    gk.eq(r.get("name"), "某省人民政府", "reports carry the registered name")
    text = agg.get("/v1/reports/prov/2020?format=text&scope=subtree")[2].decode()
    gk.check(text.startswith("某省人民政府2020年政府信息公开工作年度报告"),
             "text title: {name}{year}年政府信息公开工作年度报告", text[:80])
    _, chk = agg.get_json("/v1/reports/prov/2020/check?scope=subtree")
    gk.eq((chk.get("errors"), chk.get("warnings")), (0, 0), "live /check of the roll-up is clean")

    # Move dept-b under dept-a: no restart, the sums follow within the poll.
    agency("add", "dept-b", "--name", "某省乙厅", "--parent", "dept-a")
    want = total(agg, ["dept-a", "dept-b"], 2020, "filed")
    gk.wait_for(lambda: all(same(want[k], v) for k, v in
                            numbers(agg.report("dept-a", 2020, scope="subtree")).items()), 10,
                "dept-a's subtree to include dept-b after the move")
    gk.check(True, "moving dept-b under dept-a changes dept-a's sums without a restart")
    expect_rollup(agg, "dept-a", ["dept-a", "dept-b"], "dept-a subtree = dept-a + dept-b")
    expect_rollup(agg, "prov", ["prov", "dept-a", "dept-b"], "prov still sums all three")

    # Move dept-b out to a root of its own: prov's sums lose it.
    agency("add", "dept-b", "--name", "某省乙厅")
    want = total(agg, ["prov", "dept-a"], 2020, "filed")
    gk.wait_for(lambda: all(same(want[k], v) for k, v in
                            numbers(agg.report("prov", 2020, scope="subtree")).items()), 10,
                "prov's subtree to drop dept-b")
    expect_rollup(agg, "prov", ["prov", "dept-a"], "after moving dept-b out, prov = prov + dept-a")
    agg.stop()
    intake.stop()
    gk.done()


if __name__ == "__main__":
    main()
