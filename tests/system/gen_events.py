#!/usr/bin/python3
"""gen_events — a deterministic stream of valid events (spec/events.md and
timeliness.md), as JSON Lines on stdout.

  gen_events.py [--seed S] [--count N] [--agencies K] [--dup-rate R] [--prefix P]

Same seed, same bytes. Every line is valid and stays valid whatever order
of retries a publisher uses, as long as the file order is kept: an answer,
a removal, a decision or a timeliness event always comes after what it
needs, dates never go backwards for one entity, and nothing is corrected in
a way that could be refused. A share of lines (--dup-rate, default 0.01) repeats
an earlier line exactly: a publisher must get `duplicate` for those.
--prefix P starts every agency code and id with P, so that streams of
several publishers (each its own prefix) never share an entity.
"""

import argparse
import datetime as dt
import json
import random
import sys

APPLICANTS = ["natural_person", "commercial_enterprise", "research_institution",
              "social_welfare_org", "legal_service_org", "other_org"]
OUTCOMES = ["disclosed", "partially_disclosed", "withheld.state_secret",
            "withheld.prohibited_by_law", "withheld.security_stability",
            "withheld.third_party_rights", "withheld.internal_affairs",
            "withheld.process_information", "withheld.enforcement_case_file",
            "withheld.administrative_query", "unavailable.not_held",
            "unavailable.needs_creation", "unavailable.still_unclear",
            "not_processed.petition_complaint", "not_processed.duplicate",
            "not_processed.publication", "not_processed.excessive",
            "not_processed.confirmation", "other.no_correction", "other.fee_unpaid",
            "other.other"]
ITEM_KINDS = ["licensing", "other_service", "penalty", "enforcement", "fee"]
DECISION_KINDS = ["licensing", "other_service", "penalty", "enforcement"]
CHANNELS = ["in_person", "post", "online", "fax", "email", "other"]
RESULTS = ["upheld", "corrected", "other"]
ROUTES = ["direct", "after_review"]
OFFSETS = [dt.timedelta(hours=8), dt.timedelta(0), dt.timedelta(hours=-5),
           dt.timedelta(hours=5, minutes=30)]
