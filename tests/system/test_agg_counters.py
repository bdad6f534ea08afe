#!/usr/bin/python3
"""Request counters against /metrics while the writer is idle (issue 12).

ZeroMQ report queries (counted by the thread that serves them) and HTTP
/metrics (which copies the counters) go on concurrently while no event
arrives, so nothing else orders the two threads: under `make test-tsan` a
counter written without an atomic or the lock is a reported race. In any
build, /metrics must count every query answered.
"""
import os
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

events = gkagg.gen_events(200, seed=7, prefix="ctr", agencies=("ctr-a",))
path = os.path.join(gk.work_dir(), "ctr.jsonl")
gkagg.write_jsonl(path, events)
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
rc, out, err = gk.publish([path], timeout=120)
gk.check(rc == 0, "published (%s)" % out.strip(), err[-300:])
agg.wait_caught_up(timeout=60)
base = "http://" + gk.env("GONGKAI_HTTP")
stop = threading.Event()
bad, served = [], [0]


def metrics_reader():
    while not stop.is_set():
        try:
            with urllib.request.urlopen(base + "/metrics", timeout=20) as r:
                r.read()
        except Exception as e:  # noqa: BLE001
            bad.append(repr(e))


def queries():
    while not stop.is_set():
        r = gk.run([gk.bin_path("gongkai"), "report", "--agency", "ctr-a", "--year", "2020",
                    "--format", "json"], timeout=60)
        if r.returncode != 0:
            bad.append(r.stderr.decode()[:200])
        else:
            served[0] += 1


def query_total():
    with urllib.request.urlopen(base + "/metrics", timeout=20) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("gongkai_aggregator_query_requests_total "):
                return int(float(line.split()[1]))
    return None


before = query_total()
ts = [threading.Thread(target=metrics_reader, daemon=True) for _ in range(2)]
ts += [threading.Thread(target=queries, daemon=True) for _ in range(2)]
for t in ts:
    t.start()
time.sleep(float(os.environ.get("GONGKAI_COUNTERS_SECONDS", "10")))
stop.set()
for t in ts:
    t.join(timeout=60)
gk.check(not bad, "every query and /metrics answered (%d queries)" % served[0], repr(bad[:3]))
gk.check(agg.alive(), "the aggregator is still running")
log = agg.log_text()
gk.check("ThreadSanitizer" not in log, "no data race reported", log[log.find("ThreadSanitizer") - 200:][:3000])
after = query_total()
gk.check(after is not None and before is not None and after - before == served[0],
         "/metrics counted every query (%s → %s, %d served)" % (before, after, served[0]))
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
