#!/usr/bin/python3
"""Heavy readers do not hold the counting back (issue 24).

Open lists, timeliness and /metrics count due dates for every application
they cover: for a country, seconds of work. Here GONGKAI_DEBUG_READ_DELAY_MS
makes each such read last 3 s more where it counts (after it left the lock),
and 10,000 applications open since 2019 give it something to count (up to
?as_of=2100-12-31). For each heavy route: a dashboard's request starts, an
event is published 0.3 s into it, and the event must be applied (the cursor
the aggregator commits, read from PostgreSQL) at least a second before the
request is answered: the writer waits for no reader's counting. On the build
before, which counted under the read lock, the event waited until the
request's counting was done (seconds to 2100, without any delay).
/healthz is polled all along; its latency is reported, not asserted.
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

OPEN = 10000
os.environ["GONGKAI_DEBUG_READ_DELAY_MS"] = "3000"
work = gk.work_dir()
path = os.path.join(work, "open.jsonl")
gkagg.write_jsonl(path, [
    {"event_id": f"rd-{i:06d}", "type": "application_received", "agency": "rd-a",
     "occurred_at": "2019-01-02T12:00:00+08:00", "application_id": f"rd-app-{i}",
     "applicant": "natural_person"} for i in range(OPEN)])

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
rc, out, err = gk.publish([path], timeout=300)
gk.check(rc == 0, "%d applications open since 2019 published (%s)" % (OPEN, out.strip()), err[-300:])
agg.wait_caught_up(timeout=180)

base = "http://" + gk.env("GONGKAI_HTTP")
stop = threading.Event()
health = []


def prober():
    while not stop.is_set():
        t0 = time.monotonic()
        agg.healthz()
        health.append(time.monotonic() - t0)
        time.sleep(0.01)


probe = threading.Thread(target=prober, daemon=True)
probe.start()


def applied_seq():
    return gk.query("SELECT applied_seq FROM agg_cursor WHERE id = 1")[0][0]


routes = ["/v1/reports/rd-a/2100/timeliness?as_of=2100-12-31",
          "/v1/agencies/rd-a/open?as_of=2100-12-31&limit=10",
          "/metrics?agencies=all"]
for k, route in enumerate(routes):
    done = {}

    def request():
        try:
            with urllib.request.urlopen(base + route, timeout=300) as r:
                done["status"] = r.status
                r.read()
        except (OSError, urllib.error.URLError) as e:
            done["error"] = repr(e)
        done["end"] = time.monotonic()

    t = threading.Thread(target=request, daemon=True)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.3)
    one = os.path.join(work, "one-%d.jsonl" % k)
    gkagg.write_jsonl(one, [{"event_id": "rd-late-%d" % k, "type": "decision_made", "agency": "rd-b",
                             "occurred_at": "2020-07-01T12:00:00+08:00",
                             "decision_kind": "licensing", "count": 1}])
    rc, out, err = gk.publish([one], timeout=60)
    gk.check(rc == 0, "an event published 0.3 s into %s" % route, err[-300:])
    seq = gk.query("SELECT seq FROM event_log WHERE event_id = %s", ("rd-late-%d" % k,))[0][0]
    gk.wait_for(lambda: applied_seq() >= seq, 300, "the event applied")
    t_applied = time.monotonic()
    t.join(timeout=300)
    gk.check(done.get("status") == 200, "%s answered" % route, repr(done))
    gk.check(t_applied < done["end"] - 1.0,
             "the event was applied while %s was counting (applied at +%.2f s, answered at +%.2f s)"
             % (route, t_applied - t0, done["end"] - t0))
stop.set()
probe.join(timeout=30)
h = sorted(health)
print("# /healthz during the heavy requests: p99 %.1f ms, max %.1f ms (%d probes)" % (
    h[int(len(h) * 0.99) - 1] * 1000, h[-1] * 1000, len(h)))
r = agg.report("rd-b", 2020)
gk.eq(r["active_disclosure"]["licensing"]["decisions"], len(routes), "the events count")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
