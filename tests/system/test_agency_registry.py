#!/usr/bin/python3
"""The agency registry at a country's size (issue 24), and `gongkai agency load`.

Part one, the file: parents may follow their children; a line the table
would refuse (bad code, empty name, itself as parent) is named with its line
and nothing is loaded; a code given twice names both lines; an unknown
parent or a cycle refuses the whole file with PostgreSQL's reason; loading
the same file again changes nothing.

Part two, a country: 100,000 agencies (100 roots, the rest under them) load
in one statement (the row-by-row load was quadratic: 8,000 rows took 7 s,
100,000 never finished), the aggregator starts with them, and after one
`gongkai agency add` an event of the new agency is applied within 10 s and
counts in its parent's subtree (the registry was rebuilt with a linear search
per entry, 49 s at 100,000, on the counting thread, at start and after every
change).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

GK = gk.bin_path("gongkai")
work = gk.work_dir()


def load(text, timeout=120):
    p = os.path.join(work, "agencies.csv")
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    r = gk.run([GK, "agency", "load", p], timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def codes():
    return [c for (c,) in gk.query("SELECT code FROM agency ORDER BY code")]


rc, out, err = load("code,name,parent\nf-dept,厅机关,f-prov\nf-prov,某省,\n")
gk.check(rc == 0 and "loaded 2 agencies" in out, "a child before its parent loads", err)
gk.eq(gk.query("SELECT parent FROM agency WHERE code = 'f-dept'")[0][0], "f-prov", "the parent is kept")
rc, out, err = load("code,name,parent\nf-dept,厅机关,f-prov\nf-prov,某省,\n")
gk.check(rc == 0, "the same file again loads", err)

cases = [
    ("f-new,新,\nBad Code,x,\n", "line 2", "a bad code"),
    ("f-new,新,\nf-x,,\n", "line 2", "an empty name"),
    ("f-new,新,\nf-y,y,f-y\n", "the agency itself", "an agency as its own parent"),
    ("f-new,新,\nf-z,z\nf-new,again,\n", "line 3", "a code given twice"),
    ("f-new,新,f-nowhere\n", "f-nowhere", "an unknown parent"),
    ("f-a,a,f-b\nf-b,b,f-a\n", "cycle", "a cycle"),
]
for text, says, what in cases:
    rc, out, err = load(text)
    gk.check(rc != 0 and says in err, "%s is refused, saying %r" % (what, says), "rc %d: %s" % (rc, err))
    gk.eq(codes(), ["f-dept", "f-prov"], "after %s nothing was loaded" % what)

N = 100000
lines = ["code,name,parent"] + ["nat-%06d,机关%d,%s" % (i, i, "" if i < 100 else "nat-%06d" % (i % 100))
                                for i in range(N)]
rc, out, err = load("\n".join(lines) + "\n", timeout=120)
gk.check(rc == 0 and ("loaded %d agencies" % N) in out, "%d agencies load in one go" % N, err[-500:])

intake = gk.Intake().start()
agg = gkagg.Aggregator().start(timeout=120)
rc = gk.run([GK, "agency", "add", "nat-new", "--name", "新设机关", "--parent", "nat-000007"]).returncode
gk.check(rc == 0, "one more agency added")
ev = os.path.join(work, "ev.jsonl")
gkagg.write_jsonl(ev, [{"event_id": "reg-1", "type": "decision_made", "agency": "nat-new",
                        "occurred_at": "2020-07-01T12:00:00+08:00", "decision_kind": "licensing",
                        "count": 2}])
rc, out, err = gk.publish([ev])
gk.check(rc == 0, "an event of the new agency published", err)
seq = gk.query("SELECT seq FROM event_log WHERE event_id = 'reg-1'")[0][0]
gk.wait_for(lambda: gk.query("SELECT applied_seq FROM agg_cursor")[0][0] >= seq, 10,
            "the event applied within 10 s of the add")


def subtree_decisions():
    st, r = agg.get_json("/v1/reports/nat-000007/2020?scope=subtree")
    return st == 200 and r and r["active_disclosure"]["licensing"]["decisions"]


gk.wait_for(lambda: subtree_decisions() == 2, 10, "the new agency counts in its parent's subtree")
gk.eq(agg.report("nat-new", 2020).get("name"), "新设机关", "the new agency's report carries its name")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
