#!/usr/bin/python3
"""Releases of the annual report (issue 14, acceptance 2): the seed fixture
published with its prose, `gongkai release` for 2019 freezes it as release 1
with the SHA-256 of its document. Then a correction dated in 2019 arrives
and the prose is edited: release 1 is still served byte for byte (same
SHA-256), the live report says "released": 1, "changed_since_release": true,
and a second release (a correction note) supersedes it. Bad input is refused
naming the field; releases survive a restart; the table refuses UPDATE.
"""
import hashlib
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

GK = gk.bin_path("gongkai")
W = gk.work_dir()
intake, agg = gkagg.seeded()
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("name") == "贵州省生态环境厅", 10, "the name shows")
r = gk.run([GK, "narrative", "set", "--agency", "gz-sthjt", "--year", "2019", "--section", "1", "-"],
           input="2019年，我厅认真贯彻落实《条例》。\n".encode())
gk.check(r.returncode == 0, "section 一 written")

DOC = "/v1/reports/gz-sthjt/2019/document.html"
before_live = agg.get(DOC)[2]
r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", "2019"])
gk.check(r.returncode == 0, "gongkai release 2019", r.stderr)
m = re.search(rb"release 1 of the tables at seq (\d+); document sha256 ([0-9a-f]{64})", r.stdout)
gk.check(m is not None, "it says release 1, the seq and the document's SHA-256", r.stdout)
sha1 = m.group(2).decode()
status, ctype, doc1 = agg.get(DOC + "?release=1")
gk.eq((status, ctype), (200, "text/html; charset=utf-8"), "document.html?release=1")
gk.eq(hashlib.sha256(doc1).hexdigest(), sha1, "release 1's document has the SHA-256 release printed")
gk.eq(doc1, before_live, "release 1 is the document as it was live")
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--release", "1"])
gk.eq((r.returncode, r.stdout), (0, doc1), "gongkai document --release 1 prints the same bytes")
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019", "--release", "7"])
gk.check(r.returncode == 1 and b"no release 7" in r.stderr, "… and says when there is no such release", r.stderr)
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("released") == 1, 10, "the live report says released: 1")
gk.eq(agg.report("gz-sthjt", 2019).get("changed_since_release"), False, "… and not changed since")
status, _, rel_json = agg.get("/v1/reports/gz-sthjt/2019?release=1")
released_tables = json.loads(rel_json)
live = agg.report("gz-sthjt", 2019)
for key in ("active_disclosure", "applications", "reviews_litigation"):
    gk.eq(released_tables[key], live[key], "release 1's JSON: %s as live" % key)

# A correction dated in 2019, published after the release; the prose edited.
fix = {"event_id": "gz-sthjt-late-1", "type": "application_received", "agency": "gz-sthjt",
       "occurred_at": "2019-12-30T10:00:00+08:00", "application_id": "2019-late-1",
       "applicant": "natural_person"}
path = os.path.join(W, "late.jsonl")
with open(path, "w") as f:
    f.write(json.dumps(fix) + "\n")
rc, out, err = gk.publish([path])
gk.check(rc == 0 and "accepted 1" in out, "a correction dated 2019 published", out + err)
agg.wait_caught_up()
r = gk.run([GK, "narrative", "set", "--agency", "gz-sthjt", "--year", "2019", "--section", "1", "-"],
           input="改过的总体情况。\n".encode())
gk.check(r.returncode == 0, "section 一 rewritten")
status, _, doc1_again = agg.get(DOC + "?release=1")
gk.eq(hashlib.sha256(doc1_again).hexdigest(), sha1, "release 1 is served byte-identical after both")
gk.check(agg.get(DOC)[2] != doc1, "the live document has moved on")
rep = agg.report("gz-sthjt", 2019)
gk.eq((rep.get("released"), rep.get("changed_since_release")), (1, True),
      "the live report: released 1, changed_since_release true")
gk.eq(rep["applications"]["rows"][0]["values"][0], live["applications"]["rows"][0]["values"][0] + 1,
      "… with the late receipt counted")
metrics = agg.get("/metrics")[2].decode()
gk.check("\ngongkai_aggregator_reports_released 1\n" in metrics and
         "\ngongkai_aggregator_reports_changed_since_release 1\n" in metrics,
         "/metrics: one report released, one changed since", [l for l in metrics.splitlines() if "release" in l])
status, _, body = agg.get("/v1/reports/gz-sthjt/2019?release=1")
gk.eq(json.loads(body)["applications"], released_tables["applications"], "release 1's tables unchanged")



def flat(rep):
    """Every cell of a report's tables by name (independent of the server's diff)."""
    out = {}
    for row, cols in rep["active_disclosure"].items():
        for col, v in cols.items():
            out["active_disclosure.%s.%s" % (row, col)] = v
    cols = rep["applications"]["columns"]
    for row in rep["applications"]["rows"]:
        for col, v in zip(cols, row["values"]):
            out["applications.%s.%s" % (row["key"], col)] = v
    rl = rep["reviews_litigation"]
    for row, vals in rl.items():
        if isinstance(vals, list) and row != "columns":
            for col, v in zip(rl["columns"], vals):
                out["reviews_litigation.%s.%s" % (row, col)] = v
    return out


