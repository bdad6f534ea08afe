#!/usr/bin/python3
"""The aggregator's one lock rule, under load (issue 12).

While a generated workload goes in through intake, HTTP readers hammer every
route that reads shared state (/metrics, /healthz, /v1/agencies, reports,
open lists) and the ZeroMQ query endpoint answers reports: every answer must
be well-formed, the aggregator must keep applying (it catches up to the log's
head), and `gongkai verify` must agree at the end.

Under `make test-tsan` (ThreadSanitizer binaries, TSAN_OPTIONS with
halt_on_error) this is the data-race check of agg.h's rule: a write of shared
state outside the write lock, or a copy of a counter another thread
increments, makes ThreadSanitizer stop the aggregator, which this test sees.
"""
import json
import os
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

AGENCIES = ("thr-a", "thr-b", "thr-c")
events = gkagg.gen_events(6000, seed=12, prefix="thr", agencies=AGENCIES)
path = os.path.join(gk.work_dir(), "threads.jsonl")
gkagg.write_jsonl(path, events)

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
base = "http://" + gk.env("GONGKAI_HTTP")
stop = threading.Event()
bad, answered = [], [0]


def reader(paths):
    while not stop.is_set():
        for p in paths:
            try:
                with urllib.request.urlopen(base + p, timeout=20) as r:
                    body = r.read()
                    if r.status != 200:
                        bad.append((p, r.status))
                    elif p != "/metrics":
                        json.loads(body.decode("utf-8"))
                    answered[0] += 1
            except Exception as e:  # noqa: BLE001 — any failure is a finding
                if not stop.is_set():
                    bad.append((p, repr(e)))


routes = ["/metrics", "/healthz", "/v1/agencies"]
routes += ["/v1/reports/%s/%d" % (a, y) for a in AGENCIES for y in (2019, 2020)]
routes += ["/v1/agencies/%s/open?limit=50" % a for a in AGENCIES]
routes += ["/v1/reports/%s/2020/timeliness" % a for a in AGENCIES]
threads = [threading.Thread(target=reader, args=(routes[i::3],), daemon=True) for i in range(3)]
for t in threads:
    t.start()


def queries():
    while not stop.is_set():
        r = gk.run([gk.bin_path("gongkai"), "report", "--agency", "thr-a", "--year", "2020",
                    "--format", "json"], timeout=60)
        if r.returncode != 0:
            bad.append(("report", r.stderr.decode()[:200]))


q = threading.Thread(target=queries, daemon=True)
q.start()
# In four parts, so the feed, catch-ups and readers interleave.
q4 = (len(events) + 3) // 4
chunks = [events[i * q4:(i + 1) * q4] for i in range(4)]
for i, part in enumerate(chunks):
    p = os.path.join(gk.work_dir(), "threads-%d.jsonl" % i)
    gkagg.write_jsonl(p, part)
    rc, out, err = gk.publish([p], timeout=300)
    gk.check(rc == 0, "part %d published (%s)" % (i, out.strip()), err[-300:])
h = agg.wait_caught_up(timeout=120)
time.sleep(1)
stop.set()
for t in threads:
    t.join(timeout=30)
q.join(timeout=60)
gk.check(not bad, "every answer during the load was well-formed (%d answered)" % answered[0], repr(bad[:5]))
gk.check(agg.alive(), "the aggregator is still running")
log = agg.log_text()
gk.check("ThreadSanitizer" not in log, "no data race reported", log[log.find("ThreadSanitizer") - 200:][:3000])
rc, text = gkagg.verify()
gk.check(rc == 0, "gongkai verify agrees after the load", text[-1500:])
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
