#!/usr/bin/python3
"""A database error that retrying cannot mend stops the service, loudly (issue 12).

Before, intake and the aggregator retried a batch the database refused for
good (a constraint, a bad value) as fast as they could loop, without backoff
and without PostgreSQL's message. Now such an error is told apart by its
SQLSTATE: it is logged once with PostgreSQL's message, the seq and the
event_id, and the service exits non-zero with a line saying what to do.
Nothing is acknowledged or lost: after the cause is removed, a restart takes
the same events. A log row the current code cannot read (written by another
program) stops both services naming its seq, instead of freezing reports.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

AG = "gz-refuse"


def event(eid, at="2024-03-01T10:00:00+08:00", agency=AG):
    return {"event_id": eid, "type": "decision_made", "agency": agency, "occurred_at": at,
            "decision_kind": "penalty"}


def write(name, evs):
    p = os.path.join(gk.work_dir(), name)
    gkagg.write_jsonl(p, evs)
    return p


def exits(proc, timeout=30):
    """The exit status within timeout, or None if it keeps running."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def refuse(name, table, condition, message, errcode):
    """A refusal only the database knows: a trigger no retry can pass."""
    gk.query("""
CREATE FUNCTION %(n)s() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF %(c)s THEN
        RAISE EXCEPTION %(m)s USING ERRCODE = '%(e)s';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER %(n)s BEFORE INSERT ON %(t)s FOR EACH ROW EXECUTE FUNCTION %(n)s();
""" % {"n": name, "t": table, "c": condition, "m": message, "e": errcode})


refuse("gk_test_refuse", "event_log", "NEW.event_id LIKE 'poison%'",
       "'test: event % is refused by a check', NEW.event_id", "23514")

def doctor():
    r = gk.run([gk.bin_path("gongkai"), "doctor"])
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
rc, out, err = gk.publish([write("ok.jsonl", [event("ok-1")])])
gk.check(rc == 0, "a plain event goes in", out + err)
agg.wait_caught_up()