want = {k: (v, flat(rep)[k]) for k, v in flat(released_tables).items() if flat(rep)[k] != v}
gk.check(len(want) >= 2, "the late receipt changes some cells (%d)" % len(want))
status, _, body = agg.get("/v1/reports/gz-sthjt/2019/diff?from=release:1&to=live")
got = json.loads(body) if status == 200 else {}
gk.eq({c["cell"]: (c["from"], c["to"]) for c in got.get("changes", [])}, want,
      "diff release:1 → live names exactly the changed cells, with both values")
gk.eq(got.get("changed"), len(want), "… and counts them")
status, _, body = agg.get("/v1/reports/gz-sthjt/2019/diff?from=as_of:2019-12-31&to=release:1")
gk.eq({c["cell"]: (c["to"], c["from"]) for c in json.loads(body).get("changes", [])}, want,
      "diff as_of:2019-12-31 → release:1: the same cells the other way (as_of counts the late receipt: "
      "it is dated 2019-12-30, though published after the release)")
for q, want_err in [("from=x", (400, "bad_side")), ("", (400, "bad_side")),
                    ("from=release:9", (404, "no_release")), ("from=live&to=as_of:2019-02-30", (400, "bad_side"))]:
    status, _, body = agg.get("/v1/reports/gz-sthjt/2019/diff?" + q)
    gk.eq((status, json.loads(body).get("error")), want_err, "diff?%s → %d %s" % (q, want_err[0], want_err[1]))

r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", "2019", "--note", "勘误：补计一件申请"])
gk.check(r.returncode == 0 and b"release 2 " in r.stdout, "a second release supersedes (勘误)", r.stdout + r.stderr)
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("released") == 2, 10, "the live report says released: 2")
doc2 = agg.get(DOC + "?release=2")[2].decode()
gk.check("第 2 版说明：勘误：补计一件申请" in doc2, "release 2's document carries its note under the title")
p2 = os.path.join(W, "release-2.html")
with open(p2, "w") as f:
    f.write(doc2)
r = gk.run([GK, "import-report", "--agency", "gz-sthjt", p2])
gk.check(r.returncode == 0 and json.loads(r.stdout)["applications"]["rows"][0]["values"] ==
         agg.report("gz-sthjt", 2019)["applications"]["rows"][0]["values"],
         "… and still imports to its tables", r.stderr)
gk.eq(agg.report("gz-sthjt", 2019).get("changed_since_release"), False, "… not changed since")
status, _, body = agg.get("/v1/reports/gz-sthjt/2019/releases")
rels = json.loads(body)["releases"]
gk.eq([(x["release"], x["draft"], x["note"]) for x in rels], [(1, False, ""), (2, False, "勘误：补计一件申请")],
      "/releases lists both, with the note")
gk.eq(rels[0]["document_sha256"], sha1, "… release 1 with its SHA-256")
gk.eq(rels[1]["prose_versions"], [2, 0, 0], "… release 2 froze prose version 2 of 一")
status, _, body = agg.get("/v1/reports/gz-sthjt/2019/diff?from=release:1&to=release:2")
gk.eq({c["cell"]: (c["from"], c["to"]) for c in json.loads(body)["changes"]}, want,
      "diff release:1 → release:2: the same cells")
r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", "2019", "--list"])
gk.check(r.returncode == 0 and r.stdout.count(b"\n") == 2 and sha1.encode() in r.stdout, "release --list", r.stdout)

