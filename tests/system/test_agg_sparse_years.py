#!/usr/bin/python3
"""Memory follows what is counted, not the span of years (issue 24).

2,000 agencies, each with one event in 1991 and one in 2099: the
aggregator's resident memory grows by at most 10 KB per agency (it held
every year between the two, every metric of each: ~212 KB per agency, and
427 MB became 852 MB). A restart from its checkpoint gives the same reports.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

N = 2000


def rss_kb(proc):
    with open("/proc/%d/status" % proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
warm = os.path.join(gk.work_dir(), "warm.jsonl")
gkagg.write_jsonl(warm, [{"event_id": "sp-warm", "type": "decision_made", "agency": "sp-warm",
                          "occurred_at": "2020-01-02T10:00:00+08:00", "decision_kind": "penalty",
                          "count": 1}])
gk.publish([warm])
agg.wait_caught_up()
before = rss_kb(agg.proc)
events = []
for i in range(N):
    for y in (1991, 2099):
        events.append({"event_id": "sp-%d-%d" % (i, y), "type": "decision_made", "agency": "sp-%04d" % i,
                       "occurred_at": "%d-06-01T10:00:00+08:00" % y, "decision_kind": "licensing",
                       "count": 1 + i % 7})
path = os.path.join(gk.work_dir(), "years.jsonl")
gkagg.write_jsonl(path, events)
rc, out, err = gk.publish([path], timeout=120)
gk.check(rc == 0, "%d agencies with events in 1991 and 2099 published (%s)" % (N, out.strip()), err[-300:])
agg.wait_caught_up()
after = rss_kb(agg.proc)
per = (after - before) * 1024 / N
gk.check(per <= 10 * 1024, "the aggregator grew by %.0f bytes per agency (at most 10 KB)" % per,
         "RSS %d KiB before, %d KiB after" % (before, after))
r1991, r2099 = agg.report("sp-0005", 1991), agg.report("sp-0005", 2099)
gk.eq((r1991["active_disclosure"]["licensing"]["decisions"], r2099["active_disclosure"]["licensing"]["decisions"]),
      (6, 6), "both years count")
gk.eq(agg.stop(), 0, "the aggregator stops, storing its checkpoint")
agg = gkagg.Aggregator().start()
gk.eq(agg.report("sp-0005", 2099)["active_disclosure"]["licensing"]["decisions"], 6,
      "after a restart from the checkpoint too")
gk.eq(agg.report("sp-0005", 2050)["active_disclosure"]["licensing"]["decisions"], 0,
      "and a year between counts nothing")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
