#!/usr/bin/python3
"""Open lists in pages (issue 24): ?limit=N gives "next", a cursor, while
more follow; ?after=CURSOR continues in the same order. Paging through 25
open applications 7 at a time lists each exactly once, in the order of the
whole list; an application answered after it was listed does not move the
next page; a cursor that is not one is refused, naming the field.
"""
import datetime as dt
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
today = dt.datetime.utcnow() + dt.timedelta(hours=8)
events = []
for i in range(25):
    d = (today - dt.timedelta(days=3 * i + (i % 4))).strftime("%Y-%m-%d")
    events.append({"event_id": f"pg-{i}", "type": "application_received", "agency": "pg-a",
                   "occurred_at": f"{d}T09:00:00+08:00", "application_id": f"pg.app/{i % 5}-{i}",
                   "applicant": "natural_person"})
path = os.path.join(gk.work_dir(), "open.jsonl")
gkagg.write_jsonl(path, events)
rc, out, err = gk.publish([path])
gk.check(rc == 0, "25 open applications published", err)
agg.wait_caught_up()


def page(after=None, limit=7):
    q = "limit=%d" % limit + ("&after=" + urllib.parse.quote(after, safe="") if after else "")
    st, j = agg.get_json("/v1/agencies/pg-a/open?" + q)
    gk.check(st == 200, "page after %r answered" % after, repr(j))
    return j


whole = [a["application_id"] for a in page(limit=1000)["applications"]]
gk.eq(len(whole), 25, "the whole list has 25")
seen, cur, pages = [], None, 0
while True:
    j = page(cur)
    pages += 1
    seen += [a["application_id"] for a in j["applications"]]
    gk.eq(j["open"], 25, "every page counts all 25 open")
    cur = j["next"]
    if cur is None or pages > 10:
        break
gk.eq(pages, 4, "four pages of at most 7")
gk.eq(seen, whole, "paging lists each once, in the order of the whole list")

first = page()
last = first["applications"][-1]["application_id"]
ans = os.path.join(gk.work_dir(), "answer.jsonl")
gkagg.write_jsonl(ans, [{"event_id": "pg-answer", "type": "application_resolved", "agency": "pg-a",
                         "occurred_at": today.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
                         "application_id": last, "outcome": "disclosed"}])
rc, out, err = gk.publish([ans])
gk.check(rc == 0, "the last listed application answered", err)
agg.wait_caught_up()
second = page(first["next"])
gk.eq([a["application_id"] for a in second["applications"]], whole[7:14],
      "the next page starts right after it all the same")

st, j = agg.get_json("/v1/agencies/pg-a/open?after=" + urllib.parse.quote("not-a-cursor"))
gk.check(st == 400 and j and j.get("error") == "bad_after" and "after:" in j.get("message", ""),
         "a cursor that is not one: 400 bad_after, naming the field", repr(j))
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