# Two releases at once take turns: numbers 1 and 2, both stored.
import subprocess  # noqa: E402
procs = [subprocess.Popen([GK, "release", "--agency", "gz-sthjt", "--year", "2017", "--note", "n%d" % k],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(2)]
outs = [p.communicate(timeout=60) for p in procs]
gk.check(sorted(p.returncode for p in procs) == [0, 0], "two releases at once both succeed", outs)
gk.eq(sorted(x[0] for x in gk.query("SELECT release FROM report_release WHERE agency = 'gz-sthjt' AND year = 2017")),
      [1, 2], "… as releases 1 and 2")

# Refusals.
year_now = int(gk.query("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int")[0][0])
for args, said in [(["--year", str(year_now)], b"has not ended"),
                   (["--year", "1989"], b"year: \"1989\""),
                   (["--agency", "GZ"], b"agency: \"GZ\""),
                   (["--case-rule", "x"], b"--case-rule \"x\"")]:
    a = {"--agency": "gz-sthjt", "--year": "2019"}
    a.update(dict(zip(args[::2], args[1::2])))
    r = gk.run([GK, "release", *[x for kv in a.items() for x in kv]])
    gk.check(r.returncode == 2 and said in r.stderr, "release refused: %s" % " ".join(args), r.stderr)
r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", str(year_now), "--draft"])
gk.check(r.returncode == 0 and b"(draft)" in r.stdout, "a year not ended is released with --draft", r.stderr)
for p, want in [(DOC + "?release=9", (404, "no_release")), (DOC + "?release=x", (400, "bad_release")),
                (DOC + "?release=0", (400, "bad_release")),
                ("/v1/reports/gz-sthjt/2019?release=1&format=csv", (400, "bad_format")),
                ("/v1/reports/gz-sthjt/2019?release=1&scope=subtree", (400, "bad_scope")),
                ("/v1/reports/gz-sthjt/2019/check?release=1", (400, "bad_format")),
                ("/v1/reports/gz-sthjt/1989/releases", (400, "bad_year"))]:
    status, _, body = agg.get(p)
    gk.eq((status, json.loads(body).get("error")), want, "%s → %d %s" % (p, want[0], want[1]))
status, _, body = agg.get("/v1/reports/gz-sthjt/2018/releases")
gk.eq((status, json.loads(body)["releases"]), (200, []), "a year never released lists none")
try:
    gk.query("UPDATE report_release SET note = 'x'")
    gk.check(False, "report_release refuses UPDATE")
except Exception as e:  # noqa: BLE001 — the refusal is the point
    gk.check("immutable" in str(e), "report_release refuses UPDATE", str(e))

# The compiling office's overview: every agency of the subtree with its state.
for code, name, parent in [("gz", "贵州省", None), ("gz-b", "贵州省乙厅", "gz")]:
    r = gk.run([GK, "agency", "add", code, "--name", name] + (["--parent", parent] if parent else []))
    gk.check(r.returncode == 0, "registered %s" % code, r.stderr)
r = gk.run([GK, "agency", "add", "gz-sthjt", "--name", "贵州省生态环境厅", "--parent", "gz"])
gk.check(r.returncode == 0, "gz-sthjt under gz")


def overview(q):
    status, _, body = agg.get("/v1/agencies/gz/releases?" + q)
    o = json.loads(body) if status == 200 else {}
    return {x["agency"]: (x["state"], x["release"], x["late"]) for x in o.get("agencies", [])}, o


gk.wait_for(lambda: len(overview("year=2019&scope=subtree")[0]) == 3, 10, "the overview lists the subtree")
states, o = overview("year=2019&scope=subtree")
gk.eq(states, {"gz": ("not_released", None, True), "gz-b": ("not_released", None, True),
               "gz-sthjt": ("released", 2, True)},
      "2019: gz-sthjt released (release 2, made after 31 January 2020: late); the others not, and late")
gk.eq((o["deadline"], o["counts"]["late"], o["counts"]["released"]), ("2020-01-31", 3, 1), "… deadline and counts")
gk.eq(overview("year=2019")[0], {"gz": ("not_released", None, True)}, "scope self: the agency alone")
status, _, body = agg.get("/v1/agencies/gz-sthjt/releases?year=%d" % year_now)
gk.eq([(x["state"], x["late"]) for x in json.loads(body)["agencies"]], [("draft", False)],
      "%d: a draft only, and not late (31 January has not come)" % year_now)
fix2 = dict(fix, event_id="gz-sthjt-late-2", application_id="2019-late-2")
with open(path, "w") as f:
    f.write(json.dumps(fix2) + "\n")
rc, out, err = gk.publish([path])
agg.wait_caught_up()
gk.wait_for(lambda: overview("year=2019&scope=subtree")[0].get("gz-sthjt", ("",))[0] == "changed_since_release",
            10, "after one more late event: gz-sthjt changed_since_release")
status, ctype, body = agg.get("/v1/agencies/gz/releases?year=2019&scope=subtree&format=html")
page = body.decode("utf-8")
gk.check(status == 200 and ctype.startswith("text/html") and "贵州省乙厅" in page and
         "/v1/reports/gz-sthjt/2019/document.html?release=2" in page and "发布后有变动" in page,
         "the overview as a page, with each document linked", page[:300])
for q, want in [("", (400, "bad_year")), ("year=1989", (400, "bad_year")), ("year=2019&scope=x", (400, "bad_scope")),
                ("year=2019&format=pdf", (400, "bad_format"))]:
    status, _, body = agg.get("/v1/agencies/gz/releases?" + q)
    gk.eq((status, json.loads(body).get("error")), want, "overview ?%s → %d %s" % (q, want[0], want[1]))

# A restart keeps what it knows of releases.
gk.check(agg.stop() == 0, "the aggregator stops")
agg = gkagg.Aggregator().start()
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("released") == 2, 10, "after a restart: released 2")
gk.eq(hashlib.sha256(agg.get(DOC + "?release=1")[2]).hexdigest(), sha1, "… and release 1 still byte-identical")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")

# A database without report_release (migrated before sql/011): said once, not every second.
db = gk.new_database("release_old")
gk.query("DROP TABLE report_release", dsn=db)
p_feed, p_q, p_http = gk.free_ports(3)
old = gkagg.Aggregator(db=db, feed="tcp://127.0.0.1:%d" % p_feed, query="tcp://127.0.0.1:%d" % p_q,
                       http="127.0.0.1:%d" % p_http, name="old-schema").start()
time.sleep(3.5)
said = old.log_text().count("cannot read the report releases")
gk.eq(said, 1, "an unmigrated database: the releases warning once in 3.5 s of ticks")
gk.check(old.stop() == 0, "that aggregator stops cleanly")
intake.stop()
gk.done()
