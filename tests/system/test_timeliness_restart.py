#!/usr/bin/env python3
"""test_timeliness_restart — the timeliness state survives the aggregator's
checkpoint.

The aggregator loads its checkpoint (agg_checkpoint) at start and replays
only the log after it, so whatever it keeps in memory must be in the
checkpoint: the open list (GET /v1/agencies/{a}/open) and the timeliness
reports (GET /v1/reports/{a}/{y}/timeliness) come from the timeliness state,
which is saved with the ledger and the metrics at the same seq.

  1. Timeliness events of every type (and a generated workload of other
     events) go to intake; the aggregator applies them; every open list and
     timeliness report, for three agencies, self and subtree, several as_of
     days and years, is taken as the reference.
  2. SIGTERM: the aggregator stores a checkpoint at the log's head. Started
     again, it loads it (nothing to replay), and every answer is
     byte-identical to the reference, /metrics' open and overdue gauges too.
  3. More events, some on applications the checkpoint holds (answers,
     grants, the end of consultations, a corrected 补正): the answers
     change. SIGKILL (no checkpoint at shutdown): the next start loads the
     older checkpoint, replays the tail on top of it, and answers as the
     aggregator did before the kill.
  4. A checkpoint of another format (the number the format before this one
     had) is ignored: the whole log is replayed, and the answers are the
     same again.
"""

import datetime as dt
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

GK = gk.bin_path("gongkai")
W = gk.work_dir()
CITY, DEPT, PROV = "tr-city", "tr-dept", "tr-prov"
AGENCIES = (CITY, DEPT, PROV)
EVENTS = []  # the next events to publish
NUMBER = [0]  # events made so far, for their ids


def ev(typ, agency, day, **f):
    NUMBER[0] += 1
    e = {"event_id": f"tr-{NUMBER[0]:05d}", "type": typ, "agency": agency,
         "occurred_at": f"{day.isoformat()}T10:00:00+08:00"}
    e.update(f)
    EVENTS.append(e)
    return e


# ---- the workload ---------------------------------------------------------------------

rng = random.Random(20251126)
D0 = dt.date(2024, 10, 1)
LAST = dt.date(2025, 12, 31)


def after(d, lo, hi):
    return min(d + dt.timedelta(days=rng.randint(lo, hi)), LAST)


# What phase 3 may add to: per application, its receipt, whether it was
# answered, granted days, open consultations, a pending 补正 notice.
APPS = []


def application(agency, aid):
    """One application's events, in date order, all on or after the receipt."""
    r = D0 + dt.timedelta(days=rng.randrange((LAST - D0).days + 1))
    a = {"agency": agency, "id": aid, "received": r, "last": r, "answered": False,
         "granted": 0, "open_consult": [], "supp_open": False}
    ev("application_received", agency, r, application_id=aid,
       applicant=rng.choice(gkagg.APPLICANTS))
    d = r
    x = rng.random()
    if x < 0.2:  # 补正: notice, and mostly the corrected application
        d = after(d, 0, 12)
        ev("supplement_requested", agency, d, application_id=aid)
        if rng.random() < 0.7:
            d = after(d, 1, 20)
            ev("supplement_received", agency, d, application_id=aid)
        else:
            a["supp_open"] = True
    if rng.random() < 0.25:  # extensions, 20 working days at most in all
        for _ in range(rng.choice([1, 1, 2])):
            n = rng.randint(1, 20 - a["granted"]) if a["granted"] < 20 else 0
            if not n:
                break
            d = after(d, 1, 15)
            ev("extension_granted", agency, d, application_id=aid, working_days=n)
            a["granted"] += n
    if rng.random() < 0.2:  # consultations, some overlapping, some still open
        for k in range(rng.choice([1, 2])):
            cid = f"k{k}"
            s = after(d, 0, 10)
            ev("consultation_started", agency, s, application_id=aid, consultation_id=cid)
            d = s
            if rng.random() < 0.7:
                d = after(s, 0, 20)
                ev("consultation_ended", agency, d, application_id=aid, consultation_id=cid)
            else:
                a["open_consult"].append((cid, s))
    if rng.random() < 0.1:  # article 35
        d = after(d, 0, 10)
        ev("deadline_set", agency, d, application_id=aid, due=after(d, 20, 90).isoformat())
    if rng.random() < 0.1:  # a correction of the article 35 date (the later one wins)
        d = after(d, 0, 5)
        ev("deadline_set", agency, d, application_id=aid, due=after(d, 30, 60).isoformat())
    if rng.random() < 0.6:
        d = after(d, 0, 60)
        ev("application_resolved", agency, d, application_id=aid,
           outcome=rng.choice(gkagg.OUTCOMES))
        a["answered"] = True
    a["last"] = d
    APPS.append(a)


