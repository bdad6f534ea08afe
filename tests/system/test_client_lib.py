#!/usr/bin/python3
"""libgongkai-client, installed and used as a department's engineer would (issue 17).

`make install DESTDIR=ROOT`, then examples/publish.c is built against the
installed library with pkg-config (shared) and against its static archive;
both publish the seed fixture, and their acknowledgements are compared with
what `gongkai publish` gets for the same file. Then what the library does at
the protocol's limits, through `gongkai publish` (the same code):
- events near the 64 KiB maximum: Submits are split below intake's 4 MiB
  message limit (one Submit of 500 such events was refused whole, forever);
- the 64 KiB limit exactly: 65,536 bytes is an event, 65,537 too_large;
- a rejection in a long first file is named with that file while a second
  one is read ahead (it was named with the second);
- a window above intake's 2000 is refused at once, naming it.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
W = gk.work_dir()
ROOT = os.path.join(W, "root")
PREFIX = "/usr/local"

MAKE_ENV = gk.make_env()  # the release build, whatever make runs this test
r = subprocess.run(["make", "-s", "-C", REPO, "install", "DESTDIR=" + ROOT, "PREFIX=" + PREFIX,
                    "SHARED=" + gk.env("GONGKAI_SHARED")], capture_output=True, text=True, timeout=900,
                   env=MAKE_ENV)
gk.check(r.returncode == 0, "make install DESTDIR=… installs", (r.stdout + r.stderr)[-2000:])
lib = ROOT + PREFIX + "/lib"
for f in ("libgongkai-client.so", "libgongkai-client.so.1", "libgongkai-client.a",
          "pkgconfig/gongkai-client.pc"):
    gk.check(os.path.exists(os.path.join(lib, f)), "installed: lib/" + f)
gk.check(os.path.exists(ROOT + PREFIX + "/include/gongkai/client.h"), "installed: include/gongkai/client.h")

pc_env = dict(os.environ, PKG_CONFIG_PATH=lib + "/pkgconfig", PKG_CONFIG_SYSROOT_DIR=ROOT)
flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gongkai-client"], env=pc_env,
                       capture_output=True, text=True)
gk.check(flags.returncode == 0 and "-lgongkai-client" in flags.stdout,
         "pkg-config --cflags --libs gongkai-client: %s" % flags.stdout.strip(), flags.stderr)
example = os.path.join(REPO, "examples", "publish.c")
shared_bin, static_bin = os.path.join(W, "publish-shared"), os.path.join(W, "publish-static")
cc = ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror"]
r = subprocess.run(cc + [example, "-o", shared_bin] + flags.stdout.split(), capture_output=True, text=True)
gk.check(r.returncode == 0, "examples/publish.c builds against the installed shared library", r.stderr)
deps = subprocess.run(["pkg-config", "--libs", "libzmq", "libczmq", "libprotobuf-c"],
                      capture_output=True, text=True).stdout.split()
r = subprocess.run(cc + ["-I" + ROOT + PREFIX + "/include", example, "-o", static_bin,
                         lib + "/libgongkai-client.a"] + deps, capture_output=True, text=True)
gk.check(r.returncode == 0, "… and against its static archive", r.stderr)
ldd = subprocess.run(["ldd", static_bin], capture_output=True, text=True).stdout
gk.check("gongkai-client" not in ldd, "the static build needs no libgongkai-client.so", ldd)

intake = gk.Intake().start()
ep = gk.env("GONGKAI_INTAKE")
fixture = gk.fixture_path()
with open(fixture, "rb") as f:
    fixture_bytes = f.read()
lines = [l for l in fixture_bytes.decode().split("\n")]
nonblank = sum(1 for l in lines if l.strip())


def example_run(binary, data, what):
    e = dict(os.environ, GONGKAI_INSECURE="1", LD_LIBRARY_PATH=lib)
    p = subprocess.run([binary, ep], input=data, capture_output=True, env=e, timeout=300)
    out = p.stdout.decode().splitlines()
    acks = {}
    for l in out[:-1]:
        ref, status, seq, event_id = l.split(" ")[:4]
        if ref in acks:
            gk.check(False, "%s: line %s answered once" % (what, ref))
        acks[ref] = (status, int(seq), event_id)
    return p.returncode, acks, out[-1] if out else "", p.stderr.decode()


rc, first, summary, err = example_run(shared_bin, fixture_bytes, "shared, first")
gk.check(rc in (0, 1) and len(first) == nonblank,
         "the example (shared) publishes the seed: %s, %d acks for %d events" % (summary, len(first), nonblank),
         err[-1500:])
accepted = {k: v for k, v in first.items() if v[0] == "accepted"}
gk.check(all(v[1] > 0 for v in accepted.values()), "every accepted ack carries its seq")
for k, (status, seq, eid) in first.items():
    want = json.loads(lines[int(k) - 1]).get("event_id", "-") if status != "rejected" else eid
    if eid != want:
        gk.check(False, "line %s: the ack names its event (%s, want %s)" % (k, eid, want))
        break

rc, out, err = gk.publish([fixture])
n_ok = sum(1 for v in first.values() if v[0] != "rejected")
gk.check("accepted 0, duplicate %d, rejected %d" % (n_ok, len(first) - n_ok) in out,
         "gongkai publish of the same file: every accepted one is a duplicate (%s)" % out.strip(), err[-800:])

rc, again, summary, err = example_run(static_bin, fixture_bytes, "static, again")
same = all(again.get(k, ("", 0, ""))[1:] == v[1:] and again[k][0] == "duplicate"
           for k, v in accepted.items())
gk.check(same and len(again) == len(first),
         "the example (static) again: every event a duplicate with the seq of its first ack (%s)" % summary,
         err[-800:])

# Events near the maximum: 120 of them are 7 MiB, more than one Submit may hold.
big = os.path.join(W, "big.jsonl")
with open(big, "w") as f:
    for i in range(120):
        ev = {"event_id": "big-%03d" % i, "type": "application_received", "agency": "gz-big",
              "occurred_at": "2024-03-01T10:00:00+08:00", "application_id": "big-%03d" % i,
              "applicant": "natural_person"}
        line = json.dumps(ev)
        f.write(line[:-1] + " " * (60000 - len(line)) + "}\n")
rc, out, err = gk.publish([big], extra=["--timeout", "20"], timeout=120)
gk.check(rc == 0 and "accepted 120, duplicate 0, rejected 0" in out,
         "120 events of 60,000 bytes (7 MiB) are all accepted: %s" % out.strip(), err[-800:])

# The limit itself: a line of exactly 65,536 bytes (without its newline) is an
# event, 65,537 is too_large, named with its line (PROTOCOL.md, limits).
edge = os.path.join(W, "edge.jsonl")
with open(edge, "w") as f:
    for i, size in enumerate((65536, 65537, 65535), 1):
        line = json.dumps({"event_id": "edge-%d" % i, "type": "application_received", "agency": "gz-edge",
                           "occurred_at": "2024-03-01T10:00:00+08:00", "application_id": "edge-%d" % i,
                           "applicant": "natural_person"})
        line = line[:-1] + " " * (size - len(line)) + "}"
        assert len(line.encode()) == size
        f.write(line + "\n")
rc, out, err = gk.publish([edge])
gk.check(rc == 1 and "accepted 2, duplicate 0, rejected 1" in out,
         "lines of 65,536, 65,537 and 65,535 bytes: two accepted, one rejected (%s)" % out.strip(), err)
gk.check(any(l.startswith("line 2: ") and ": too_large: " in l and "65537 bytes, at most 65536" in l
             for l in err.splitlines()),
         "the 65,537-byte line is too_large, named with its line", err)
rows = gk.query("SELECT event_id FROM event_log WHERE event_id LIKE 'edge-%' ORDER BY seq")
gk.check([r[0] for r in rows] == ["edge-1", "edge-3"], "the log holds the 65,536- and 65,535-byte events",
         rows)

# A rejection deep in a first file, while the second is read ahead.
a, b = os.path.join(W, "a.jsonl"), os.path.join(W, "b.jsonl")
with open(a, "w") as f:
    for i in range(1, 41):
        if i == 35:
            f.write('{"event_id":"a-bad","type":"no_such_type","agency":"gz-ab"}\n')
        else:
            f.write(json.dumps({"event_id": "a-%d" % i, "type": "application_received", "agency": "gz-ab",
                                "occurred_at": "2024-03-01T10:00:00+08:00", "application_id": "a-%d" % i,
                                "applicant": "natural_person"}) + "\n")
with open(b, "w") as f:
    f.write(json.dumps({"event_id": "b-1", "type": "application_received", "agency": "gz-ab",
                        "occurred_at": "2024-03-01T10:00:00+08:00", "application_id": "b-1",
                        "applicant": "natural_person"}) + "\n")
rc, out, err = gk.publish([a, b], extra=["--window", "10"])
gk.check(rc == 1 and "accepted 40, duplicate 0, rejected 1" in out, "two files: %s" % out.strip(), err)
gk.check(("%s: line 35: a-bad:" % a) in err, "the rejection is named with its file and line", err)

r = gk.run([gk.bin_path("gongkai"), "publish", "--endpoint", ep, "--window", "2001", a])
gk.check(r.returncode == 2 and b"--window must be 1 to 2000" in r.stderr,
         "--window 2001 is refused at once, naming intake's window", r.stderr.decode())

intake.stop()
gk.done()
