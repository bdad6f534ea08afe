#!/usr/bin/python3
"""No accepted event can wedge the pipeline (issue 12, acceptance 2).

Events at the edges of what intake accepts are published; then both services
are restarted (SIGTERM, then SIGKILL): intake must start again (it re-reads
and re-validates the whole log), the aggregator must catch up to the head
(lag 0), the reports of 1990, 2024 and 2100 must answer with what was
accepted, a plain event sent afterwards must count, and `gongkai verify`
must agree.

The year rule is the Beijing reporting day's: an event written in another
offset is in range when its Beijing date is, whatever the year it is written
with — and what intake accepted, it reads back the same from the log.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

AG = "gz-edge"
events = []


def decision(eid, at, kind="licensing", count=None):
    e = {"event_id": eid, "type": "decision_made", "agency": AG, "occurred_at": at,
         "decision_kind": kind}
    if count is not None:
        e["count"] = count
    events.append(e)


# Accepted: their Beijing day is in 1990-2100 (the first two are the issue's
# own: 1989 in UTC, or written as 1989, but 1990-01-01 in Beijing).
decision("p1", "1990-01-01T05:00:00+08:00")
decision("p2", "1989-12-31T23:00:00-08:00")
decision("p3", "1990-01-01T00:00:00+08:00")
decision("p4", "1989-12-31T16:00:00Z")
decision("p5", "2100-12-31T23:59:59.999999+08:00")
decision("p6", "2100-12-31T15:59:59Z")
decision("p7", "2100-12-31T03:00:00-12:00")
decision("p8", "2024-06-01T10:00:00+08:00", count=1000000)
# Refused: their Beijing day is 1989 or 2101, whatever the year written.
decision("r1", "2100-12-31T23:00:00-08:00")
decision("r2", "2100-12-31T20:00:00Z")
decision("r3", "1989-12-31T15:59:59Z")
decision("r4", "1989-12-31T23:59:59.999999+08:00")
decision("r5", "2101-01-01T00:00:00+08:00")

path = os.path.join(gk.work_dir(), "edge.jsonl")
gkagg.write_jsonl(path, events)

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
rc, out, err = gk.publish([path])
gk.check(rc == 1 and "accepted 8, duplicate 0, rejected 5" in out,
         "the edge events: 8 accepted, 5 refused (%s)" % out.strip(), err)
for r in ("r1", "r2", "r3", "r4", "r5"):
    gk.check(("%s: bad_value: occurred_at:" % r) in err and "in Beijing time" in err,
             "%s refused naming occurred_at and its Beijing date" % r)
agg.wait_caught_up()

# Money at its limits: 9,300 fees of the largest amount_fen (10^15) in one
# agency-year. Before, all were accepted, their sum overflowed agg_metric's
# bigint and the aggregator retried that batch for ever. Now 9 fit (9·10^15
# ≤ 2^53 - 1, the most an agency-year holds) and the rest are refused naming
# the sum; one more fee fills the sum exactly.
FEE_MAX, SUM_MAX = 10 ** 15, 2 ** 53 - 1
fees = os.path.join(gk.work_dir(), "fees.jsonl")
gkagg.write_jsonl(fees, [{"event_id": "fee-%d" % i, "type": "fee_collected", "agency": AG,
                          "occurred_at": "2021-06-01T10:00:00+08:00", "amount_fen": FEE_MAX}
                         for i in range(9300)]
                  + [{"event_id": "fee-fill", "type": "fee_collected", "agency": AG,
                      "occurred_at": "2021-12-31T23:59:59+08:00", "amount_fen": SUM_MAX - 9 * FEE_MAX}])
rc, out, err = gk.publish([fees], timeout=300)
gk.check(rc == 1 and "accepted 10, duplicate 0, rejected 9291" in out,
         "9,300 fees of 10^15 fen: 9 accepted, the rest refused; the exact fill accepted (%s)" % out.strip())
gk.check(("fee-9: bad_value: amount_fen: 1000000000000000 would take the fees collected of agency "
          "%s in 2021 to 10000000000000000, past the most one agency-year can hold (%d)" % (AG, SUM_MAX)) in err,
         "the refusal names the field, the value and the sum", err[:500])
agg.wait_caught_up()
HEAD = 18


def fee_2021():
    return agg.report(AG, 2021)["active_disclosure"]["fee"]["amount_wan_yuan"]


def decisions(year):
    return agg.report(AG, year)["active_disclosure"]["licensing"]["decisions"]


def check_reports(when):
    got = (decisions(1990), decisions(2024), decisions(2100))
    gk.check(got == (4, 1000000, 3), "%s: licensing decisions 1990, 2024, 2100 = %s" % (when, got))
    fee = fee_2021()
    gk.check(str(fee) == "9007199254.74", "%s: fees of 2021 = %s 万元 (2^53 - 1 fen)" % (when, fee))
    stored = gk.query("SELECT value FROM agg_metric WHERE agency = %s AND year = 2021 "
                      "AND metric = 'fee.amount_fen'", (AG,))
    gk.check(stored == [(SUM_MAX,)], "%s: agg_metric holds the sum exactly: %s" % (when, stored))


check_reports("live")

for how in ("SIGTERM", "SIGKILL"):
    if how == "SIGTERM":
        gk.check(agg.stop() == 0, "aggregator stops on SIGTERM")
        gk.check(intake.stop() == 0, "intake stops on SIGTERM")
    else:
        agg.kill()
        intake.kill()
    intake = gk.Intake().start()  # fatal if it refuses to start
    gk.check("intake ready" in intake.log_text() and "head_seq=%d" % HEAD in intake.log_text(),
             "intake restarts after %s and re-reads the whole log (head %d)" % (how, HEAD))
    agg = gkagg.Aggregator().start()
    h = agg.wait_caught_up()
    gk.check(h["applied_seq"] == HEAD and h["lag"] == 0,
             "aggregator restarts after %s and catches up, lag 0: %s" % (how, json.dumps(h)))
    check_reports("after %s and restart" % how)

# A plain event after them still counts.
plain = os.path.join(gk.work_dir(), "plain.jsonl")
events.clear()
decision("plain-1", "2024-06-02T10:00:00+08:00")
gkagg.write_jsonl(plain, events)
rc, out, err = gk.publish([plain])
gk.check(rc == 0 and "accepted 1," in out, "a plain event afterwards is accepted", out + err)
agg.wait_caught_up()
gk.check(decisions(2024) == 1000001, "and counted: 2024 decisions %s" % decisions(2024))

rc, text = gkagg.verify()
gk.check(rc == 0, "gongkai verify agrees with the live state", text[-2000:])
agg.stop()
intake.stop()
gk.done()
