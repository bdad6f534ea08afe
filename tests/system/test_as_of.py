#!/usr/bin/python3
"""?as_of=YYYY-MM-DD on the report route (issue 14, acceptance 3): the tables
at the end of that Beijing day — what the events dated up to then make.

The oracle: for each day D, a second, fresh system (its own database, intake
and aggregator) is sent only the events whose Beijing day is ≤ D, in their
original order, and its live report is the expected answer. The first system
holds the whole random stream (corrections, answers, cases, fees, documents
across several years, times near midnight) and answers ?as_of=D from its log.
"""
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

AG = "aso-a"
events = gkagg.gen_events(2500, seed=14, prefix="aso", agencies=(AG,), first_year=2018, last_year=2021)
BJ = dt.timezone(dt.timedelta(hours=8))


def bj_day(e):
    return dt.datetime.fromisoformat(e["occurred_at"].replace("Z", "+00:00")).astimezone(BJ).date()


W = gk.work_dir()
path = os.path.join(W, "all.jsonl")
gkagg.write_jsonl(path, events)
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
rc, out, err = gk.publish([path], timeout=300)
gk.check(rc == 0 and "rejected 0" in out, "the whole stream published (%s)" % out.strip(), err[-300:])
agg.wait_caught_up()

TABLES = ("active_disclosure", "applications", "reviews_litigation")
days = ["2018-12-31", "2019-06-30", "2019-12-31", "2020-03-15", "2021-12-31"]
for k, d in enumerate(days):
    day = dt.date.fromisoformat(d)
    part = [e for e in events if bj_day(e) <= day]
    db = gk.new_database("as_of_%d" % k)
    p_in, p_feed, p_q, p_http = gk.free_ports(4)
    ib = gk.Intake(db=db, endpoint="tcp://127.0.0.1:%d" % p_in, feed="tcp://127.0.0.1:%d" % p_feed,
                   name="intake-%d" % k).start()
    ab = gkagg.Aggregator(db=db, feed=ib.feed, query="tcp://127.0.0.1:%d" % p_q,
                          http="127.0.0.1:%d" % p_http, name="oracle-%d" % k).start()
    ppath = os.path.join(W, "part-%d.jsonl" % k)
    gkagg.write_jsonl(ppath, part)
    rc, out, err = gk.publish([ppath], endpoint=ib.endpoint, timeout=300)
    gk.check(rc == 0 and "rejected 0" in out, "oracle %s: %d events dated up to it" % (d, len(part)), out + err)
    ab.wait_caught_up()
    for year in (day.year - 1, day.year):
        for rule in ("filed", "handled"):
            want = ab.report(AG, year, case_rule=rule)
            status, ctype, body = agg.get("/v1/reports/%s/%d?as_of=%s&case_rule=%s" % (AG, year, d, rule))
            got = json.loads(body) if status == 200 else {}
            gk.eq({t: got.get(t) for t in TABLES}, {t: want[t] for t in TABLES},
                  "as_of=%s, %d, %s: the tables of the events dated up to then" % (d, year, rule))
    gk.check(ab.stop() == 0 and ib.stop() in (0, None), "oracle %s stopped" % d)

# The live report is not the as_of one (the stream goes on after 2019-06-30).
live = agg.report(AG, 2019)
status, _, body = agg.get("/v1/reports/%s/2019?as_of=2019-06-30" % AG)
gk.check(json.loads(body)["applications"] != live["applications"], "as_of differs from live mid-year")
gk.eq(json.loads(body)["as_of"], "2019-06-30T23:59:59+08:00", "\"as_of\" names the end of the day asked")
status, ctype, body = agg.get("/v1/reports/%s/2019?as_of=2019-12-31&format=csv" % AG)
gk.eq((status, ctype.split(";")[0]), (200, "text/csv"), "as_of in another format")

for p, want in [("?as_of=2019-13-01", (400, "bad_as_of")), ("?as_of=1989-12-31", (400, "bad_as_of")),
                ("?as_of=%ff", (400, "bad_as_of")), ("?as_of=2019-06-30&scope=subtree", (400, "bad_scope")),
                ("/document.html?as_of=2019-06-30", (400, "bad_as_of")),
                ("?as_of=2019-06-30&release=1", (400, "bad_as_of"))]:
    url = "/v1/reports/%s/2019" % AG + p
    status, _, body = agg.get(url)
    gk.eq((status, json.loads(body.decode("utf-8")).get("error")), want, "%s → %d %s" % (p, want[0], want[1]))
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
