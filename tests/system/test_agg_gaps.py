#!/usr/bin/env python3
"""test_agg_gaps — issue 3, acceptance 4: feed messages are lost, on purpose,
and the aggregator still converges on what the log says (gap repair).

  a. A late subscriber: the aggregator starts after thousands of events were
     published, while intake keeps publishing. It catches up from the log
     (catchups_total moves) and then follows the feed.
  b. SIGSTOP the aggregator through a burst of 10000 events, then SIGCONT. The
     PUB and SUB queues may hold it all or drop some at their high-water
     marks; either way the aggregator ends at the head of the log.
  c. A lossy feed: a proxy between intake's PUB and the aggregator drops every
     other FeedBatch and every heartbeat. Each batch that follows a dropped one
     starts past applied+1: a gap (feed_gaps_total moves, deterministically),
     repaired from the log.
  d. The proxy drops every FeedBatch and lets heartbeats through: the
     aggregator learns the head from the heartbeat alone and catches up
     (catchups_total moves, feed_gaps_total does not).
After each: /healthz lag 0 with applied = head = the log's last seq, and
`gongkai verify` exits 0 (the live reports and the stored metrics equal a
fresh recomputation from the log).
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

work = gk.work_dir()


def log_head():
    return gk.query("SELECT coalesce(max(seq), 0) FROM event_log")[0][0]


def publish(path, what):
    rc, out, err = gk.publish([path], extra=["--timeout", "60"], timeout=180)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    ok = rc == 0 and last.endswith("rejected 0")
    gk.check(ok, f"{what}: published, nothing rejected", f"rc {rc}: {last} {err.strip()[:300]}")
    return ok


def chunks(prefix, seed, n, size):
    """A generated workload of n events as files of `size` events, in order."""
    evs = gkagg.gen_events(n, seed=seed, prefix=prefix)
    paths = []
    for i in range(0, len(evs), size):
        paths.append(gkagg.write_jsonl(os.path.join(work, f"{prefix}-{i // size:03d}.jsonl"),
                                       evs[i:i + size]))
    return paths


def converged(agg, what):
    h = agg.wait_caught_up(120)
    gk.check(h["lag"] == 0 and h["applied_seq"] == h["head_seq"] == log_head(),
             f"{what}: healthz applied = head = log head ({h['applied_seq']}), lag 0")
    rc, out = gkagg.verify(db=agg.db, query=agg.query)
    gk.eq(rc, 0, f"{what}: gongkai verify exits 0 ({out.strip().splitlines()[-1] if out.strip() else ''})")
    if rc != 0:
        print(out[-3000:])


intake = gk.Intake().start()

# ---- a. late subscriber, while intake keeps publishing ---------------------------------------
paths = chunks("gap-a", 21, 8000, 400)
results = []


def publisher():
    for p in paths:
        results.append(publish(p, f"a: {os.path.basename(p)}"))
        time.sleep(0.1)  # pacing only: keeps intake publishing while the aggregator starts


t = threading.Thread(target=publisher, daemon=True)
t.start()
gk.wait_for(lambda: log_head() >= 2000 or not t.is_alive(), 120, "a: 2000 events in the log")
agg = gkagg.Aggregator().start()
started_at, still_publishing = log_head(), t.is_alive()
print(f"# a: aggregator ready with the log at seq {started_at}; intake still publishing: {still_publishing}")
t.join(300)
gk.check(not t.is_alive(), "a: the publisher finished")
gk.check(len(results) == len(paths) and all(results), "a: every chunk published without rejection")
gk.eq(log_head(), 8000, "a: the log holds the 8000 events")
converged(agg, "a")
m = agg.metrics()
gk.check(m["gongkai_aggregator_catchups_total"] >= 1,
         f"a: catchups_total = {m['gongkai_aggregator_catchups_total']:.0f} >= 1 (the start-up catch-up)")
gk.eq(m["gongkai_aggregator_events_applied_total"], 8000.0, "a: 8000 events applied, each once")
print(f"# a: feed_gaps_total {m['gongkai_aggregator_feed_gaps_total']:.0f}, "
      f"catchups_total {m['gongkai_aggregator_catchups_total']:.0f}")

# ---- b. SIGSTOP through a burst ---------------------------------------------------------------
before = m
burst = gkagg.write_jsonl(os.path.join(work, "gap-b.jsonl"), gkagg.gen_events(10000, seed=22, prefix="gap-b"))
agg.pause()
try:
    publish(burst, "b: burst of 10000 events while the aggregator is stopped")
finally:
    agg.resume()
converged(agg, "b")
m = agg.metrics()
gk.eq(m["gongkai_aggregator_events_applied_total"] - before["gongkai_aggregator_events_applied_total"],
      10000.0, "b: the 10000 events applied, each once")
print(f"# b: feed_gaps_total {before['gongkai_aggregator_feed_gaps_total']:.0f} -> "
      f"{m['gongkai_aggregator_feed_gaps_total']:.0f}, catchups_total "
      f"{before['gongkai_aggregator_catchups_total']:.0f} -> {m['gongkai_aggregator_catchups_total']:.0f}")
gk.eq(agg.stop(), 0, "b: aggregator exits 0 on SIGTERM")

# ---- c. a lossy feed: every other batch and every heartbeat dropped --------------------------
port = gk.free_ports(1)[0]
proxy = gkagg.FeedProxy(gk.env("GONGKAI_FEED"), f"tcp://127.0.0.1:{port}").start()
gk.wait_for(lambda: proxy.upstream_seen > 0, 20, "c: the proxy hears intake's feed (a heartbeat)")
state = {"n": 0}


def drop_every_other_batch(kind, env):
    if kind == "heartbeat":
        return False
    if kind == "feed":
        state["n"] += 1
        return state["n"] % 2 == 0  # drop the 1st, 3rd, 5th, ...
    return True


proxy.policy = drop_every_other_batch
agg = gkagg.Aggregator(feed=f"tcp://127.0.0.1:{port}").start()
gk.wait_for(lambda: proxy.subscribed, 20, "c: the aggregator subscribed through the proxy")
before = agg.metrics()
for p in chunks("gap-c", 23, 1200, 40):
    publish(p, f"c: {os.path.basename(p)}")
gk.check(proxy.dropped["feed"] >= 2 and proxy.forwarded["feed"] >= 2,
         f"c: the proxy dropped {proxy.dropped['feed']} and forwarded {proxy.forwarded['feed']} feed batches")
# Until heartbeats flow again, only a later batch can reveal a dropped one.
gk.wait_for(lambda: agg.metrics()["gongkai_aggregator_feed_gaps_total"]
            > before["gongkai_aggregator_feed_gaps_total"], 60, "c: the aggregator detects a feed gap")
proxy.policy = lambda kind, env: True
converged(agg, "c")
m = agg.metrics()
gk.check(m["gongkai_aggregator_feed_gaps_total"] > before["gongkai_aggregator_feed_gaps_total"],
         f"c: feed_gaps_total {before['gongkai_aggregator_feed_gaps_total']:.0f} -> "
         f"{m['gongkai_aggregator_feed_gaps_total']:.0f}")
gk.check(m["gongkai_aggregator_catchups_total"] > before["gongkai_aggregator_catchups_total"],
         "c: the gaps were repaired by catch-ups from the log")
gk.eq(m["gongkai_aggregator_events_applied_total"] - before["gongkai_aggregator_events_applied_total"],
      1200.0, "c: the 1200 events applied, each once, dropped batches included")

# ---- d. every batch dropped, heartbeats only ---------------------------------------------------
proxy.policy = lambda kind, env: kind != "feed"
before = agg.metrics()
dropped0 = proxy.dropped["feed"]
for p in chunks("gap-d", 24, 300, 100):
    publish(p, f"d: {os.path.basename(p)}")
gk.check(proxy.dropped["feed"] > dropped0, f"d: the proxy dropped {proxy.dropped['feed'] - dropped0} feed batches")
converged(agg, "d")
m = agg.metrics()
gk.eq(m["gongkai_aggregator_feed_gaps_total"], before["gongkai_aggregator_feed_gaps_total"],
      "d: no batch arrived, so no gap was seen")
gk.check(m["gongkai_aggregator_catchups_total"] > before["gongkai_aggregator_catchups_total"],
         "d: the heartbeat's head alone made it catch up from the log")
gk.eq(m["gongkai_aggregator_events_applied_total"] - before["gongkai_aggregator_events_applied_total"],
      300.0, "d: the 300 events applied, each once")

# The fixture on top, through the lossy feed, still gives the expected tables.
proxy.policy = drop_every_other_batch
rc, out, err = gk.publish([gk.fixture_path()])
gk.eq(rc, 0, "fixture published through the lossy feed")
proxy.policy = lambda kind, env: True
converged(agg, "fixture")
for y in (2019, 2020):
    with open(os.path.join(gk.env("GONGKAI_SHARED"), "fixtures", "guizhou-eco-2019", f"expected-{y}.json")) as f:
        want = json.load(f)
    d = gkagg.subset_diff(want, agg.report("gz-sthjt", y))
    gk.check(not d, f"gz-sthjt {y} equals expected-{y}.json", "; ".join(d[:10]))

gk.eq(agg.stop(), 0, "aggregator exits 0 on SIGTERM")
proxy.stop()
gk.eq(intake.stop(), 0, "intake exits 0 on SIGTERM")
gk.done()