# --- intake: a batch the database refuses for good --------------------------------
pub = subprocess.Popen([gk.bin_path("gongkai"), "publish", "--endpoint", gk.env("GONGKAI_INTAKE"),
                        "--timeout", "20", write("poison.jsonl", [event("poison-1")])],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
rc = exits(intake.proc, 30)
gk.check(rc == 1, "intake exits 1 instead of retrying for ever (exit %s)" % rc)
if rc is None:
    intake.kill()
log = intake.log_text()
gk.check("sqlstate=23514" in log and "test: event poison-1 is refused by a check" in log,
         "intake logs PostgreSQL's message and SQLSTATE", log[-1500:])
gk.check('first_event_id="poison-1"' in log and "first_seq=2" in log and "action=" in log,
         "intake names the seq and event_id and says what to do", log[-1500:])
gk.check(log.count("retrying cannot help") <= 2,
         "intake said it once, not in a loop (%d times)" % log.count("retrying cannot help"))
out, err = pub.communicate(timeout=60)
gk.check(pub.returncode == 2 and b"accepted 0" in out, "the publisher got no ack (exit %s)" % pub.returncode)
gk.check(gk.query("SELECT count(*) FROM event_log")[0][0] == 1, "nothing of the batch is in the log")

# Cause removed: a restarted intake takes the same event.
gk.query("DROP TRIGGER gk_test_refuse ON event_log")
intake = gk.Intake().start()
rc, out, err = gk.publish([write("poison.jsonl", [event("poison-1")])])
gk.check(rc == 0 and "accepted 1" in out, "after the fix the same event is accepted", out + err)
agg.wait_caught_up()

# --- the aggregator: a batch the database refuses for good --------------------------
refuse("gk_test_refuse_metric", "agg_metric", "NEW.agency = 'gz-refuse-agg'",
       "'test: metric of % refused', NEW.agency", "22003")
rc, out, err = gk.publish([write("agg.jsonl", [event("agg-1", agency="gz-refuse-agg")])])
gk.check(rc == 0, "intake accepts the event the aggregator's database will refuse")
rc = exits(agg.proc, 30)
gk.check(rc == 1, "the aggregator exits 1 instead of retrying for ever (exit %s)" % rc)
if rc is None:
    agg.kill()
log = agg.log_text()
gk.check("sqlstate=22003" in log and "test: metric of gz-refuse-agg refused" in log,
         "the aggregator logs PostgreSQL's message and SQLSTATE", log[-1500:])
gk.check("first_seq=3" in log and 'first_event_id="agg-1"' in log and "action=" in log,
         "the aggregator names the seq and event_id and says what to do", log[-1500:])
gk.check(gk.query("SELECT applied_seq FROM agg_cursor")[0][0] == 2, "agg_cursor stays before the batch")
gk.query("DROP TRIGGER gk_test_refuse_metric ON agg_metric")
agg = gkagg.Aggregator().start()
h = agg.wait_caught_up()
gk.check(h["applied_seq"] == 3, "after the fix a restarted aggregator applies it: %s" % json.dumps(h))
rc, out, err = doctor()
gk.check(rc == 0 and out == "" and "3 rows read, 0 findings" in err, "gongkai doctor: a sound log (exit %d)" % rc,
         out + err)
gk.check(agg.report("gz-refuse-agg", 2024)["active_disclosure"]["penalty"]["decisions"] == 1,
         "and counts it")

# --- transient refusals: retried with backoff, never a tight loop ---------------------
# 40001 (serialization failure) is of a class worth retrying. Before, the
# retry loops of both services spun on a live connection as fast as they could.
refuse("gk_test_transient_metric", "agg_metric", "NEW.agency = 'gz-pending'",
       "'test: busy, try again'", "40001")
rc, out, err = gk.publish([write("pending.jsonl", [event("pending-1", agency="gz-pending")])])
gk.check(rc == 0, "intake accepts an event the aggregator's database keeps refusing for now")
time.sleep(5)
log = agg.log_text()
tries = log.count("batch not committed; retrying")
gk.check(1 <= tries <= 15, "the aggregator retried with backoff, not in a loop (%d tries in 5 s)" % tries)
gk.check(agg.alive(), "and is still running")
status, listing = agg.get_json("/v1/agencies")
codes = [a["agency"] for a in listing["agencies"]]
gk.check("gz-pending" not in codes and AG in codes,
         "an agency whose only batch has not committed is not listed yet: %s" % codes)
gk.query("DROP TRIGGER gk_test_transient_metric ON agg_metric")
agg.wait_caught_up(timeout=30)
status, listing = agg.get_json("/v1/agencies")
gk.check("gz-pending" in [a["agency"] for a in listing["agencies"]], "once committed, it is listed")

refuse("gk_test_transient_log", "event_log", "NEW.event_id LIKE 'transient%'", "'test: busy'", "40001")
pub = subprocess.Popen([gk.bin_path("gongkai"), "publish", "--endpoint", gk.env("GONGKAI_INTAKE"),
                        "--timeout", "60", write("transient.jsonl", [event("transient-1")])],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
time.sleep(5)
tries = intake.log_text().count("batch not committed; will retry")
gk.check(1 <= tries <= 15, "intake retried with backoff, not in a loop (%d tries in 5 s)" % tries)
gk.query("DROP TRIGGER gk_test_transient_log ON event_log")
out, err = pub.communicate(timeout=90)
# In once: accepted, or (when the first answer went to a connection the
# publisher had given up) duplicate on its resend.
gk.check(pub.returncode == 0 and (b"accepted 1," in out or b"duplicate 1," in out)
         and gk.query("SELECT count(*) FROM event_log WHERE event_id = 'transient-1'")[0][0] == 1,
         "then the event goes in, once", out + err)
agg.wait_caught_up(timeout=30)

# --- a log row this build cannot read (written by another program) -----------------
HEAD = gk.query("SELECT max(seq) FROM event_log")[0][0]
ALIEN = HEAD + 1
gk.query("""INSERT INTO event_log (seq, event_id, type, agency, occurred_at, digest, body, event, peer)
            VALUES (%s, 'alien-1', 'decision_made', %s, now(), 0, '\\x0a01', '{}', 'test')""", (ALIEN, AG))
rc, out, err = doctor()
gk.check(rc == 1 and out.startswith("seq %d\talien-1\tbad_protobuf\t" % ALIEN) and len(out.splitlines()) == 1,
         "gongkai doctor lists the unreadable row, and only it (exit %d)" % rc, out + err)
gk.check(gk.query("SELECT count(*) FROM event_log")[0][0] == ALIEN, "doctor changed nothing")
intake.stop()
p = subprocess.Popen([gk.bin_path("gongkai-intake")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     env=dict(os.environ, GONGKAI_INSECURE="1"))
rc = exits(p, 30)
text = p.stdout.read().decode("utf-8", "replace") if rc is not None else ""
if rc is None:
    p.kill()
gk.check(rc is not None and rc != 0 and "seq=%d" % ALIEN in text and "read_to_seq=%d" % HEAD in text,
         "intake refuses to start past the unreadable row and names it (exit %s)" % rc, text[-1500:])
agg.stop()
proc = gk.spawn([gk.bin_path("gongkai-aggregator")], "aggregator-alien.log",
                {"GONGKAI_INSECURE": "1"})
rc = exits(proc, 30)
text = open(os.path.join(gk.work_dir(), "aggregator-alien.log")).read()
if rc is None:
    proc.kill()
gk.check(rc == 1 and "seq=%d" % ALIEN in text and "aggregator stops" in text,
         "the aggregator stops at the unreadable row, naming it (exit %s)" % rc, text[-1500:])
gk.done()
