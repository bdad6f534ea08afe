#!/usr/bin/env python3
"""test_agg_rules — issue 3, acceptance 2: every counting rule of report.md,
with events built for it, published over the wire (gongkai publish → intake →
feed → aggregator) and read back over HTTP, in both templates (≤ 2020: "2019",
≥ 2021: "2021").

One agency per rule, so each report can be stated in full: every cell that
is not named in an expectation must be zero. Every report fetched is also
checked for its own arithmetic (balance, row and column sums, template
shape), against the year before (carried_forward → carried_over, items
chain), and against the SQL views cell by cell. Corrections are checked
twice: against stated numbers, and against a twin agency that received only
the final state of every entity — both case rules, every year.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402
from gkagg import AD_SHAPE, APP_ROWS, APPLICANTS, COLUMNS, MONEY_KEYS, OUTCOMES, RL_COLUMNS, RL_ROWS  # noqa: E402

NP, CE, RI, SW, LS, OO = APPLICANTS
YEARS = range(2017, 2024)

EVENTS = []
EXPECT = {}  # (agency, year) → {"apps", "ad", "filed", "handled"}


def ev(typ, agency, at, **f):
    e = {"event_id": f"rules-{len(EVENTS) + 1:05d}", "type": typ, "agency": agency, "occurred_at": at}
    e.update(f)
    EVENTS.append(e)
    return e


def expect(agency, year, apps=None, ad=None, rl=None, filed=None, handled=None):
    """apps: {row: {applicant: n}}; ad: {row: {column: value}}; rl / filed /
    handled: {row: [upheld, corrected, other, pending]} (rl for both rules)."""
    t = gkagg.template_of(year)
    for k, cols in (ad or {}).items():
        assert k in AD_SHAPE[t] and set(cols) <= set(AD_SHAPE[t][k]), (agency, year, k, cols)
    for k in apps or {}:
        assert k in APP_ROWS[t], (agency, year, k)
    EXPECT[(agency, year)] = {"apps": apps or {}, "ad": ad or {},
                              "filed": filed or rl or {}, "handled": handled or rl or {}}


def full_expected(agency, year, case_rule):
    """The whole report (as strip() leaves it) that EXPECT describes: every
    cell not named is zero."""
    t = gkagg.template_of(year)
    x = EXPECT.get((agency, year), {"apps": {}, "ad": {}, "filed": {}, "handled": {}})
    rows = []
    for key in APP_ROWS[t]:
        v = [0] * 6
        for col, n in x["apps"].get(key, {}).items():
            v[APPLICANTS.index(col)] = n
        rows.append({"key": key, "values": v + [sum(v)]})
    ad = {}
    for k, cols in AD_SHAPE[t].items():
        ad[k] = {c: ("0.00" if c in MONEY_KEYS else 0) for c in cols}
        ad[k].update(x["ad"].get(k, {}))
    rl = {"columns": RL_COLUMNS}
    for k in RL_ROWS:
        v = list(x[case_rule].get(k, [0, 0, 0, 0]))
        rl[k] = v + [sum(v)]
    rl["case_rule"] = case_rule
    return {"agency": agency, "year": year, "template": t, "active_disclosure": ad,
            "applications": {"columns": COLUMNS, "rows": rows}, "reviews_litigation": rl}


# ---- A. the reporting day is the Beijing date -----------------------------------------------
A = "t-day"
ev("application_received", A, "2019-12-31T15:59:59Z", application_id="a1", applicant=NP)   # BJ 2019-12-31 23:59:59
ev("application_resolved", A, "2019-12-31T16:30:00Z", application_id="a1", outcome="disclosed")  # BJ 2020-01-01
ev("application_received", A, "2019-12-31T16:30:00Z", application_id="a2", applicant=CE)   # BJ 2020-01-01 00:30
ev("application_resolved", A, "2020-12-31T16:00:00Z", application_id="a2", outcome="other.no_correction")  # BJ 2021-01-01
ev("application_received", A, "2020-12-31T23:59:59+08:00", application_id="a3", applicant=OO)
ev("application_resolved", A, "2020-12-31T15:59:59Z", application_id="a3", outcome="not_processed.duplicate")
ev("application_received", A, "2020-12-31T10:30:00-06:00", application_id="a4", applicant=SW)  # BJ 2021-01-01 00:30
ev("application_received", A, "2019-06-30T20:00:00-10:00", application_id="a5", applicant=RI)  # BJ 2019-07-01 14:00
ev("application_resolved", A, "2019-07-01T00:00:00Z", application_id="a5", outcome="withheld.state_secret")
ev("decision_made", A, "2019-12-31T15:59:59Z", decision_kind="licensing", count=3)
ev("decision_made", A, "2019-12-31T16:30:00Z", decision_kind="licensing", count=5)
ev("decision_made", A, "2020-12-31T15:59:59Z", decision_kind="penalty", count=4)
ev("decision_made", A, "2020-12-31T16:00:00Z", decision_kind="penalty", count=2)
expect(A, 2019, apps={"received": {NP: 1, RI: 1}, "withheld.state_secret": {RI: 1},
                      "total_processed": {RI: 1}, "carried_forward": {NP: 1}},
       ad={"licensing": {"decisions": 3}})
expect(A, 2020, apps={"carried_over": {NP: 1}, "received": {CE: 1, OO: 1}, "disclosed": {NP: 1},
                      "not_processed.duplicate": {OO: 1}, "total_processed": {NP: 1, OO: 1},
                      "carried_forward": {CE: 1}},
       ad={"licensing": {"decisions": 5}, "penalty": {"decisions": 4}})
expect(A, 2021, apps={"carried_over": {CE: 1}, "received": {SW: 1}, "other.no_correction": {CE: 1},
                      "total_processed": {CE: 1}, "carried_forward": {SW: 1}},
       ad={"penalty": {"decisions": 2}})
for y in (2022, 2023):
    expect(A, y, apps={"carried_over": {SW: 1}, "carried_forward": {SW: 1}})

# ---- B. carry-over across two year ends, both directions ------------------------------------
B = "t-carry"
ev("application_received", B, "2019-06-01T10:00:00+08:00", application_id="c1", applicant=NP)
ev("application_resolved", B, "2021-03-01T10:00:00+08:00", application_id="c1", outcome="disclosed")
ev("application_received", B, "2019-11-11T10:00:00+08:00", application_id="c2", applicant=RI)
ev("application_resolved", B, "2020-01-02T10:00:00+08:00", application_id="c2", outcome="partially_disclosed")
ev("application_received", B, "2018-12-01T10:00:00+08:00", application_id="c3", applicant=LS)
ev("application_resolved", B, "2018-12-20T10:00:00+08:00", application_id="c3", outcome="unavailable.not_held")
ev("application_received", B, "2018-10-01T10:00:00+08:00", application_id="c4", applicant=CE)
ev("application_resolved", B, "2020-10-01T10:00:00+08:00", application_id="c4", outcome="other.fee_unpaid")
expect(B, 2018, apps={"received": {LS: 1, CE: 1}, "unavailable.not_held": {LS: 1},
                      "total_processed": {LS: 1}, "carried_forward": {CE: 1}})
expect(B, 2019, apps={"carried_over": {CE: 1}, "received": {NP: 1, RI: 1},
                      "carried_forward": {NP: 1, RI: 1, CE: 1}})
expect(B, 2020, apps={"carried_over": {NP: 1, RI: 1, CE: 1}, "partially_disclosed": {RI: 1},
                      "other": {CE: 1}, "total_processed": {RI: 1, CE: 1}, "carried_forward": {NP: 1}})
expect(B, 2021, apps={"carried_over": {NP: 1}, "disclosed": {NP: 1}, "total_processed": {NP: 1}})

# ---- C. documents: issued, published, repealed, lapsed -----------------------------------------
C = "t-docs"


def doc(did, kind, issued=None, published=None, repealed=None, lapsed=None, agency=C):
    for typ, at in (("document_issued", issued), ("document_published", published),
                    ("document_repealed", repealed), ("document_lapsed", lapsed)):
        if at:
            ev(typ, agency, at if "T" in at else at + "T09:00:00+08:00", document_id=did, document_kind=kind)


doc("d1", "normative", "2018-03-01", "2018-03-05", lapsed="2019-08-01")
doc("d2", "normative", "2018-04-01", "2018-04-02", repealed="2019-09-01")
doc("d3", "rule", "2019-01-10", "2019-01-15")
doc("d4", "normative", "2019-12-31T16:30:00Z", "2020-01-03", repealed="2021-05-01")
doc("d5", "rule", "2020-06-01", "2020-06-02", lapsed="2022-01-01")
doc("d6", "normative", "2021-02-01", "2021-02-02", repealed="2021-11-01")
doc("d7", "normative", "2019-05-01", "2020-02-01")
doc("d8", "rule", "2018-06-01", "2018-06-02", lapsed="2019-12-31T16:30:00Z")
expect(C, 2018, ad={"rule": {"issued": 1, "published": 1, "total_published": 1},
                    "normative": {"issued": 2, "published": 2, "total_published": 2}})
expect(C, 2019, ad={"rule": {"issued": 1, "published": 1, "total_published": 2},
                    "normative": {"issued": 1, "published": 0, "total_published": 0}})
expect(C, 2020, ad={"rule": {"issued": 1, "published": 1, "total_published": 2},
                    "normative": {"issued": 1, "published": 2, "total_published": 2}})
expect(C, 2021, ad={"rule": {"issued": 0, "repealed": 0, "in_force": 2},
                    "normative": {"issued": 1, "repealed": 2, "in_force": 1}})
expect(C, 2022, ad={"rule": {"in_force": 1}, "normative": {"in_force": 1}})
expect(C, 2023, ad={"rule": {"in_force": 1}, "normative": {"in_force": 1}})

# ---- D. catalogue items: in force at the end of Y-1, change in Y ------------------------------
D = "t-items"
T9 = "T09:00:00+08:00"
ev("catalog_item_added", D, "2017-05-01" + T9, item_id="i1", item_kind="licensing")
ev("catalog_item_added", D, "2019-03-01" + T9, item_id="i2", item_kind="licensing")
ev("catalog_item_added", D, "2018-01-01" + T9, item_id="i3", item_kind="other_service")
ev("catalog_item_removed", D, "2019-06-01" + T9, item_id="i3", item_kind="other_service")
ev("catalog_item_added", D, "2019-12-31T16:30:00Z", item_id="i4", item_kind="penalty")
ev("catalog_item_added", D, "2018-02-01" + T9, item_id="i5", item_kind="enforcement")
ev("catalog_item_removed", D, "2020-02-01" + T9, item_id="i5", item_kind="enforcement")
ev("catalog_item_added", D, "2018-01-01" + T9, item_id="i6", item_kind="fee")
ev("catalog_item_added", D, "2018-07-01" + T9, item_id="i7", item_kind="fee")
ev("catalog_item_removed", D, "2018-09-01" + T9, item_id="i7", item_kind="fee")
expect(D, 2017, ad={"licensing": {"items_prev_year": 0, "items_change": 1}})
expect(D, 2018, ad={"licensing": {"items_prev_year": 1, "items_change": 0},
                    "other_service": {"items_prev_year": 0, "items_change": 1},
                    "enforcement": {"items_prev_year": 0, "items_change": 1},
                    "fee": {"items_prev_year": 0, "items_change": 1}})
expect(D, 2019, ad={"licensing": {"items_prev_year": 1, "items_change": 1},
                    "other_service": {"items_prev_year": 1, "items_change": -1},
                    "enforcement": {"items_prev_year": 1, "items_change": 0},
                    "fee": {"items_prev_year": 1, "items_change": 0}})
expect(D, 2020, ad={"licensing": {"items_prev_year": 2, "items_change": 0},
                    "penalty": {"items_prev_year": 0, "items_change": 1},
                    "enforcement": {"items_prev_year": 1, "items_change": -1},
                    "fee": {"items_prev_year": 1, "items_change": 0}})
expect(D, 2021)  # the 2021 template has no item counts

# ---- E. decisions, with count -----------------------------------------------------------------
E = "t-dec"
ev("decision_made", E, "2019-06-01" + T9, decision_kind="licensing", count=590)
ev("decision_made", E, "2019-07-01" + T9, decision_kind="licensing")  # count defaults to 1
ev("decision_made", E, "2019-07-02" + T9, decision_kind="other_service", count=8)
ev("decision_made", E, "2019-07-03" + T9, decision_kind="penalty", count=6)
ev("decision_made", E, "2019-07-04" + T9, decision_kind="enforcement", count=2)
ev("decision_made", E, "2021-03-01" + T9, decision_kind="licensing", count=10)
ev("decision_made", E, "2021-03-02" + T9, decision_kind="penalty", count=3)
ev("decision_made", E, "2021-03-03" + T9, decision_kind="enforcement", count=4)
ev("decision_made", E, "2021-03-04" + T9, decision_kind="other_service", count=7)  # no such cell in 2021
ev("decision_made", E, "2022-03-01" + T9, decision_kind="licensing", count=1000000)
expect(E, 2019, ad={"licensing": {"decisions": 591}, "other_service": {"decisions": 8},
                    "penalty": {"decisions": 6}, "enforcement": {"decisions": 2}})
expect(E, 2021, ad={"licensing": {"decisions": 10}, "penalty": {"decisions": 3},
                    "enforcement": {"decisions": 4}})
expect(E, 2022, ad={"licensing": {"decisions": 1000000}})

# ---- F. money: fen summed exactly, shown as 万元 rounded half up ----------------------------------
F = "t-money"
ev("fee_collected", F, "2020-05-01" + T9, amount_fen=123456789)  # no fee amount cell in 2019
ev("fee_collected", F, "2021-05-01" + T9, amount_fen=5000)
ev("fee_collected", F, "2022-05-01" + T9, amount_fen=4999)
ev("fee_collected", F, "2023-05-01" + T9, amount_fen=4999)
ev("fee_collected", F, "2023-06-01" + T9, amount_fen=1)
ev("fee_collected", F, "2024-05-01" + T9, amount_fen=10 ** 15)
ev("fee_collected", F, "2024-05-02" + T9, amount_fen=10 ** 15)
ev("fee_collected", F, "2025-05-01" + T9, amount_fen=1234565000)
ev("procurement_awarded", F, "2018-05-01" + T9, procurement_id="p3", amount_fen=4999)
ev("procurement_awarded", F, "2018-05-02" + T9, procurement_id="p4", amount_fen=1)
ev("procurement_awarded", F, "2019-05-01" + T9, procurement_id="p1", amount_fen=5000)
ev("procurement_awarded", F, "2019-05-02" + T9, procurement_id="p5", amount_fen=10 ** 15)
ev("procurement_awarded", F, "2020-05-01" + T9, procurement_id="p2", amount_fen=4999)
ev("procurement_awarded", F, "2021-05-01" + T9, procurement_id="p6", amount_fen=100)  # no cell in 2021
expect(F, 2018, ad={"procurement": {"projects": 2, "amount_wan_yuan": "0.01"}})
expect(F, 2019, ad={"procurement": {"projects": 2, "amount_wan_yuan": "1000000000.01"}})
expect(F, 2020, ad={"procurement": {"projects": 1, "amount_wan_yuan": "0.00"}})
expect(F, 2021, ad={"fee": {"amount_wan_yuan": "0.01"}})
expect(F, 2022, ad={"fee": {"amount_wan_yuan": "0.00"}})
expect(F, 2023, ad={"fee": {"amount_wan_yuan": "0.01"}})
MONEY_MORE = {2024: "2000000000.00", 2025: "1234.57"}

# ---- G. every outcome code; other.* merged into `other` in 2019, separate in 2021 -------------
G = "t-out"
for year, shift in ((2020, 0), (2021, 1)):
    apps = {}
    for i, o in enumerate(OUTCOMES):
        col = APPLICANTS[(i + shift) % 6]
        aid = f"o{year}-{i}"
        ev("application_received", G, f"{year}-02-01T09:00:00+08:00", application_id=aid, applicant=col)
        ev("application_resolved", G, f"{year}-03-{i + 1:02d}T09:00:00+08:00", application_id=aid, outcome=o)
        row = "other" if year <= 2020 and o.startswith("other.") else o
        apps.setdefault(row, {}).setdefault(col, 0)
        apps[row][col] += 1
        for r in ("received", "total_processed"):
            apps.setdefault(r, {}).setdefault(col, 0)
            apps[r][col] += 1
    expect(G, year, apps=apps)
assert EXPECT[(G, 2020)]["apps"]["other"] == {NP: 1, CE: 1, RI: 1}

# ---- H. review and litigation: both case rules -------------------------------------------------
H = "t-case"
ev("review_filed", H, "2019-03-01" + T9, case_id="r1")
ev("review_decided", H, "2019-10-01" + T9, case_id="r1", result="corrected")
ev("review_filed", H, "2019-11-01" + T9, case_id="r2")
ev("review_decided", H, "2021-02-01" + T9, case_id="r2", result="upheld")        # two year ends later
ev("review_filed", H, "2019-12-31T15:59:59Z", case_id="r3")                       # BJ 2019-12-31
ev("review_decided", H, "2019-12-31T16:00:00Z", case_id="r3", result="upheld")    # BJ 2020-01-01
ev("lawsuit_filed", H, "2020-01-10" + T9, case_id="l1", route="direct")          # never decided
ev("lawsuit_filed", H, "2020-05-01" + T9, case_id="l2", route="after_review")
ev("lawsuit_decided", H, "2020-12-31T16:30:00Z", case_id="l2", result="other")   # BJ 2021-01-01
ev("lawsuit_filed", H, "2019-04-01" + T9, case_id="l3", route="direct", as_review_body=True)
ev("lawsuit_decided", H, "2019-05-01" + T9, case_id="l3", result="upheld")
ev("lawsuit_filed", H, "2020-04-01" + T9, case_id="l4", route="after_review", as_review_body=True)
expect(H, 2019, rl={"review": [0, 1, 0, 2]})
expect(H, 2020, filed={"litigation_direct": [0, 0, 0, 1], "litigation_after_review": [0, 0, 0, 1]},
       handled={"review": [1, 0, 0, 1], "litigation_direct": [0, 0, 0, 1],
                "litigation_after_review": [0, 0, 0, 1]})
expect(H, 2021, filed={},
       handled={"review": [1, 0, 0, 0], "litigation_direct": [0, 0, 0, 1],
                "litigation_after_review": [0, 0, 1, 0]})
expect(H, 2022, filed={}, handled={"litigation_direct": [0, 0, 0, 1]})
expect(H, 2023, filed={}, handled={"litigation_direct": [0, 0, 0, 1]})
RB = "t-rbonly"  # an agency whose only case is one it is sued in as the review body
ev("lawsuit_filed", RB, "2019-04-01" + T9, case_id="x1", route="direct", as_review_body=True)
ev("lawsuit_decided", RB, "2019-08-01" + T9, case_id="x1", result="corrected")
expect(RB, 2019)

# ---- I. corrections of every entity kind: later wins -------------------------------------------
I, IF = "t-corr", "t-corr-fin"  # IF gets only the final state
FIRST = []   # events of I before its corrections (phase 1)
CORR = []    # the corrections (phase 2)


def both(phase, typ, at, **f):
    """An event of I: an original fact ("orig", phase 1) or a correction ("corr", phase 2)."""
    e = ev(typ, I, at, **f)
    (FIRST if phase != "corr" else CORR).append(e)
    return e


def fin(typ, at, **f):
    ev(typ, IF, at, **f)


# application: receipt date and applicant
both("orig", "application_received", "2019-03-01" + T9, application_id="ca1", applicant=NP)
both("corr", "application_received", "2020-02-01" + T9, application_id="ca1", applicant=CE)
fin("application_received", "2020-02-01" + T9, application_id="ca1", applicant=CE)
# resolution: outcome and date
both("orig", "application_received", "2019-05-01" + T9, application_id="ca2", applicant=NP)
both("orig", "application_resolved", "2019-06-01" + T9, application_id="ca2", outcome="disclosed")
both("corr", "application_resolved", "2020-03-01" + T9, application_id="ca2", outcome="withheld.state_secret")
fin("application_received", "2019-05-01" + T9, application_id="ca2", applicant=NP)
fin("application_resolved", "2020-03-01" + T9, application_id="ca2", outcome="withheld.state_secret")
# receipt corrected after the answer (still before it)
both("orig", "application_received", "2020-05-01" + T9, application_id="ca3", applicant=RI)
both("orig", "application_resolved", "2020-06-01" + T9, application_id="ca3", outcome="other.other")
both("corr", "application_received", "2020-04-01" + T9, application_id="ca3", applicant=SW)
fin("application_received", "2020-04-01" + T9, application_id="ca3", applicant=SW)
fin("application_resolved", "2020-06-01" + T9, application_id="ca3", outcome="other.other")
# document: dates and kind
both("orig", "document_issued", "2019-02-01" + T9, document_id="cd1", document_kind="rule")
both("orig", "document_published", "2019-02-02" + T9, document_id="cd1", document_kind="rule")
both("corr", "document_issued", "2020-04-01" + T9, document_id="cd1", document_kind="normative")
both("corr", "document_published", "2020-04-02" + T9, document_id="cd1", document_kind="normative")
fin("document_issued", "2020-04-01" + T9, document_id="cd1", document_kind="normative")
fin("document_published", "2020-04-02" + T9, document_id="cd1", document_kind="normative")
# document: repeal date
both("orig", "document_issued", "2018-01-01" + T9, document_id="cd2", document_kind="normative")
both("orig", "document_published", "2018-01-02" + T9, document_id="cd2", document_kind="normative")
both("orig", "document_repealed", "2019-06-01" + T9, document_id="cd2", document_kind="normative")
both("corr", "document_repealed", "2021-06-01" + T9, document_id="cd2", document_kind="normative")
fin("document_issued", "2018-01-01" + T9, document_id="cd2", document_kind="normative")
fin("document_published", "2018-01-02" + T9, document_id="cd2", document_kind="normative")
fin("document_repealed", "2021-06-01" + T9, document_id="cd2", document_kind="normative")
# document: lapse date
both("orig", "document_issued", "2018-03-01" + T9, document_id="cd3", document_kind="rule")
both("orig", "document_published", "2018-03-02" + T9, document_id="cd3", document_kind="rule")
both("orig", "document_lapsed", "2019-03-01" + T9, document_id="cd3", document_kind="rule")
both("corr", "document_lapsed", "2022-03-01" + T9, document_id="cd3", document_kind="rule")
fin("document_issued", "2018-03-01" + T9, document_id="cd3", document_kind="rule")
fin("document_published", "2018-03-02" + T9, document_id="cd3", document_kind="rule")
fin("document_lapsed", "2022-03-01" + T9, document_id="cd3", document_kind="rule")
# catalogue item: added again with another kind and date
both("orig", "catalog_item_added", "2018-05-01" + T9, item_id="ci1", item_kind="licensing")
both("corr", "catalog_item_added", "2019-05-01" + T9, item_id="ci1", item_kind="penalty")
fin("catalog_item_added", "2019-05-01" + T9, item_id="ci1", item_kind="penalty")
# catalogue item: removal date
both("orig", "catalog_item_added", "2018-01-01" + T9, item_id="ci2", item_kind="fee")
both("orig", "catalog_item_removed", "2019-03-01" + T9, item_id="ci2", item_kind="fee")
both("corr", "catalog_item_removed", "2020-03-01" + T9, item_id="ci2", item_kind="fee")
fin("catalog_item_added", "2018-01-01" + T9, item_id="ci2", item_kind="fee")
fin("catalog_item_removed", "2020-03-01" + T9, item_id="ci2", item_kind="fee")
# procurement: amount and date
both("orig", "procurement_awarded", "2019-07-01" + T9, procurement_id="cp1", amount_fen=100000000)
both("corr", "procurement_awarded", "2020-07-01" + T9, procurement_id="cp1", amount_fen=25000000)
fin("procurement_awarded", "2020-07-01" + T9, procurement_id="cp1", amount_fen=25000000)
# case: filing date, then the decision's result
both("orig", "review_filed", "2019-04-01" + T9, case_id="ck1")
both("corr", "review_filed", "2020-02-01" + T9, case_id="ck1")
both("corr", "review_decided", "2020-05-01" + T9, case_id="ck1", result="upheld")
both("corr", "review_decided", "2020-05-01" + T9, case_id="ck1", result="corrected")
fin("review_filed", "2020-02-01" + T9, case_id="ck1")
fin("review_decided", "2020-05-01" + T9, case_id="ck1", result="corrected")
# case: decision date and result
both("orig", "lawsuit_filed", "2019-03-01" + T9, case_id="ck2", route="direct")
both("orig", "lawsuit_decided", "2019-09-01" + T9, case_id="ck2", result="upheld")
both("corr", "lawsuit_decided", "2021-02-01" + T9, case_id="ck2", result="other")
fin("lawsuit_filed", "2019-03-01" + T9, case_id="ck2", route="direct")
fin("lawsuit_decided", "2021-02-01" + T9, case_id="ck2", result="other")
# case: route, and as_review_body taken back
both("orig", "lawsuit_filed", "2019-05-01" + T9, case_id="ck3", route="after_review")
both("corr", "lawsuit_filed", "2019-05-01" + T9, case_id="ck3", route="direct")
fin("lawsuit_filed", "2019-05-01" + T9, case_id="ck3", route="direct")
both("orig", "lawsuit_filed", "2019-06-01" + T9, case_id="ck4", route="direct", as_review_body=True)
both("corr", "lawsuit_filed", "2019-06-01" + T9, case_id="ck4", route="direct")
fin("lawsuit_filed", "2019-06-01" + T9, case_id="ck4", route="direct")

expect(I, 2017)
expect(I, 2018, ad={"rule": {"issued": 1, "published": 1, "total_published": 1},
                    "normative": {"issued": 1, "published": 1, "total_published": 1},
                    "fee": {"items_prev_year": 0, "items_change": 1}})
expect(I, 2019, apps={"received": {NP: 1}, "carried_forward": {NP: 1}},
       ad={"rule": {"total_published": 1}, "normative": {"total_published": 1},
           "penalty": {"items_prev_year": 0, "items_change": 1},
           "fee": {"items_prev_year": 1, "items_change": 0}},
       rl={"litigation_direct": [0, 0, 0, 3]})
expect(I, 2020, apps={"carried_over": {NP: 1}, "received": {CE: 1, SW: 1},
                      "withheld.state_secret": {NP: 1}, "other": {SW: 1},
                      "total_processed": {NP: 1, SW: 1}, "carried_forward": {CE: 1}},
       ad={"rule": {"total_published": 1},
           "normative": {"issued": 1, "published": 1, "total_published": 2},
           "penalty": {"items_prev_year": 1, "items_change": 0},
           "fee": {"items_prev_year": 1, "items_change": -1},
           "procurement": {"projects": 1, "amount_wan_yuan": "25.00"}},
       filed={"review": [0, 1, 0, 0]},
       handled={"review": [0, 1, 0, 0], "litigation_direct": [0, 0, 0, 3]})
expect(I, 2021, apps={"carried_over": {CE: 1}, "carried_forward": {CE: 1}},
       ad={"rule": {"in_force": 1}, "normative": {"repealed": 1, "in_force": 1}},
       filed={}, handled={"litigation_direct": [0, 0, 1, 2]})
expect(I, 2022, apps={"carried_over": {CE: 1}, "carried_forward": {CE: 1}},
       ad={"normative": {"in_force": 1}}, filed={}, handled={"litigation_direct": [0, 0, 0, 2]})
expect(I, 2023, apps={"carried_over": {CE: 1}, "carried_forward": {CE: 1}},
       ad={"normative": {"in_force": 1}}, filed={}, handled={"litigation_direct": [0, 0, 0, 2]})

AGENCIES = [A, B, C, D, E, F, G, H, RB, I, IF]

# ---- run ---------------------------------------------------------------------------------------------
work = gk.work_dir()
intake = gk.Intake().start()
agg = gkagg.Aggregator().start()

corr_ids = {e["event_id"] for e in CORR}
phase1 = [e for e in EVENTS if e["event_id"] not in corr_ids]
phase2 = [e for e in EVENTS if e["event_id"] in corr_ids]
for name, evs in (("phase1", phase1), ("phase2", phase2)):
    path = gkagg.write_jsonl(os.path.join(work, f"{name}.jsonl"), evs)
    rc, out, err = gk.publish([path])
    gk.eq(out.strip().splitlines()[-1] if out.strip() else out, f"accepted {len(evs)}, duplicate 0, rejected 0",
          f"{name}: {len(evs)} events published, none rejected ({err.strip()[:500]})")
    gk.eq(rc, 0, f"{name}: gongkai publish exits 0")
    agg.wait_caught_up(60)
    if name == "phase1":
        # Before the corrections, t-corr counts the original facts.
        r = agg.report(I, 2019)
        before = {"applications": {"rows": [{"key": "received", "values": [2, 0, 0, 0, 0, 0, 2]},
                                            {"key": "disclosed", "values": [1, 0, 0, 0, 0, 0, 1]}]},
                  "active_disclosure": {"rule": {"issued": 1, "published": 1, "total_published": 1},
                                        "procurement": {"projects": 1, "amount_wan_yuan": "100.00"}},
                  "reviews_litigation": {"review": [0, 0, 0, 1, 1], "litigation_direct": [1, 0, 0, 0, 1],
                                         "litigation_after_review": [0, 0, 0, 1, 1]}}
        d = gkagg.subset_diff(before, r)
        gk.check(not d, "t-corr 2019 before the corrections counts the original facts", "; ".join(d))
        r = agg.report(I, 2018)
        d = gkagg.subset_diff({"active_disclosure": {"licensing": {"items_prev_year": 0, "items_change": 1}}}, r)
        gk.check(not d, "t-corr 2018 before the corrections: the licensing item", "; ".join(d))

# Every agency, every year 2017-2023, both case rules.
reports = {}
for a in AGENCIES:
    for y in YEARS:
        for rule in ("filed", "handled"):
            reports[(a, y, rule)] = agg.report(a, y, case_rule=rule)
gk.eq(agg.report(H, 2019)["reviews_litigation"]["case_rule"], "filed", "case_rule defaults to filed")

for (a, y, rule), r in sorted(reports.items()):
    what = f"{a} {y} ({rule})"
    p = gkagg.report_problems(r)
    gk.check(not p, f"{what}: template {gkagg.template_of(y)}, balance, row and column sums hold", "; ".join(p))
    gk.eq(r["reviews_litigation"]["case_rule"], rule, f"{what}: reviews_litigation.case_rule says {rule}")
    if a != IF:  # IF is held to I below
        want = full_expected(a, y, rule)
        got = gkagg.strip(r)
        d = gkagg.subset_diff(want, got) + gkagg.subset_diff(got, want, "extra")
        gk.check(not d, f"{what}: every cell as the rules say", "; ".join(d[:12]))
    if y > YEARS[0]:
        p = gkagg.chain_problems(reports[(a, y - 1, rule)], r)
        gk.check(not p, f"{what}: follows from {y - 1} (carried_forward → carried_over, items)", "; ".join(p))
    d = gkagg.views_diff(r)
    gk.check(not d, f"{what}: the SQL views hold the same cells", "; ".join(d[:12]))

for y, amount in MONEY_MORE.items():
    r = agg.report(F, y)
    gk.eq(r["active_disclosure"]["fee"]["amount_wan_yuan"], amount, f"t-money {y}: fees {amount} 万元")
    gk.eq(r["template"], "2021", f"t-money {y}: template 2021")

# Corrections: the corrected agency equals the one that only ever saw the final state.
for y in YEARS:
    for rule in ("filed", "handled"):
        x, z = gkagg.strip(reports[(I, y, rule)]), gkagg.strip(reports[(IF, y, rule)])
        x.pop("agency"), z.pop("agency")
        d = gkagg.subset_diff(z, x)
        gk.check(not d, f"corrections {y} ({rule}): t-corr equals t-corr-fin (final state only)", "; ".join(d[:12]))

# The handled rule counts a case again in its decision year; the filed rule never does.
tot = {rule: sum(reports[(H, y, rule)]["reviews_litigation"]["review"][4] for y in YEARS)
       for rule in ("filed", "handled")}
gk.eq(tot["filed"], 3, "filed: each of the 3 counted reviews counts once over all years")
gk.eq(tot["handled"], 6, "handled: r2 counts in 2019, 2020 (pending) and 2021, r3 in 2019 and 2020")

# /v1/agencies, other formats of a rule's report, and verify.
listed = {x["agency"]: x for x in agg.agencies()["agencies"]}
for a in AGENCIES:
    gk.check(a in listed, f"/v1/agencies lists {a}", f"got {sorted(listed)}")
gk.eq(sorted(listed), sorted(AGENCIES), "/v1/agencies lists exactly the agencies with events")
gk.eq([listed.get(C, {}).get("first_year"), listed.get(C, {}).get("last_year")], [2018, 2022],
      "/v1/agencies: t-docs from 2018 (first issue) to 2022 (last lapse)")
gk.eq([listed.get(RB, {}).get("first_year"), listed.get(RB, {}).get("last_year")], [None, None],
      "/v1/agencies: t-rbonly (no counted event) has no years")
text = agg.report(F, 2019, format="text")
gk.check("政府集中采购\t2\t1000000000.01" in text.splitlines(), "text: procurement 2 / 1000000000.01 万元")
text = agg.report(F, 2021, format="text")
gk.check("行政事业性收费\t0.01" in text.splitlines(), "text, 2021 template: fees 0.01 万元")
text = agg.report(C, 2021, format="text")
lines = text.splitlines()
gk.check("信息内容\t本年制发件数\t本年废止件数\t现行有效件数" in lines and "行政规范性文件\t1\t2\t1" in lines
         and "规章\t0\t0\t2" in lines, "text, 2021 template: document columns and numbers", text[:600])
text = agg.report(G, 2021, format="text")
gk.check(any(x.startswith("3.其他\t") for x in text.splitlines()) and "(六)其他处理" in text,
         "text, 2021 template: (六)其他处理 with its three sub-rows")
text = agg.report(H, 2021, format="text", case_rule="handled")
gk.check("行政复议\t1\t0\t0\t0\t1" in text.splitlines(), "text, handled: r2 upheld in 2021")

rc, out = gkagg.verify()
gk.eq(rc, 0, f"gongkai verify exits 0 after all of it ({out.strip()[-400:]})")
gk.eq(agg.stop(), 0, "aggregator exits 0 on SIGTERM")
gk.eq(intake.stop(), 0, "intake exits 0 on SIGTERM")
gk.done()
