#!/usr/bin/python3
"""A CLI command that waits on a service says so while it waits (issue 22).

With nothing listening (intake, the aggregator's query endpoint) or a
listener that accepts and never answers (the aggregator's HTTP port), each
of `publish`, `report`, `open` and `health` prints one line on stderr naming
the endpoint and what to check, *while the command is still waiting*, then
gives up after its documented timeout with its documented exit code.
"""
import os
import socket
import subprocess
import threading

import gk

GK = gk.bin_path("gongkai")
port_in, port_q, port_feed = gk.free_ports(3)
INTAKE = "tcp://127.0.0.1:%d" % port_in
QUERY = "tcp://127.0.0.1:%d" % port_q
FEED = "tcp://127.0.0.1:%d" % port_feed

# An HTTP port that accepts connections and never answers (a stuck aggregator).
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(16)
SILENT = "127.0.0.1:%d" % silent.getsockname()[1]
held = []
threading.Thread(target=lambda: [held.append(silent.accept()) for _ in range(16)], daemon=True).start()


def waits(args, stdin=None):
    """Runs args; returns (exit code, stderr lines, whether the waiting line
    came while the process was still running, i.e. before it gave up)."""
    p = subprocess.Popen([GK] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if stdin is not None:
        p.stdin.write(stdin)
    p.stdin.close()
    lines, early = [], False
    for line in p.stderr:
        lines.append(line.rstrip("\n"))
        if "is gongkai-" in line and "running? (make run starts it)" in line and "no answer" in line:
            early = early or p.poll() is None
    rc = p.wait(timeout=120)
    p.stdout.close()
    return rc, lines, early


def waiting_line(lines, service, endpoint, program):
    want = "no answer from %s at %s after" % (service, endpoint)
    hits = [l for l in lines if want in l and ("is %s running? (make run starts it)" % program) in l]
    return len(hits) == 1


ev = '{"event_id":"w-1","type":"application_received","agency":"a","occurred_at":"2024-01-02T10:00:00+08:00"}\n'
CASES = [  # what, args, stdin, exit code, service, endpoint, program
    ("publish with no intake listening", ["publish", "--endpoint", INTAKE, "--timeout", "12"], ev,
     2, "intake", INTAKE, "gongkai-intake"),
    ("report with no aggregator", ["report", "--endpoint", QUERY, "--agency", "a", "--year", "2024"],
     None, 2, "the aggregator", QUERY, "gongkai-aggregator"),
    ("open against a silent HTTP port", ["open", "--http", SILENT, "--agency", "a"], None,
     2, "the aggregator", SILENT, "gongkai-aggregator"),
    ("health --http against a silent HTTP port", ["health", "--http", SILENT, "--timeout", "4"], None,
     1, "the aggregator", SILENT, "gongkai-aggregator"),
    ("health --feed with no intake", ["health", "--feed", FEED, "--timeout", "4"], None,
     1, "intake", FEED, "gongkai-intake"),
]
for what, args, stdin, want_rc, service, endpoint, program in CASES:
    rc, lines, early = waits(args, stdin=stdin)
    gk.check(rc == want_rc, "%s: exits %d after its timeout (exit %d)" % (what, want_rc, rc))
    gk.check(waiting_line(lines, service, endpoint, program) and early,
             "%s: says once, while it waits, that %s does not answer" % (what, service),
             "\n".join(lines))

# Refused at once: no wait, but the same advice in the error.
free = gk.free_ports(1)[0]
r = subprocess.run([GK, "open", "--http", "127.0.0.1:%d" % free, "--agency", "a"],
                   capture_output=True, text=True, timeout=30)
gk.check(r.returncode == 2 and "is gongkai-aggregator running?" in r.stderr,
         "open against a closed port exits 2 and says what to check", r.stderr)
# Input that cannot be read is a usage error (exit 2), found before anything
# is sent (issue 12: a directory used to give "accepted 0 …" and exit 0).
good = os.path.join(gk.work_dir(), "one.jsonl")
with open(good, "w") as f:
    f.write(ev)
for args, what in (([gk.work_dir()], "a directory"), ([good, gk.work_dir()], "a file, then a directory"),
                   ([good, "/nonexistent.jsonl"], "a file, then a missing one")):
    r = subprocess.run([GK, "publish", "--endpoint", INTAKE, "--timeout", "5"] + args,
                       capture_output=True, text=True, timeout=60)
    gk.check(r.returncode == 2 and args[-1] in r.stderr and "no answer" not in r.stderr,
             "publish of %s exits 2 naming it, before sending anything" % what, r.stderr)
gk.done()
