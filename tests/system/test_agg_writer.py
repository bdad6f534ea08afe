#!/usr/bin/python3
"""Readers cannot hold the counting back (issue 12: the lock rule; issue 24).

An agency with 40,000 open applications makes every read of its open list,
its timeliness and /metrics heavy. Eight dashboards request them back to back
without pause, so that at every moment some reader is inside the aggregator.
One event published in the middle of that must still be applied while the
readers go on: the writer gets the lock after the readers already in, not
after the stream of readers ends (a reader-preferring lock, or an open list
rendered whole under the read lock, kept it out for as long as the readers
lasted — 60 s here, the test's limit, when the rule was not kept).
"""
import os
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

OPEN = 40000
work = gk.work_dir()
path = os.path.join(work, "open.jsonl")
gkagg.write_jsonl(path, [
    {"event_id": f"wr-{i:06d}", "type": "application_received", "agency": "wr-a",
     "occurred_at": "2020-06-01T12:00:00+08:00", "application_id": f"wr-app-{i}",
     "applicant": "natural_person"} for i in range(OPEN)])

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
rc, out, err = gk.publish([path], timeout=300)
gk.check(rc == 0, "%d open applications published (%s)" % (OPEN, out.strip()), err[-300:])
agg.wait_caught_up(timeout=180)

base = "http://" + gk.env("GONGKAI_HTTP")
routes = ["/v1/agencies/wr-a/open", "/v1/reports/wr-a/2020/timeliness", "/metrics"]
stop = threading.Event()
answered = [0]
lock = threading.Lock()


def reader(i):
    k = i
    while not stop.is_set():
        p = routes[k % len(routes)]
        k += 1
        try:
            with urllib.request.urlopen(base + p, timeout=120) as r:
                r.read()
        except (OSError, urllib.error.URLError):
            pass  # a refusal is not what this test is about; the feed is
        with lock:
            answered[0] += 1


threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(8)]
for t in threads:
    t.start()
gk.wait_for(lambda: answered[0] >= 8, 120, "the readers are answered")

one = os.path.join(work, "one.jsonl")
gkagg.write_jsonl(one, [{"event_id": "wr-late", "type": "decision_made", "agency": "wr-b",
                         "occurred_at": "2020-07-01T12:00:00+08:00",
                         "decision_kind": "licensing", "count": 3}])
rc, out, err = gk.publish([one], timeout=60)
gk.check(rc == 0, "one event published while the readers go on (%s)" % out.strip(), err[-300:])
seq = gk.query("SELECT seq FROM event_log WHERE event_id = 'wr-late'")[0][0]
before = answered[0]


def applied():
    h = agg.healthz()
    return h is not None and h["applied_seq"] >= seq


t0 = time.monotonic()
ok = True
while not applied():
    if time.monotonic() - t0 > 60 or not agg.alive():
        ok = False
        break
    time.sleep(0.05)
gk.check(ok, "the event was applied while the readers went on",
         "applied_seq still below %d after 60 s of readers: %r" % (seq, agg.healthz()))
# The readers went on all along: answered before the event (above) and after.
gk.wait_for(lambda: answered[0] > before, 120, "the readers answered after the event too")
stop.set()
for t in threads:
    t.join(timeout=150)
r = agg.report("wr-b", 2020)
gk.eq(r["active_disclosure"]["licensing"]["decisions"], 3, "the event counts in wr-b's 2020 report")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
