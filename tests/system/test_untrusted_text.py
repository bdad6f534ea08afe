#!/usr/bin/python3
"""Untrusted text stays text (issue 23).

What clients send is shown escaped (never a raw control character), cut on a
character boundary (never half a UTF-8 sequence), and never read loosely:
- an event_id holding terminal escapes, or a tab and newline, is shown
  escaped by `gongkai publish` and `gongkai rejects` (no forged TSV row);
- HTTP error bodies and the ZeroMQ query's ReportReply.message stay valid
  UTF-8 when they quote a long Chinese value, cut after whole characters;
- years in paths are four digits: "+2019", " 2019" and "02019" are refused;
- the query endpoint refuses a scope it does not know, as HTTP does.
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
base = "http://" + gk.env("GONGKAI_HTTP")


def controls(text):
    return [c for c in text if ord(c) < 0x20 and c not in "\t\n" or 0x7f <= ord(c) < 0xa0]


# --- event ids with escapes, tabs and newlines --------------------------------------
ESC = "\u001b]0;PWNED\u0007\u001b[2J"
hostile = os.path.join(gk.work_dir(), "hostile-ids.jsonl")
with open(hostile, "w") as f:
    for eid in ("x" + ESC, "a\tb\nforged\trow", "c\u009bd"):
        f.write(json.dumps({"event_id": eid, "type": "fee_collected", "agency": "gz-a",
                            "occurred_at": "2019-03-02T10:00:00+08:00", "amount_fen": 1}) + "\n")
rc, out, err = gk.publish([hostile])
gk.check(rc == 1 and "rejected 3" in out, "three events with hostile ids are rejected", out + err)
lines = err.splitlines()
gk.check(not controls(err) and len([l for l in lines if l.startswith("line ")]) == 3,
         "publish shows them escaped, one line each", repr(err[:600]))
gk.check("\\x1b]0;PWNED\\x07" in err and "a\\x09b\\x0aforged" in err and "c\\xc2\\x9bd" in err,
         "as \\xNN text", repr(err[:600]))
r = gk.run([gk.bin_path("gongkai"), "rejects", "--limit", "10"])
text = r.stdout.decode("utf-8", "strict")
rows = text.splitlines()
gk.check(r.returncode == 0 and len(rows) == 3 and all(len(row.split("\t")) == 6 for row in rows),
         "gongkai rejects: three rows of six fields, none forged", repr(text[:800]))
gk.check(not [c for c in text if ord(c) < 0x20 and c not in "\t\n"], "gongkai rejects: no raw control character",
         repr(text[:800]))


# --- long Chinese values are cut on character boundaries ------------------------------
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


for path, code in (("/v1/reports/" + urllib.parse.quote("中" * 30) + "/2019", "bad_agency"),
                   ("/v1/reports/gz-a/2019?format=" + urllib.parse.quote("中" * 20), "bad_format"),
                   ("/v1/reports/gz-a/2019/timeliness?as_of=" + urllib.parse.quote("日" * 30), "bad_as_of")):
    status, body = get(path)
    try:
        j = json.loads(body.decode("utf-8", "strict"))
        msg = j["message"]
        ok = status == 400 and j["error"] == code and "\\x" not in msg and ("中" * 3 in msg or "日" * 3 in msg)
    except (UnicodeDecodeError, ValueError, KeyError) as e:
        ok, j = False, repr(e)
    gk.check(ok, "%s: 400 %s, its message cut after whole characters" % (code, code), repr(body[:300]))

# --- years: four digits, nothing else ------------------------------------------------------
for y in ("+2019", "%202019", "02019", "2019%20", "2e3", "-2019"):
    status, body = get("/v1/reports/gz-a/" + y)
    gk.check(status == 400 and b"bad_year" in body, "year %r is refused: %s" % (y, status), body[:200])
status, body = get("/v1/reports/gz-a/2019")
gk.check(status == 200, "year 2019 is a year")

# --- formats a route does not have are refused, not ignored -----------------------------
for path in ("/v1/reports/gz-a/2019/timeliness?format=csv", "/v1/agencies/gz-a/open?format=md"):
    status, body = get(path)
    gk.check(status == 400 and b"bad_format" in body, "%s: 400 bad_format (%s)" % (path, status), body[:200])

# --- every --help: exit 0, on stdout -------------------------------------------------------
for cmd in ("calendar", "agency", "publish", "report", "verify", "doctor", "check", "import-report",
            "open", "health", "keygen", "migrate", "rejects"):
    r = gk.run([gk.bin_path("gongkai"), cmd, "--help"])
    gk.check(r.returncode == 0 and r.stdout and not r.stderr, "gongkai %s --help: exit 0 on stdout" % cmd,
             "exit %d, stderr %r" % (r.returncode, r.stderr[:200]))

# --- an intake started before `gongkai migrate`: one line per record, and what to do ----
from psycopg2.extensions import make_dsn, parse_dsn  # noqa: E402
params = parse_dsn(gk.env("GONGKAI_DB"))
admin = dict(params, dbname="postgres")
gk.query("CREATE DATABASE unmigrated_23", dsn=make_dsn(**admin))
r = gk.run([gk.bin_path("gongkai-intake")], {"GONGKAI_DB": make_dsn(**dict(params, dbname="unmigrated_23")),
                                              "GONGKAI_INTAKE": "tcp://127.0.0.1:%d" % gk.free_ports(1)[0],
                                              "GONGKAI_FEED": "tcp://127.0.0.1:%d" % gk.free_ports(1)[0]},
           timeout=60)
log = r.stderr.decode("utf-8", "replace") + r.stdout.decode("utf-8", "replace")
gk.check(r.returncode != 0 and "gongkai migrate" in log, "intake without a schema exits naming gongkai migrate",
         log[-800:])
gk.check(all(l.startswith("ts=") for l in log.splitlines() if l.strip()),
         "every record it logged is one line (logfmt)", log[-800:])

# --- gongkai check and import-report: one bounded reader --------------------------------
import resource  # noqa: E402
base_report = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                          "check", "chain-2019.json")))


def check_file(name, data):
    p = os.path.join(gk.work_dir(), name)
    with open(p, "wb") as f:
        f.write(data)
    r = gk.run([gk.bin_path("gongkai"), "check", p])
    return r.returncode, r.stdout.decode("utf-8", "strict") + r.stderr.decode("utf-8", "strict")


evil = dict(base_report, template="\u001b]0;PWNED\u0007")
rc, out = check_file("evil.json", json.dumps(evil).encode())
gk.check("\x1b" not in out and "\\x1b]0;PWNED\\x07" in out, "check shows a hostile string escaped", repr(out[:300]))
for year in (-1, 99999, 1989):
    rc, out = check_file("year.json", json.dumps(dict(base_report, year=year)).encode())
    gk.check(rc == 1 and "structure year" in out, "check: year %d is an error (exit %d)" % (year, rc), out[-300:])
rc, out = check_file("bom.json", b"\xef\xbb\xbf" + json.dumps(base_report).encode())
gk.check(rc == 0 and "0 errors" in out, "check reads a file starting with a UTF-8 BOM", out[-300:])
big = os.path.join(gk.work_dir(), "big.txt")
with open(big, "wb") as f:
    f.truncate(100 << 20)  # 100 MB (sparse)
before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
r = gk.run([gk.bin_path("gongkai"), "import-report", big])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
gk.check(r.returncode == 2 and b"more than 8 MiB" in r.stderr,
         "import-report of 100 MB: refused naming the limit", r.stderr[-300:])
gk.check(peak <= 64 * 1024, "import-report of 100 MB: peak RSS %d KiB of any child so far (<= 64 MiB)" % peak)
os.unlink(big)
status, text = get("/v1/reports/gz-a/2019?format=text")
one = os.path.join(gk.work_dir(), "one.txt")
two = os.path.join(gk.work_dir(), "two.txt")
open(one, "wb").write(text)
open(two, "wb").write(text + b"\n" + text)
r1 = gk.run([gk.bin_path("gongkai"), "import-report", "--year", "2019", one])
r2 = gk.run([gk.bin_path("gongkai"), "import-report", "--year", "2019", two])
gk.check(r1.returncode == 0 and r2.returncode == 1 and b"a second report starts here" in r2.stderr,
         "import-report reads one report, and refuses a file holding two (exit %d, %d)"
         % (r1.returncode, r2.returncode), (r1.stderr + r2.stderr)[-400:])
rc, out = check_file("big.json", b" " * (9 << 20))
gk.check(rc == 2 and "more than 8 MiB" in out, "check of a 9 MiB file: refused naming the limit", out[-300:])

# --- the ZeroMQ query endpoint agrees with HTTP, in valid UTF-8 ------------------------
pb = gk.pb()
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(gk.env("GONGKAI_QUERY"))


def ask(**kw):
    env = pb.Envelope(version=1, report_request=pb.ReportRequest(**kw))
    s.send(env.SerializeToString())
    if not s.poll(10000):
        gk.fatal("no answer from the query endpoint")
    reply = pb.Envelope()
    reply.ParseFromString(s.recv())  # python-protobuf refuses invalid UTF-8 in a string
    return reply.report_reply


r = ask(agency="gz-a", year=2019, scope="bogus")
gk.check(not r.ok and r.error == "bad_scope", "query scope=bogus: bad_scope, as HTTP (%s)" % r.error)
r = ask(agency="gz-a", year=2019, format="中" * 30)
gk.check(not r.ok and r.error == "bad_format" and "中中中" in r.message and "\\x" not in r.message,
         "query with a long Chinese format: bad_format, message cut after whole characters", r.message)
r = ask(agency="中" * 40, year=2019)
gk.check(not r.ok and r.error == "bad_agency", "query with a long Chinese agency: bad_agency", r.message)
s.close()
ctx.term()
agg.stop()
intake.stop()
gk.done()