for i in range(400):
    application(AGENCIES[i % 3], f"t{i}")
# The same id in two agencies: two applications.
for agency in (CITY, DEPT):
    application(agency, "same-id")
# Other events (and applications) in other years, as in real logs.
OTHER = gkagg.gen_events(600, seed=7, prefix="trg", agencies=AGENCIES)


# ---- what the aggregator answers ---------------------------------------------------------

def paths():
    out = []
    for a in AGENCIES:
        scopes = ["", "scope=subtree"] if a == CITY else [""]
        for sc in scopes:
            for as_of in ("", "2024-12-31", "2025-03-31", "2025-06-30", "2025-12-31"):
                q = "&".join(x for x in (sc, f"as_of={as_of}" if as_of else "") if x)
                out.append(f"/v1/agencies/{a}/open" + (f"?{q}" if q else ""))
            for y in range(2018, 2027):
                for as_of in ("", "2025-06-30"):
                    q = "&".join(x for x in (sc, f"as_of={as_of}" if as_of else "") if x)
                    out.append(f"/v1/reports/{a}/{y}/timeliness" + (f"?{q}" if q else ""))
    return out


PATHS = paths()


def snapshot(agg):
    snap = {}
    for p in PATHS:
        status, _, body = agg.get(p)
        if status != 200:
            gk.fatal(f"GET {p}: status {status}: {body[:300]!r}")
        snap[p] = body
    status, _, body = agg.get("/metrics")
    if status != 200:
        gk.fatal(f"/metrics: status {status}")
    snap["/metrics (open, overdue)"] = b"\n".join(
        sorted(x for x in body.splitlines()
               if x.startswith((b"gongkai_aggregator_open_applications{",
                                b"gongkai_aggregator_overdue_applications{"))))
    return snap


def same(got, want, what):
    diff = [p for p in want if got.get(p) != want[p]]
    detail = ""
    if diff:
        p = diff[0]
        detail = (f"{len(diff)} of {len(want)} answers differ; first {p}:\n"
                  f"before: {want[p][:600]!r}\nafter:  {got.get(p, b'')[:600]!r}")
    return gk.check(not diff, what, detail)


def totals(snap):
    """Open applications (today) and answered ones (every year), over the agencies."""
    import json
    opened = answered = 0
    for a in AGENCIES:
        opened += json.loads(snap[f"/v1/agencies/{a}/open"])["open"]
        for y in range(2018, 2027):
            answered += json.loads(snap[f"/v1/reports/{a}/{y}/timeliness"])["answered"]["total"]
    return opened, answered


def log_head():
    return gk.query("SELECT coalesce(max(seq), 0) FROM event_log")[0][0]


def loaded(agg):
    """(seq, cursor) of the aggregator's "checkpoint loaded" line, or None."""
    m = re.search(r'msg="checkpoint loaded" seq=(\d+) cursor=(\d+)', agg.log_text())
    return (int(m.group(1)), int(m.group(2))) if m else None


def publish(events, name):
    path = gkagg.write_jsonl(os.path.join(W, name), events)
    rc, out, err = gk.publish([path])
    gk.eq((rc, out.strip()), (0, f"accepted {len(events)}, duplicate 0, rejected 0"),
          f"{name}: every event accepted" + (f" ({err.strip()[:300]})" if err.strip() else ""))


# ---- 1. the reference ------------------------------------------------------------------------
# Parts of 4 KiB: the checkpoint is stored in many (issue 24: one value of a
# country's state passed PostgreSQL's 1 GB), and loaded back from them.
os.environ["GONGKAI_DEBUG_CHECKPOINT_PART_BYTES"] = "4096"
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
for args in ([CITY, "--name", "测试市"], [DEPT, "--name", "测试市某局", "--parent", CITY],
             [PROV, "--name", "测试省"]):
    r = gk.run([GK, "agency", "add"] + args)
    gk.eq(r.returncode, 0, f"gongkai agency add {args[0]}")
