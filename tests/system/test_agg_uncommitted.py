#!/usr/bin/python3
"""Readers see only what the aggregator has committed (issue 12: the lock rule).

The aggregator applies a batch in memory, writes it to agg_metric and moves
agg_cursor in one transaction, and only then makes it visible. Here another
session holds agg_cursor's row, so the aggregator's transaction waits at its
UPDATE (seen in pg_stat_activity, no sleeping): meanwhile no HTTP reader may
see the batch — not the agency list, the report, the open list, nor
applied_seq. Released, all of them show it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

import psycopg2  # noqa: E402

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
first = os.path.join(gk.work_dir(), "first.jsonl")
gkagg.write_jsonl(first, [{"event_id": "uc-0", "type": "decision_made", "agency": "uc-z",
                           "occurred_at": "2020-03-01T12:00:00+08:00",
                           "decision_kind": "penalty", "count": 1}])
rc, out, err = gk.publish([first])
gk.check(rc == 0, "a first event published (%s)" % out.strip(), err[-300:])
h0 = agg.wait_caught_up()

blocker = psycopg2.connect(gk.env("GONGKAI_DB"))
cur = blocker.cursor()
cur.execute("SELECT applied_seq FROM agg_cursor WHERE id = 1 FOR UPDATE")

path = os.path.join(gk.work_dir(), "uc.jsonl")
gkagg.write_jsonl(path, [
    {"event_id": "uc-1", "type": "application_received", "agency": "uc-a",
     "occurred_at": "2020-06-01T12:00:00+08:00", "application_id": "uc-app-1",
     "applicant": "natural_person"},
    {"event_id": "uc-2", "type": "decision_made", "agency": "uc-a",
     "occurred_at": "2020-06-02T12:00:00+08:00", "decision_kind": "licensing", "count": 5}])
rc, out, err = gk.publish([path])
gk.check(rc == 0, "two events for a new agency published (%s)" % out.strip(), err[-300:])


def waiting():
    return gk.query("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE '%%UPDATE agg_cursor%%'")[0][0] > 0


gk.wait_for(waiting, 60, "the aggregator's transaction waits for agg_cursor's row")


def seen():
    """What readers show of uc-a: (listed, received, licensing, open)."""
    listed = any(a.get("agency") == "uc-a" for a in agg.agencies().get("agencies", []))
    st, r = agg.get_json("/v1/reports/uc-a/2020")
    rec = lic = 0
    if st == 200:
        rec = gkagg.app_rows(r)["received"][0]  # natural_person
        lic = r["active_disclosure"]["licensing"]["decisions"]
    st, o = agg.get_json("/v1/agencies/uc-a/open")
    n_open = o.get("open", 0) if st == 200 and o else 0
    return listed, rec, lic, n_open


mid = seen()
h = agg.healthz()
gk.eq(h["applied_seq"], h0["applied_seq"], "applied_seq stays at the committed batch")
gk.eq(mid, (False, 0, 0, 0),
      "while uncommitted, no reader sees the batch (listed, received, licensing, open)")
blocker.rollback()
blocker.close()
agg.wait_caught_up()
gk.eq(seen(), (True, 1, 5, 1), "once committed, every reader sees it")
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