START = dt.datetime(2019, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--agencies", type=int, default=3)
    ap.add_argument("--dup-rate", type=float, default=0.01)
    ap.add_argument("--prefix", default="")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    agencies = [f"{a.prefix}gen-{i:02d}" for i in range(a.agencies)]
    n_id = [0]
    state = {ag: {"open_apps": [], "apps": [], "docs": [], "items": [], "reviews": [],
                  "lawsuits": [], "timeliness": set()} for ag in agencies}
    out = []

    def new_id(prefix):
        n_id[0] += 1
        return f"{a.prefix}{prefix}-{n_id[0]:06d}"

    def stamp(day):
        """An instant on Beijing day START+day, written with some offset; the
        hour stays inside the Beijing day whatever the offset."""
        t = START + dt.timedelta(days=day, hours=rng.randint(8, 18), minutes=rng.randint(0, 59))
        off = rng.choice(OFFSETS)
        local = t.astimezone(dt.timezone(off))
        s = local.isoformat()
        return s.replace("+00:00", "Z") if off == dt.timedelta(0) else s

    def emit(ag, etype, day, **fields):
        e = {"event_id": new_id("ev"), "type": etype, "agency": ag, "occurred_at": stamp(day)}
        e.update(fields)
        out.append(json.dumps(e, separators=(",", ":")))

    def later(day, most=30):
        return day + rng.randint(0, most)

    day = 0
    while len(out) < a.count:
        if out and rng.random() < a.dup_rate:
            out.append(rng.choice(out))  # the very same line again
            continue
        if rng.random() < 0.02:
            day = min(day + 1, 700)
        ag = rng.choice(agencies)
        s = state[ag]
        r = rng.random()
        if r < 0.22:
            app = new_id("app")
            fields = {"application_id": app, "applicant": rng.choice(APPLICANTS)}
            if rng.random() < 0.5:
                fields["channel"] = rng.choice(CHANNELS)
            emit(ag, "application_received", day, **fields)
            s["open_apps"].append((app, day))
            s["apps"].append((app, day))
        elif r < 0.40 and s["open_apps"]:
            app, d0 = s["open_apps"].pop(rng.randrange(len(s["open_apps"])))
            emit(ag, "application_resolved", max(day, later(d0)), application_id=app,
                 outcome=rng.choice(OUTCOMES))
        elif r < 0.46 and s["open_apps"]:
            # On an open application, at most once per kind: no rule about
            # their sum or their order after the answer can ever refuse them.
            app, d0 = rng.choice(s["open_apps"])
            kind = rng.choice(["supplement_requested", "supplement_received", "extension_granted",
                               "deadline_set"])
            if (app, kind) in s["timeliness"]:
                continue
            s["timeliness"].add((app, kind))
            d = max(day, d0)
            if kind == "extension_granted":
                emit(ag, kind, d, application_id=app, working_days=rng.randint(1, 20))
            elif kind == "deadline_set":
                due = (START + dt.timedelta(days=d + rng.randint(0, 60))).date().isoformat()
                emit(ag, kind, d, application_id=app, due=due)
            else:
                emit(ag, kind, d, application_id=app)
        elif r < 0.56:
            doc = new_id("doc")
            k = rng.choice(["rule", "normative"])
            emit(ag, "document_issued", day, document_id=doc, document_kind=k)
            s["docs"].append((doc, k))
        elif r < 0.62 and s["docs"]:
            doc, k = rng.choice(s["docs"])
            emit(ag, rng.choice(["document_published", "document_repealed", "document_lapsed"]),
                 day, document_id=doc, document_kind=k)
        elif r < 0.70:
            item = new_id("item")
            k = rng.choice(ITEM_KINDS)
            emit(ag, "catalog_item_added", day, item_id=item, item_kind=k)
            s["items"].append((item, k))
        elif r < 0.73 and s["items"]:
            item, k = s["items"].pop(rng.randrange(len(s["items"])))
            emit(ag, "catalog_item_removed", day, item_id=item, item_kind=k)
        elif r < 0.83:
            emit(ag, "decision_made", day, decision_kind=rng.choice(DECISION_KINDS),
                 count=rng.randint(1, 500))
        elif r < 0.88:
            emit(ag, "fee_collected", day, amount_fen=rng.randint(1, 10**9))
        elif r < 0.91:
            emit(ag, "procurement_awarded", day, procurement_id=new_id("proc"),
                 amount_fen=rng.randint(10**4, 10**12))
        elif r < 0.94:
            case = new_id("rv")
            fields = {"case_id": case}
            if s["apps"] and rng.random() < 0.5:
                fields["application_id"] = rng.choice(s["apps"])[0]
            emit(ag, "review_filed", day, **fields)
            s["reviews"].append((case, day))
        elif r < 0.96 and s["reviews"]:
            case, d0 = s["reviews"].pop(rng.randrange(len(s["reviews"])))
            emit(ag, "review_decided", max(day, later(d0, 60)), case_id=case,
                 result=rng.choice(RESULTS))
        elif r < 0.98:
            case = new_id("ls")
            fields = {"case_id": case, "route": rng.choice(ROUTES)}
            if rng.random() < 0.2:
                fields["as_review_body"] = True
            emit(ag, "lawsuit_filed", day, **fields)
            s["lawsuits"].append((case, day))
        elif s["lawsuits"]:
            case, d0 = s["lawsuits"].pop(rng.randrange(len(s["lawsuits"])))
            emit(ag, "lawsuit_decided", max(day, later(d0, 90)), case_id=case,
                 result=rng.choice(RESULTS))
    sys.stdout.write("\n".join(out[: a.count]) + "\n")


if __name__ == "__main__":
    main()