gk.wait_for(lambda: agg.get_json(f"/v1/agencies/{CITY}/open")[1].get("name") == "测试市", 10,
            "the aggregator to read the registry")

publish(OTHER[:300] + EVENTS + OTHER[300:], "phase1.jsonl")
agg.wait_caught_up()
head1 = log_head()
ref1 = snapshot(agg)
opened, answered = totals(ref1)
gk.check(opened > 50 and answered > 150,
         "the reference is not empty: applications open today and answered",
         f"open {opened}, answered {answered}")

# ---- 2. SIGTERM, checkpoint, restart ---------------------------------------------------------
gk.eq(agg.stop(), 0, "aggregator stops cleanly on SIGTERM")
gk.check(f'msg="checkpoint stored" seq={head1} ' in agg.log_text(),
         f"a checkpoint at the log's head ({head1}) was stored at shutdown")
gk.eq([tuple(r) for r in gk.query("SELECT seq FROM agg_checkpoint WHERE id = 1")], [(head1,)],
      "agg_checkpoint holds that seq")
parts = gk.query("SELECT parts, (SELECT count(*) FROM agg_checkpoint_part),"
                 " (SELECT max(length(data)) FROM agg_checkpoint_part) FROM agg_checkpoint")[0]
gk.check(parts[0] > 1 and parts[0] == parts[1] and parts[2] <= 4096,
         "it is stored in parts of at most 4 KiB (%s parts, %s rows, largest %s bytes)" % tuple(parts))
agg = gkagg.Aggregator().start()
gk.eq(loaded(agg), (head1, head1), "restarted: the checkpoint is loaded, nothing replayed")
same(snapshot(agg), ref1,
     "open lists, timeliness reports and gauges identical after a restart from the checkpoint")

# ---- 3. a tail after the checkpoint, SIGKILL, restart ----------------------------------------
EVENTS.clear()
for a in rng.sample(APPS, len(APPS)):
    ag, aid, d = a["agency"], a["id"], a["last"]
    if a["answered"]:
        continue
    x = rng.random()
    if a["open_consult"] and x < 0.5:
        cid, _ = a["open_consult"].pop()
        d = after(d, 0, 10)
        ev("consultation_ended", ag, d, application_id=aid, consultation_id=cid)
    elif a["supp_open"] and x < 0.5:
        d = after(d, 1, 10)
        ev("supplement_received", ag, d, application_id=aid)
    elif a["granted"] < 20 and x < 0.4:
        d = after(d, 1, 10)
        ev("extension_granted", ag, d, application_id=aid, working_days=20 - a["granted"])
    elif x < 0.7:
        d = after(d, 0, 30)
        ev("application_resolved", ag, d, application_id=aid, outcome="disclosed")
for i in range(30):
    application(AGENCIES[i % 3], f"tail{i}")
publish(EVENTS, "phase3.jsonl")
agg.wait_caught_up()
head2 = log_head()
ref2 = snapshot(agg)
gk.check(ref2 != ref1, "the tail changes the answers")
agg.kill()
agg = gkagg.Aggregator().start()
gk.eq(loaded(agg), (head1, head2),
      "after SIGKILL: the older checkpoint is loaded, the tail replayed on top of it")
agg.wait_caught_up()
same(snapshot(agg), ref2, "identical answers after the checkpoint and the tail's replay")

# ---- 4. a checkpoint of another format: the whole log --------------------------------------
gk.eq(agg.stop(), 0, "aggregator stops cleanly on SIGTERM")
gk.query("UPDATE agg_checkpoint SET format = format / 100")  # the format before this one
agg = gkagg.Aggregator().start()
gk.eq(loaded(agg), None, "a checkpoint of another format is not loaded")
gk.check(f'msg="state rebuilt from the event log" applied_seq={head2}' in agg.log_text(),
         "... the whole log is replayed instead")
same(snapshot(agg), ref2, "identical answers after a replay of the whole log")
gk.eq(agg.stop(), 0, "aggregator stops cleanly")
gk.eq(intake.stop(), 0, "intake stops cleanly")
gk.done()
