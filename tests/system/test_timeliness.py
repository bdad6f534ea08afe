#!/usr/bin/env python3
"""test_timeliness — issue 9: deadlines in working days, end to end.

Events go over the wire (gongkai publish and a DEALER → intake → feed →
aggregator); the open list (GET /v1/agencies/{a}/open, `gongkai open`) and
the timeliness report (GET /v1/reports/{a}/{y}/timeliness, ?scope=subtree)
come back over HTTP and are compared with values computed by hand below,
each computation written next to its events. Also, over the wire:
  - acceptance 2: an extension of 20 then one more day (21 in all) is
    rejected bad_value by intake (and 21 in all under the 2007 rules, whose
    15 is applied when counting);
  - acceptance 2: a due date past the calendar (December 2026 belongs to the
    2027 notice) is provisional, and `gongkai calendar load` of a 2027
    notice fixes it within a second;
  - GONGKAI_COUNT_MAKEUP_DAYS=0 turns 调休 weekend working days off;
  - /metrics: overdue applications per agency;
  - acceptance 4: the statutory report of the fixture (gz-sthjt 2019) is
    still expected-2019.json.

The calendar used by hand is data/cn-workdays.csv. Working days are counted
strictly after a day ("the n-th counted working day after R"). Days off and
调休 working days that matter here:
  2019: 5/1-5/4 off, 5/5 (Sun) work, 6/7 off
  2025: 4/4 off, 4/27 (Sun) work, 5/1-5/5 off, 6/2 off, 9/28 (Sun) work,
        10/1-10/8 off, 10/11 (Sat) work; no rows in December 2024 or 2025
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

pb = gk.pb()
GK = gk.bin_path("gongkai")
W = gk.work_dir()
EVENTS = []


def ev(typ, agency, date, **f):
    """An event at 10:00 Beijing time on date."""
    e = {"event_id": f"tl-{len(EVENTS) + 1:04d}", "type": typ, "agency": agency,
         "occurred_at": f"{date}T10:00:00+08:00"}
    e.update(f)
    EVENTS.append(e)
    return e


def received(agency, app, date, applicant="natural_person"):
    return ev("application_received", agency, date, application_id=app, applicant=applicant)


def resolved(agency, app, date, outcome="disclosed"):
    return ev("application_resolved", agency, date, application_id=app, outcome=outcome)


CITY, DEPT, PROV = "tl-city", "tl-dept", "tl-prov"

# ---- answered in 2025 (tl-city) ----------------------------------------------------
# A1 on the spot: received and answered Mon 2025-03-03 → on_the_spot, 0 days.
received(CITY, "A1", "2025-03-03")
resolved(CITY, "A1", "2025-03-03")
# A2 plain: R = Mon 3/3. Due = 20th working day after: 3/4-7 (4), 3/10-14 (9),
# 3/17-21 (14), 3/24-28 (19), 3/31 (20) → 2025-03-31. Answered 3/17: 3/4-7 (4),
# 3/10-14 (9), 3/17 (10) → on time, 10 days.
received(CITY, "A2", "2025-03-03", "commercial_enterprise")
resolved(CITY, "A2", "2025-03-17")
# A3 across 清明 with the 劳动节 调休 Sunday: R = Fri 3/28. 3/31 (1), 4/1-3 (4;
# 4/4 off), 4/7-11 (9), 4/14-18 (14), 4/21-25 (19), Sun 4/27 work (20) → due
# 2025-04-27. Answered Tue 4/29: 4/28 (21), 4/29 (22) → late, 22 days.
received(CITY, "A3", "2025-03-28")
resolved(CITY, "A3", "2025-04-29")
# A4 extension of 20 (the limit in all): R = Tue 6/3. Limit 40: 6/4-6 (3),
# 6/9-13 (8), 6/16-20 (13), 6/23-27 (18), 6/30 (19), 7/1-4 (23), 7/7-11 (28),
# 7/14-18 (33), 7/21-25 (38), 7/28 (39), 7/29 (40) → due 2025-07-29. Answered
# 7/25 → on time, 38 days. (One more day, 21 in all, is rejected below.)
received(CITY, "A4", "2025-06-03")
ev("extension_granted", CITY, "2025-06-20", application_id="A4", working_days=20)
resolved(CITY, "A4", "2025-07-25")
# A5 补正 notice sent late: R = Mon 9/1. Notice due 7 working days after R:
# 9/2-5 (4), 9/8-10 (7) → 9/10; sent Fri 9/12 → late notice. Corrected
# application R' = Mon 9/22; the limit runs again in full from R': 9/23-26 (4),
# Sun 9/28 work (5), 9/29-30 (7), 10/1-8 off, 10/9-10 (9), Sat 10/11 work (10),
# 10/13-17 (15), 10/20-24 (20) → due 2025-10-24. Answered Mon 10/20: 16 days
# from R' → on time.
received(CITY, "A5", "2025-09-01")
ev("supplement_requested", CITY, "2025-09-12", application_id="A5")
ev("supplement_received", CITY, "2025-09-22", application_id="A5")
resolved(CITY, "A5", "2025-10-20")
# A6 two overlapping consultations: R = Mon 11/3. k1 Wed 11/5 - Wed 11/12,
# k2 Mon 11/10 - Fri 11/14: merged, 11/5-11/14 is not counted. 11/4 (1),
# 11/17-21 (6), 11/24-28 (11), 12/1-5 (16), 12/8-11 (20) → due 2025-12-11.
# Answered Wed 12/10: 1 + 5 + 5 + 5 + 3 = 19 days → on time.
received(CITY, "A6", "2025-11-03")
ev("consultation_started", CITY, "2025-11-05", application_id="A6", consultation_id="k1")
ev("consultation_started", CITY, "2025-11-10", application_id="A6", consultation_id="k2")
ev("consultation_ended", CITY, "2025-11-12", application_id="A6", consultation_id="k1")
ev("consultation_ended", CITY, "2025-11-14", application_id="A6", consultation_id="k2")
resolved(CITY, "A6", "2025-12-10")
# A7 article 35: R = Tue 7/1; on 7/10 the agency set 2025-09-30. Answered Mon
# 9/15 → on time (20 working days would have ended 7/29). Days: 7/2-4 (3),
# 7/7-31 (22), 8/1 (23), 8/4-29 (43), 9/1-12 (53), 9/15 (54) → 54.
received(CITY, "A7", "2025-07-01")
ev("deadline_set", CITY, "2025-07-10", application_id="A7", due="2025-09-30")
resolved(CITY, "A7", "2025-09-15")
# 2025 for tl-city: 7 answered: on the spot 1 (A1), on time 5 (A2 A4 A5 A6
# A7), late 1 (A3). Days 0 10 22 38 16 19 54 → sorted 0 10 16 19 22 38 54:
# median 19, mean 159/7 = 22.71, max 54. Extensions: 1 application, 20 days.
# 补正: 1 requested, 1 late notice. Consultations: 1 application, 2.

# ---- open at the end of 2025 (tl-city) ---------------------------------------------
# O0 from 2024, never answered: R = Mon 2024-12-02: 12/3-6 (4), 12/9-13 (9),
# 12/16-20 (14), 12/23-27 (19), 12/30 (20) → due 2024-12-30 (no December 2024
# rows). On 2025-12-31: left = -(2024-12-31 + the 248 working days of 2025)
# = -249, where 2025 has 261 weekdays - 18 weekday holidays (1/1; 1/28-31,
# 2/3-4; 4/4; 5/1-2, 5/5; 6/2; 10/1-3, 10/6-8) + 5 调休 days (1/26, 2/8, 4/27,
# 9/28, 10/11) = 248.
received(CITY, "O0", "2024-12-02", "other_org")
# O1 running: R = Mon 12/1: 12/2-5 (4), 12/8-12 (9), 12/15-19 (14), 12/22-26
# (19), 12/29 (20) → due 2025-12-29; on 12/31 left -2 (12/30, 12/31): overdue.
received(CITY, "O1", "2025-12-01")
# O2 awaiting a supplement: notice 12/17, nothing since → clock stopped, no due.
received(CITY, "O2", "2025-12-15")
ev("supplement_requested", CITY, "2025-12-17", application_id="O2")
# O3 in consultation since 12/24, still open → no due date yet.
received(CITY, "O3", "2025-12-22", "research_institution")
ev("consultation_started", CITY, "2025-12-24", application_id="O3", consultation_id="k1")
# At the 2025 cut-off: open 4, overdue 2 (O0, O1); oldest first O0 O1 O2 O3.
# The open list (soonest due first, then no due date by receipt): O0 O1 O2 O3.

# ---- 2019, before the 2019 Regulations took effect (tl-city) -----------------------
# A8: R = Mon 2019-05-06 < 2019-05-15: 15 working days, extendable by 15.
# Extension 10 on 5/20 → 25: 5/7-10 (4), 5/13-17 (9), 5/20-24 (14), 5/27-31
# (19), 6/3-6 (23; 6/7 off), 6/10 (24), 6/11 (25) → due 2019-06-11 (15 days
# alone would have ended 5/27). Answered Tue 5/28: 16 days → on time.
# 6 more days (16 in all) are recorded but count as 15; 5 more (21) are refused.
received(CITY, "A8", "2019-05-06")
ev("extension_granted", CITY, "2019-05-20", application_id="A8", working_days=10)
resolved(CITY, "A8", "2019-05-28")

# ---- the department under tl-city (for ?scope=subtree) -------------------------------
# D1: R = Tue 2025-05-06: 5/7-9 (3), 5/12-16 (8), 5/19-23 (13), 5/26-30 (18),
# 6/3 (19; 6/2 off), 6/4 (20) → due 2025-06-04. Answered Tue 6/10: 20 + 6/5,
# 6/6, 6/9, 6/10 = 24 days → late.
received(DEPT, "D1", "2025-05-06")
resolved(DEPT, "D1", "2025-06-10")
# Subtree 2025: 8 answered: on the spot 1, on time 5, late 2; days 0 10 16 19
# 22 24 38 54 → median (19 + 22) / 2 = 20.5, mean 183/8 = 22.875 → 22.88, max 54.

# ---- past the calendar (tl-prov) -----------------------------------------------------
# P1: R = Fri 2026-11-20: 11/23-27 (5), 11/30 (6), 12/1-4 (10), 12/7-11 (15),
# 12/14-18 (20) → due 2026-12-18, provisional: December 2026 belongs to the
# 2027 notice, not loaded. As of 11/27: left 11/30, 12/1-4, 12/7-11, 12/14-18 = 15.
# After loading a 2027 notice that makes Mon 2026-12-14 a day off: due Mon
# 2026-12-21, not provisional, left still 15 (the due date moved one day).
received(PROV, "P1", "2026-11-20")


def get_json(agg, path, want=200):
    status, j = agg.get_json(path)
    if status != want:
        gk.fatal(f"GET {path}: status {status}, body {j}")
    return j


def app_view(a):
    return (a["application_id"], a["state"], a["received"], a["due"], a["working_days_left"],
            a["overdue"], a["provisional"])


# ---- start, register, publish ------------------------------------------------------------
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
for args in (["tl-city", "--name", "测试市"], ["tl-dept", "--name", "测试市某局", "--parent", "tl-city"]):
    r = gk.run([GK, "agency", "add"] + args)
    gk.eq(r.returncode, 0, f"gongkai agency add {args[0]}")

# The aggregator polls the registry each second; subtree answers need it.
gk.wait_for(lambda: get_json(agg, f"/v1/agencies/{CITY}/open")["name"] == "测试市", 10,
            "the aggregator to read the registry")

path = os.path.join(W, "timeliness.jsonl")
gkagg.write_jsonl(path, EVENTS)
rc, out, err = gk.publish([path])
gk.eq((rc, out.strip()), (0, f"accepted {len(EVENTS)}, duplicate 0, rejected 0"),
      "every timeliness event accepted over the wire")

# ---- intake: the extension limit in all (acceptance 2) -------------------------------------
client = gk.Client()


def submit_one(e, ref):
    acks = client.submit([gk.entry_event(ref, gk.event_pb(e))])
    return acks[0]


a = submit_one({"event_id": "tl-ext-21", "type": "extension_granted", "agency": CITY,
                "occurred_at": "2025-06-25T10:00:00+08:00", "application_id": "A4",
                "working_days": 1}, 1)
gk.eq((gk.status_name(a.status), a.code), ("REJECTED", "bad_value"),
      "extension of 1 after 20 (21 in all) is rejected bad_value")
gk.check("working_days: 1 more after 20 already granted makes 21" in a.message
         and "article 33" in a.message and '"A4"' in a.message,
         "... the message names the field, the values and the application", a.message)
a = submit_one({"event_id": "tl-ext-single-21", "type": "extension_granted", "agency": CITY,
                "occurred_at": "2025-03-20T10:00:00+08:00", "application_id": "A2",
                "working_days": 21}, 2)
gk.eq((gk.status_name(a.status), a.code), ("REJECTED", "bad_value"),
      "a single extension of 21 is rejected bad_value")
gk.check("working_days: 21" in a.message, "... naming field and value", a.message)
# Under the 2007 rules the law allowed 15; intake enforces the contract's 20
# in all (timeliness.md), and counting stops at 15 (docs/timeliness.md).
a = submit_one({"event_id": "tl-ext-2007", "type": "extension_granted", "agency": CITY,
                "occurred_at": "2019-05-21T10:00:00+08:00", "application_id": "A8",
                "working_days": 6}, 3)
gk.eq(gk.status_name(a.status), "ACCEPTED", "2007 rules: 6 more after 10 (16 in all) is recorded")
a = submit_one({"event_id": "tl-ext-2007-21", "type": "extension_granted", "agency": CITY,
                "occurred_at": "2019-05-22T10:00:00+08:00", "application_id": "A8",
                "working_days": 5}, 4)
gk.eq((gk.status_name(a.status), a.code), ("REJECTED", "bad_value"),
      "2007 rules: 5 more after 16 (21 in all) is rejected bad_value")
# The totals live in intake's ledger, rebuilt from the log at start.
gk.eq(intake.stop(), 0, "intake stops cleanly")
intake = gk.Intake().start()
a = submit_one({"event_id": "tl-ext-21-again", "type": "extension_granted", "agency": CITY,
                "occurred_at": "2025-06-26T10:00:00+08:00", "application_id": "A4",
                "working_days": 1}, 5)
gk.eq((gk.status_name(a.status), a.code), ("REJECTED", "bad_value"),
      "after an intake restart, 21 in all is still rejected")
agg.wait_caught_up()

# A8 with 16 days of extension, counted as the 15 the 2007 rules allowed:
# limit 30: from the due 6/11 of 25 days, 6/12-14 (28), 6/17-18 (30) → due
# 2019-06-18; still on time.

# ---- the open list (acceptance 3) ------------------------------------------------------------
j = get_json(agg, f"/v1/agencies/{CITY}/open?as_of=2025-12-31")
gk.eq((j["agency"], j["as_of"], j["open"], j["overdue"], j["inconsistent"]),
      (CITY, "2025-12-31", 4, 2, 0), "open list 2025-12-31: 4 open, 2 overdue")
gk.eq([app_view(a) for a in j["applications"]], [
    ("O0", "running", "2024-12-02", "2024-12-30", -249, True, False),
    ("O1", "running", "2025-12-01", "2025-12-29", -2, True, False),
    ("O2", "awaiting_supplement", "2025-12-15", None, None, False, False),
    ("O3", "in_consultation", "2025-12-22", None, None, False, False),
], "open list 2025-12-31: soonest due first, values computed by hand")
gk.eq([a["applicant"] for a in j["applications"]],
      ["other_org", "natural_person", "natural_person", "research_institution"], "open list: applicants")
gk.eq(j["listed"], 4, "open list: all 4 listed (under the default limit)")
# A bounded list (issue 12): ?limit=N names the N soonest due; "open" still counts all.
j2 = get_json(agg, f"/v1/agencies/{CITY}/open?as_of=2025-12-31&limit=2")
gk.eq((j2["open"], j2["overdue"], j2["listed"], [a["application_id"] for a in j2["applications"]]),
      (4, 2, 2, ["O0", "O1"]), "open list with limit=2: the two soonest due, counts of all")

# As of 2025-11-20 (a day inside A6's consultation, before O1..O3 arrived):
# A6's consultations (11/5-11/14 merged) have ended, so it is running again: due 2025-12-11 as computed above; left from 11/20: 11/21 (1),
# 11/24-28 (6), 12/1-5 (11), 12/8-11 (15) → 15.
j = get_json(agg, f"/v1/agencies/{CITY}/open?as_of=2025-11-20")
got = {a["application_id"]: app_view(a) for a in j["applications"]}
gk.eq(sorted(got), ["A6", "O0"], "as of 2025-11-20: A6 and O0 are open (later events left out)")
gk.eq(got["A6"], ("A6", "running", "2025-11-03", "2025-12-11", 15, False, False),
      "as of 2025-11-20: A6 due 2025-12-11, 15 working days left")
# As of 2025-11-07, inside both consultations' span: A6 in consultation.
j = get_json(agg, f"/v1/agencies/{CITY}/open?as_of=2025-11-07")
got = {a["application_id"]: app_view(a) for a in j["applications"]}
gk.eq(got.get("A6"), ("A6", "in_consultation", "2025-11-03", None, None, False, False),
      "as of 2025-11-07: A6 in consultation, no due date")

# gongkai open: the same list, as text and JSON.
r = gk.run([GK, "open", "--agency", CITY, "--as-of", "2025-12-31", "--format", "json"])
gk.eq(r.returncode, 0, "gongkai open --format json exits 0")
gk.eq([a["application_id"] for a in json.loads(r.stdout)["applications"]], ["O0", "O1", "O2", "O3"],
      "gongkai open --format json: the same order")
r = gk.run([GK, "open", "--agency", CITY, "--as-of", "2025-12-31"])
text = r.stdout.decode()
gk.check(r.returncode == 0 and "4 open, 2 overdue" in text and "OVERDUE" in text
         and text.index("O1") < text.index("O2"), "gongkai open (text)", text)
r = gk.run([GK, "open", "--agency", CITY, "--as-of", "2025-13-01"])
gk.check(r.returncode == 1 and b"bad_as_of" in r.stderr, "gongkai open --as-of 2025-13-01: bad_as_of",
         r.stderr.decode())

# ---- the timeliness report (acceptance 3) ---------------------------------------------------
j = get_json(agg, f"/v1/reports/{CITY}/2025/timeliness")
gk.eq((j["year"], j["cut_off"], j["final"]), (2025, "2025-12-31", True), "2025 report: cut-off 31 December")
gk.eq(j["answered"], {"total": 7, "on_the_spot": 1, "on_time": 5, "late": 1}, "2025: answered")
gk.eq(j["working_days_to_answer"], {"median": 19, "mean": 22.71, "max": 54}, "2025: median, mean, max")
gk.eq(j["extensions"], {"applications": 1, "working_days": 20}, "2025: extensions")
gk.eq(j["supplements"], {"requested": 1, "late_notices": 1}, "2025: 补正 requests and late notices")
gk.eq(j["consultations"], {"applications": 1, "consultations": 2}, "2025: consultations")
gk.eq((j["at_cut_off"]["open"], j["at_cut_off"]["overdue"]), (4, 2), "2025 cut-off: open 4, overdue 2")
gk.eq([(a["application_id"], a["received"]) for a in j["at_cut_off"]["oldest_open"]],
      [("O0", "2024-12-02"), ("O1", "2025-12-01"), ("O2", "2025-12-15"), ("O3", "2025-12-22")],
      "2025 cut-off: the oldest open applications with their receipt dates")

j = get_json(agg, f"/v1/reports/{CITY}/2025/timeliness?scope=subtree")
gk.eq(j["answered"], {"total": 8, "on_the_spot": 1, "on_time": 5, "late": 2}, "2025 subtree: answered")
gk.eq(j["working_days_to_answer"], {"median": 20.5, "mean": 22.88, "max": 54},
      "2025 subtree: median 20.5, mean 22.88, max 54")

# 2019: A8 alone: 16 days, on time, extended 10 + 6 = 16, counted as 15.
j = get_json(agg, f"/v1/reports/{CITY}/2019/timeliness")
gk.eq((j["answered"], j["working_days_to_answer"], j["extensions"]),
      ({"total": 1, "on_the_spot": 0, "on_time": 1, "late": 0}, {"median": 16, "mean": 16.0, "max": 16},
       {"applications": 1, "working_days": 15}),
      "2019 (2007 rules): A8 on time in 16 days, 15 days of extension")
# 2024: nothing answered; at its cut-off O0 is open and overdue (due 12/30).
j = get_json(agg, f"/v1/reports/{CITY}/2024/timeliness")
gk.eq((j["answered"]["total"], j["at_cut_off"]["open"], j["at_cut_off"]["overdue"],
       j["at_cut_off"]["oldest_open"][0]["working_days_left"]), (0, 1, 1, -1),
      "2024: O0 open and overdue at the cut-off, 1 working day late (12/31)")
# The current year as of a day: cut-off = that day, not final.
j = get_json(agg, f"/v1/reports/{CITY}/2025/timeliness?as_of=2025-06-30")
gk.eq((j["cut_off"], j["final"], j["answered"]["total"], j["at_cut_off"]["open"]),
      ("2025-06-30", False, 3, 2), "2025 as of 6/30: A1-A3 answered; A4 and O0 open")

for bad, code in (("/v1/reports/tl-city/2025/timeliness?as_of=2025-02-30", "bad_as_of"),
                  ("/v1/reports/tl-city/2025/timeliness?scope=all", "bad_scope"),
                  ("/v1/reports/tl-city/20x5/timeliness", "bad_year"),
                  ("/v1/agencies/TL/open", "bad_agency"),
                  ("/v1/agencies/tl-city/open?limit=0", "bad_limit"),
                  ("/v1/agencies/tl-city/open?limit=100001", "bad_limit"),
                  ("/v1/agencies/tl-city/open?limit=-1", "bad_limit"),
                  ("/v1/agencies/tl-city/open?limit=1x", "bad_limit")):
    j = get_json(agg, bad, 400)
    gk.eq(j["error"], code, f"{bad}: 400 {code}")

# ---- /metrics: overdue per agency (today) -------------------------------------------------
# Whenever this runs (after 2026-11), tl-city has O0 and O1 open past due, O2
# awaiting a supplement and O3 in consultation: open 4, overdue 2.
m = agg.metrics()
gk.eq(m.get('gongkai_aggregator_overdue_applications{agency="tl-city"}'), 2.0, "/metrics: tl-city overdue 2")
gk.eq(m.get('gongkai_aggregator_open_applications{agency="tl-city"}'), 4.0, "/metrics: tl-city open 4")
gk.eq(m.get('gongkai_aggregator_overdue_applications{agency="tl-dept"}'), 0.0, "/metrics: tl-dept overdue 0")

# ---- provisional, then fixed by gongkai calendar load (acceptance 2) ------------------------
j = get_json(agg, f"/v1/agencies/{PROV}/open?as_of=2026-11-27")
gk.eq([app_view(a) for a in j["applications"]],
      [("P1", "running", "2026-11-20", "2026-12-18", 15, False, True)],
      "P1: due 2026-12-18, provisional (past the calendar)")
notice = os.path.join(W, "notice-2027.csv")
with open(notice, "w", encoding="utf-8") as f:
    f.write("date,kind,holiday\n2026-12-14,off,测试\n2027-01-01,off,元旦\n")
bad_notice = os.path.join(W, "bad-2027.csv")
with open(bad_notice, "w", encoding="utf-8") as f:
    f.write("date,kind,holiday\n2026-12-14,off,测试\n2027-01-04,work,测试\n")
r = gk.run([GK, "calendar", "load", bad_notice])
gk.check(r.returncode == 1 and b"line 3" in r.stderr and b"Monday" in r.stderr,
         "calendar load refuses a weekday marked work, naming the line", r.stderr.decode())
r = gk.run([GK, "calendar", "load", notice])
gk.eq((r.returncode, r.stdout.decode().strip()),
      (0, "loaded 2 rows for notice years 2027 (replacing 0 rows)"), "gongkai calendar load 2027")


def fixed():
    j = get_json(agg, f"/v1/agencies/{PROV}/open?as_of=2026-11-27")
    return j["calendar_last_year"] == 2027 and j


j = gk.wait_for(fixed, 10, "the aggregator to load the 2027 notice")
gk.eq([app_view(a) for a in j["applications"]],
      [("P1", "running", "2026-11-20", "2026-12-21", 15, False, False)],
      "P1 after the 2027 notice: due 2026-12-21, no longer provisional")
r = gk.run([GK, "calendar", "years"])
gk.check(r.returncode == 0 and r.stdout.decode().splitlines()[-1].startswith("2027\t2 rows"),
         "gongkai calendar years lists 2027", r.stdout.decode())
# Loading the same year again replaces it (2 rows replaced, not added).
r = gk.run([GK, "calendar", "load", notice])
gk.eq(r.stdout.decode().strip(), "loaded 2 rows for notice years 2027 (replacing 2 rows)",
      "loading 2027 again replaces its rows")

# ---- acceptance 4: the statutory tables are unchanged -----------------------------------------
rc, out, err = gk.publish([gk.fixture_path()])
gk.eq(rc, 0, "fixture published")
agg.wait_caught_up()
fix = os.path.join(gk.env("GONGKAI_SHARED"), "fixtures", "guizhou-eco-2019", "expected-2019.json")
with open(fix, encoding="utf-8") as f:
    expected = json.load(f)
diff = gkagg.subset_diff(gkagg.strip(expected), agg.report("gz-sthjt", 2019))
gk.eq(diff, [], "/v1/reports/gz-sthjt/2019 is still expected-2019.json")
# The timeliness events changed no statutory count: tl-city 2025 received 10
# (A1-A7, O1-O3), carried over 1 (O0), processed 7 (A1-A7), carried forward
# 10 + 1 - 7 = 4.
rep = agg.report(CITY, 2025)
rows = {r["key"]: r["values"][-1] for r in rep["applications"]["rows"]}
gk.eq((rows["received"], rows["total_processed"], rows["carried_over"], rows["carried_forward"]),
      (10, 7, 1, 4), "tl-city 2025 statutory counts: received 10, processed 7, carried 1 → 4")
gk.eq(gkagg.report_problems(rep), [], "tl-city 2025 statutory report is arithmetically sound")

# ---- 调休 off: GONGKAI_COUNT_MAKEUP_DAYS=0 ----------------------------------------------------
# Without the Sunday 4/27 A3's 20th working day is Mon 4/28 (answered 4/29:
# 21 days, late); without Sun 9/28 and Sat 10/11, A5's 16 days become 14 (due
# 10/28). Days 0 10 21 38 14 19 54 → sorted 0 10 14 19 21 38 54: median 19,
# mean 156/7 = 22.29, max 54.
gk.eq(agg.stop(), 0, "aggregator stops cleanly")
os.environ["GONGKAI_COUNT_MAKEUP_DAYS"] = "0"
agg = gkagg.Aggregator().start()
agg.wait_caught_up()
j = get_json(agg, f"/v1/reports/{CITY}/2025/timeliness")
gk.eq((j["count_makeup_days"], j["answered"], j["working_days_to_answer"]),
      (False, {"total": 7, "on_the_spot": 1, "on_time": 5, "late": 1},
       {"median": 19, "mean": 22.29, "max": 54}),
      "GONGKAI_COUNT_MAKEUP_DAYS=0: A3 21 days, A5 14 days")
gk.eq(agg.stop(), 0, "aggregator (调休 off) stops cleanly")
intake.stop()
gk.done()
