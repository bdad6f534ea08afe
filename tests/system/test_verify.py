#!/usr/bin/python3
"""gongkai verify: whole-state comparison by digest, under load, and what it
finds (issue 24).

1. After a generated workload, verify compares every agency-year (by
   digest, in pages) and says so, with a progress line on stderr.
2. While another publisher keeps sending events, verify still finishes with
   no difference: each page is compared at the seq the aggregator answered
   at, the recomputation moving forward to it (the version before started
   again on every new event and gave up after five).
3. A difference planted in the aggregator's memory (one metric changed in
   its stored checkpoint, then loaded at start) is found: exit 1, the
   agency-year and the cell named with both values.
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

work = gk.work_dir()
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
path = os.path.join(work, "events.jsonl")
gkagg.write_jsonl(path, gkagg.gen_events(3000, seed=24, prefix="vf", agencies=("vf-a", "vf-b", "vf-c")))
rc, out, err = gk.publish([path], timeout=120)
gk.check(rc == 0, "a workload published (%s)" % out.strip(), err[-300:])
agg.wait_caught_up()

rc, text = gkagg.verify()
gk.eq(rc, 0, "verify exits 0")
gk.check("agency-years compared, no difference" in text and "0 differences" in text,
         "it compared the live state by agency-year and found no difference", text[-800:])
gk.check("verify: compared 3 of 3 agencies" in text, "a progress line names the agencies compared",
         text[-800:])

# ---- 2. under load --------------------------------------------------------------------
stop = threading.Event()
sent = [0]


def publisher():
    k = 0
    while not stop.is_set():
        p = os.path.join(work, "load-%d.jsonl" % k)
        gkagg.write_jsonl(p, [{"event_id": "vf-load-%d-%d" % (k, i), "type": "decision_made",
                               "agency": "vf-load-%d" % (i % 5), "occurred_at": "2022-03-01T10:00:00+08:00",
                               "decision_kind": "penalty", "count": 1} for i in range(200)])
        r, _, _ = gk.publish([p], timeout=60)
        if r == 0:
            sent[0] += 200
        k += 1


t = threading.Thread(target=publisher, daemon=True)
t.start()
gk.wait_for(lambda: sent[0] >= 400, 60, "the load runs")
rc, text = gkagg.verify()
before = sent[0]
stop.set()
t.join(timeout=60)
gk.eq(rc, 0, "verify exits 0 while events keep coming (%d sent meanwhile)" % before)
gk.check("no difference" in text, "no difference under load", text[-800:])
agg.wait_caught_up()

# ---- 3. a planted difference ------------------------------------------------------------
one = os.path.join(work, "one.jsonl")
gkagg.write_jsonl(one, [{"event_id": "vf-planted", "type": "fee_collected", "agency": "vf-t",
                         "occurred_at": "2021-05-01T10:00:00+08:00", "amount_fen": 987654321}])
rc, out, err = gk.publish([one])
gk.check(rc == 0, "a fee with a recognisable amount published", err)
agg.wait_caught_up()
gk.eq(agg.stop(), 0, "the aggregator stops, storing its checkpoint")
old, new = (987654321).to_bytes(8, "little").hex(), (988654321).to_bytes(8, "little").hex()
hits = gk.query("SELECT part, position(decode(%s, 'hex') in data) FROM agg_checkpoint_part"
                " WHERE position(decode(%s, 'hex') in data) > 0", (old, old))
gk.eq(len(hits), 1, "the amount is found in one part of the checkpoint")
part, pos = hits[0]
gk.query("UPDATE agg_checkpoint_part SET data = overlay(data placing decode(%s, 'hex') from %s for 8)"
         " WHERE part = %s", (new, pos, part))
agg = gkagg.Aggregator().start()
gk.check('msg="checkpoint loaded"' in agg.log_text(), "the changed checkpoint is loaded")
agg.wait_caught_up()
rc, text = gkagg.verify()
gk.eq(rc, 1, "verify exits 1")
gk.check('vf-t 2021 (filed): active_disclosure.fee.amount_wan_yuan: log "987.65", aggregator "988.65"'
         in text, "it names the agency-year, the cell and both values", text[-1500:])
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
