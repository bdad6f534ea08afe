#!/usr/bin/python3
"""The event log read back in chunks read ahead (logread_stream), across
chunk boundaries, and what happens when its end cannot be read (issue 16).

intake rebuilds its state at start by reading the log 20,000 rows at a time,
the next chunk read on a thread while this one is applied; `gongkai verify`
folds the same way. Here:

1. 45,000 events (three chunks, the last a short one) publish, intake
   restarts and takes every one of them back: sending the first and the last
   again gives duplicates with their seqs; verify finds no difference.
2. A row written past the head by something other than intake, leaving a
   hole: intake refuses to start, naming the seq it expected and the seq it
   read to; it does not number on from there.
3. An undecodable row where the hole was: intake refuses to start, naming
   that seq; the read-ahead never applies past it.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

N = 45000
work = gk.work_dir()
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
events = gkagg.gen_events(N, seed=16, prefix="lr", agencies=("lr-a", "lr-b", "lr-c", "lr-d"))
path = os.path.join(work, "events.jsonl")
gkagg.write_jsonl(path, events)
rc, out, err = gk.publish([path], timeout=300)
gk.check(rc == 0 and "accepted %d," % N in out, "%d events published (%s)" % (N, out.strip()), err[-300:])
head = gk.query("SELECT max(seq) FROM event_log")[0][0]
gk.eq(head, N, "the log's head")
agg.wait_caught_up()

# ---- 1. read back across chunks ----------------------------------------------------
intake.stop()
intake.start()
gk.check("head_seq=%d events=%d" % (N, N) in intake.log_text(),
         "intake read all %d events back at start (three chunks)" % N, intake.log_text()[-600:])
again = os.path.join(work, "again.jsonl")
gkagg.write_jsonl(again, [events[0], events[20000], events[-1]])
rc, out, err = gk.publish([again])
gk.check(rc == 0 and "accepted 0, duplicate 3, rejected 0" in out,
         "the first, the 20,001st and the last sent again are duplicates (%s)" % out.strip(), err[-400:])
rc, text = gkagg.verify()
gk.eq(rc, 0, "verify (folding the log 20,000 rows at a time, read ahead) exits 0")
gk.check("0 differences" in text, "verify finds no difference", text[-600:])
intake.stop()
agg.stop()


def insert_row(seq, body_hex):
    gk.query("INSERT INTO event_log (seq, event_id, type, agency, occurred_at, digest, body, event, peer)"
             " VALUES (%s, %s, 'decision_made', 'lr-a', now(), 0, decode(%s, 'hex'), %s, 'test')",
             (seq, "lr-outsider-%d" % seq, body_hex, json.dumps({"written": "by hand"})))


def refused(what, n=[0]):
    """Starts intake on the log as it is; its log once it has exited."""
    n[0] += 1
    name = "refused.%d.log" % n[0]
    p = gk.spawn([gk.bin_path("gongkai-intake")], name,
                 {"GONGKAI_DB": gk.env("GONGKAI_DB"), "GONGKAI_INTAKE": gk.env("GONGKAI_INTAKE"),
                  "GONGKAI_FEED": gk.env("GONGKAI_FEED"), "GONGKAI_INSECURE": "1"})
    gk.wait_for(lambda: p.poll() is not None, 60, "intake exits (%s)" % what)
    gk.check(p.returncode != 0, "intake exits with a failure (%d): %s" % (p.returncode, what))
    with open(os.path.join(work, name), "rb") as f:
        return f.read().decode("utf-8", "replace")


# ---- 2. a hole -----------------------------------------------------------------------
# A valid event's body, written at head + 2 by hand: seq head + 1 is missing.
body = gk.query("SELECT encode(body, 'hex') FROM event_log WHERE seq = 1")[0][0]
insert_row(N + 2, body)
log = refused("a hole")
gk.check('msg="event log has a gap" expected_seq=%d found_seq=%d' % (N + 1, N + 2) in log,
         "the hole is named: seq %d expected, %d found" % (N + 1, N + 2), log[-800:])
gk.check("the event log could not be read to its end" in log and "read_to_seq=%d " % N in log,
         "intake refuses to start, having read to seq %d" % N, log[-800:])
gk.check('msg="intake ready"' not in log, "and never says it is ready", log[-800:])

# ---- 3. an undecodable row -----------------------------------------------------------
insert_row(N + 1, "0a03ff")  # field 1, 3 bytes announced, 1 present
log = refused("an undecodable row")
gk.check('msg="undecodable event in the log" seq=%d' % (N + 1) in log,
         "the undecodable row is named: seq %d" % (N + 1), log[-800:])
gk.check("read_to_seq=%d " % N in log and 'msg="intake ready"' not in log,
         "intake refuses to start, having read to seq %d" % N, log[-800:])
gk.done()
