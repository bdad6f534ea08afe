#!/usr/bin/python3
"""The side tables the aggregator re-reads every second (the agency registry,
report releases, the working-day calendar): when one cannot be read, the
aggregator says so once, with PostgreSQL's message and what it means, not a
line a second without the reason; when it can be read again it says that
once. Counting goes on meanwhile.

The build before logged "cannot read the agency registry" and "cannot read
the working-day calendar" once a tick (a line a second, for as long as it
lasted) without the database's message.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

db = gk.env("GONGKAI_DB")
gk.query("ALTER TABLE agency_version RENAME TO agency_version_away", dsn=db)
gk.query("ALTER TABLE calendar_version RENAME TO calendar_version_away", dsn=db)
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
time.sleep(3.5)  # three ticks or more: each would have said it again
text = agg.log_text()
for said, table, relation in (("cannot read the agency registry", "agency", "agency_version"),
                              ("cannot read the working-day calendar", "calendar_day", "calendar_version")):
    lines = [l for l in text.splitlines() if said in l]
    gk.eq(len(lines), 1, "%s: said once in 3.5 s of ticks" % said)
    want = 'error="ERROR:  relation \\"%s\\" does not exist' % relation
    gk.check(lines and want in lines[0] and ("table=%s" % table) in lines[0] and "consequence=" in lines[0],
             "… with the table, PostgreSQL's message and what it means", lines[:1])

# Counting goes on meanwhile.
rc, out, err = gk.publish([gk.fixture_path()])
gk.eq(out.strip(), "accepted 356, duplicate 5, rejected 0", "the fixture is published meanwhile")
gk.wait_for(lambda: agg.report("gz-sthjt", 2019).get("applications") is not None, 30, "the 2019 report is served")

gk.query("ALTER TABLE agency_version_away RENAME TO agency_version", dsn=db)
gk.query("ALTER TABLE calendar_version_away RENAME TO calendar_version", dsn=db)


def again(table):
    return sum(1 for l in agg.log_text().splitlines()
               if "side table readable again" in l and ("table=%s" % table) in l)


for table in ("agency", "calendar_day"):
    gk.wait_for(lambda: again(table) >= 1, 10, "readable again: said for %s" % table)
time.sleep(2)  # more ticks: each would have said it again
for table in ("agency", "calendar_day"):
    gk.eq(again(table), 1, "table=%s readable again: said once" % table)
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
