"""gkagg — aggregator helpers for the system tests (issue 3), next to gk.py.

  Aggregator        a gongkai-aggregator process: start (waits for "aggregator
                    ready"), stop (SIGTERM, returns the exit status), kill
                    (SIGKILL), pause/resume (SIGSTOP/SIGCONT); HTTP over urllib:
                    get(), report(agency, year, **params), healthz(), metrics(),
                    agencies(), wait_caught_up()
  verify()          `gongkai verify` → (exit status, output)
  strip(report)     a report without what is ours to add (labels, as_of, final, name)
  subset_diff(e, a) where a differs from e in a key or number e has (rows by key)
  report_problems(r)   the report's own arithmetic (balance, row and column sums,
                    template shape) — list of problems, empty when sound
  chain_problems(a, b) identities between year Y-1 (a) and Y (b)
  views_report(agency, year, case_rule)   the same report built from the SQL views
  views_diff(report)   HTTP report vs the views, cell by cell (before an agency's
                    first counter year the views have no rows: the report must be zeros)
  lines_in_order(want, have)   every wanted line is a line of have, in order
  gen_events(n, seed, prefix, agencies)   a valid, order-respecting random workload
  write_jsonl(path, events)
  FeedProxy         a lossy feed: SUB on intake's PUB, XPUB towards an aggregator,
                    forwarding or dropping each message by a policy

Command line (for the shell tests):
  gkagg.py subset EXPECTED.json ACTUAL.json     differences on stdout; exit 1 if any
  gkagg.py problems REPORT.json                 arithmetic problems; exit 1 if any
  gkagg.py views AGENCY YEAR [CASE_RULE]        the report from the SQL views, as JSON
  gkagg.py same-as-views REPORT.json            REPORT (HTTP JSON) vs the views; exit 1 on a difference
  gkagg.py lines-in-order WANT.txt HAVE.txt     every line of WANT is a line of HAVE, in order
  gkagg.py gen N SEED PREFIX [AGENCY...]        a generated workload as JSON Lines
"""

import json
import os
import random
import signal
import sys
import threading
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402

APPLICANTS = ["natural_person", "commercial_enterprise", "research_institution",
              "social_welfare_org", "legal_service_org", "other_org"]
COLUMNS = APPLICANTS + ["total"]
OUTCOMES = [
    "disclosed", "partially_disclosed",
    "withheld.state_secret", "withheld.prohibited_by_law", "withheld.security_stability",
    "withheld.third_party_rights", "withheld.internal_affairs", "withheld.process_information",
    "withheld.enforcement_case_file", "withheld.administrative_query",
    "unavailable.not_held", "unavailable.needs_creation", "unavailable.still_unclear",
    "not_processed.petition_complaint", "not_processed.duplicate", "not_processed.publication",
    "not_processed.excessive", "not_processed.confirmation",
    "other.no_correction", "other.fee_unpaid", "other.other",
]
OUTCOME_ROWS_2019 = OUTCOMES[:18] + ["other"]
OUTCOME_ROWS_2021 = OUTCOMES
APP_ROWS = {
    "2019": ["received", "carried_over"] + OUTCOME_ROWS_2019 + ["total_processed", "carried_forward"],
    "2021": ["received", "carried_over"] + OUTCOME_ROWS_2021 + ["total_processed", "carried_forward"],
}
AD_SHAPE = {
    "2019": {
        "rule": ["issued", "published", "total_published"],
        "normative": ["issued", "published", "total_published"],
        "licensing": ["items_prev_year", "items_change", "decisions"],
        "other_service": ["items_prev_year", "items_change", "decisions"],
        "penalty": ["items_prev_year", "items_change", "decisions"],
        "enforcement": ["items_prev_year", "items_change", "decisions"],
        "fee": ["items_prev_year", "items_change"],
        "procurement": ["projects", "amount_wan_yuan"],
    },
    "2021": {
        "rule": ["issued", "repealed", "in_force"],
        "normative": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "penalty": ["decisions"],
        "enforcement": ["decisions"],
        "fee": ["amount_wan_yuan"],
    },
}
RL_ROWS = ["review", "litigation_direct", "litigation_after_review"]
RL_COLUMNS = ["upheld", "corrected", "other", "pending", "total"]
MONEY_KEYS = {"amount_wan_yuan"}


def template_of(year):
    return "2019" if year <= 2020 else "2021"


# ---- the aggregator process --------------------------------------------------------


class Aggregator:
    """One gongkai-aggregator process on its own log file."""

    _n = 0

    def __init__(self, db=None, feed=None, query=None, http=None, name="aggregator", env=None):
        self.db = db or gk.env("GONGKAI_DB")
        self.env = env or {}
        self.feed = feed or gk.env("GONGKAI_FEED")
        self.query = query or gk.env("GONGKAI_QUERY")
        self.http = http or gk.env("GONGKAI_HTTP")
        self.name = name
        self.proc = None
        self.log = None

    def start(self, timeout=60, wait=True):
        """Spawns the aggregator; with wait, returns once it logged "aggregator ready"."""
        Aggregator._n += 1
        log_name = f"{self.name}.{Aggregator._n}.log"
        self.log = os.path.join(gk.work_dir(), log_name)
        self.proc = gk.spawn(
            [gk.bin_path("gongkai-aggregator")],
            log_name,
            {
                "GONGKAI_DB": self.db,
                "GONGKAI_FEED": self.feed,
                "GONGKAI_QUERY": self.query,
                "GONGKAI_HTTP": self.http,
                "GONGKAI_INSECURE": "1",
                **self.env,
            },
        )

        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=60):
        def ready():
            if self.proc.poll() is not None:
                gk.fatal(f"gongkai-aggregator exited {self.proc.returncode} before it was ready:\n"
                         + self.log_text())
            return 'msg="aggregator ready"' in self.log_text()

        gk.wait_for(ready, timeout, f'"aggregator ready" in {self.log}')
        return self

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status (fatal when it does not exit)."""
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGCONT)  # in case it was paused
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=timeout)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=10)
            gk.fatal(f"gongkai-aggregator did not stop within {timeout} s of SIGTERM")
        self.proc = None
        return rc

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    # ---- HTTP ----

    def get(self, path, timeout=10):
        """GET path → (status, content type, body bytes)."""
        url = f"http://{self.http}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def request(self, method, path, body=None, token=None, timeout=10):
        """method path [body] with an optional bearer token → (status, content type, body bytes)."""
        req = urllib.request.Request(f"http://{self.http}{path}", data=body, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def get_json(self, path):
        status, _, body = self.get(path)
        try:
            return status, json.loads(body.decode("utf-8"))
        except ValueError:
            return status, None

    def report(self, agency, year, **params):
        """The report as a dict (JSON) or text (other formats); fatal unless 200."""
        q = "&".join(f"{k}={v}" for k, v in params.items())
        path = f"/v1/reports/{agency}/{year}" + (f"?{q}" if q else "")
        status, _, body = self.get(path)
        if status != 200:
            gk.fatal(f"GET {path}: status {status}: {body[:300]!r}")
        text = body.decode("utf-8")
        if params.get("format", "json") == "json":
            return json.loads(text)
        return text

    def healthz(self):
        try:
            status, j = self.get_json("/healthz")
        except (OSError, urllib.error.URLError):
            return None
        return j if status == 200 else None

    def metrics(self):
        """/metrics as {name: value} (samples without labels)."""
        status, _, body = self.get("/metrics")
        if status != 200:
            gk.fatal(f"/metrics: status {status}")
        out = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    def agencies(self):
        status, j = self.get_json("/v1/agencies")
        if status != 200:
            gk.fatal(f"/v1/agencies: status {status}")
        return j

    def wait_caught_up(self, timeout=60, head=None):
        """Waits until applied_seq == head_seq == the log's max(seq) (or head), lag 0."""
        def log_head():
            return head if head is not None else gk.query(
                "SELECT coalesce(max(seq), 0) FROM event_log", dsn=self.db)[0][0]

        last = {}

        def caught_up():
            if self.proc is not None and self.proc.poll() is not None:
                gk.fatal(f"gongkai-aggregator exited {self.proc.returncode}:\n" + self.log_text()[-3000:])
            h = self.healthz()
            want = log_head()
            last["h"], last["want"] = h, want
            return h is not None and h["applied_seq"] == want and h["head_seq"] == want and h["lag"] == 0

        gk.wait_for(caught_up, timeout,
                    f"aggregator caught up with the log (last healthz {last.get('h')}, "
                    f"log head {last.get('want')})", interval=0.1)
        return last["h"]


SEED_AGENCY, SEED_NAME = "gz-sthjt", "贵州省生态环境厅"


def seeded(env=None, extra=()):
    """Intake and an aggregator (env: more of its environment) with the seed
    fixture published (then the files in extra) and its agency registered
    under its name, caught up: (intake, aggregator)."""
    intake = gk.Intake().start()
    agg = Aggregator(env=env).start()
    for files in [[gk.fixture_path()]] + [[f] for f in extra]:
        rc, out, err = gk.publish(files, timeout=300)
        gk.check(rc == 0 and "rejected 0" in out, "published %s (%s)" % (os.path.basename(files[0]), out.strip()),
                 err[-300:])
    r = gk.run([gk.bin_path("gongkai"), "agency", "add", SEED_AGENCY, "--name", SEED_NAME])
    gk.check(r.returncode == 0, "the seed's agency registered under its name", r.stderr)
    agg.wait_caught_up()
    return intake, agg


def verify(db=None, query=None, args=(), timeout=180):
    """`gongkai verify` → (exit status, stdout + stderr)."""
    over = {}
    if db:
        over["GONGKAI_DB"] = db
    if query:
        over["GONGKAI_QUERY"] = query
    r = gk.run([gk.bin_path("gongkai"), "verify"] + list(args), over, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


# ---- comparing reports ----------------------------------------------------------------


def strip(report):
    """A copy without what is ours to add: labels, as_of, final, name."""
    r = json.loads(json.dumps(report))
    for k in ("as_of", "final", "name"):
        r.pop(k, None)
    for row in r.get("applications", {}).get("rows", []):
        row.pop("label", None)
    return r


def _same_scalar(a, b):
    return type(a) is type(b) and a == b


def subset_diff(expected, actual, path=""):
    """Differences of actual from expected in every key and value expected has.
    Lists of objects with a "key" are matched by key; other lists must be equal."""
    out = []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or '.'}: expected an object, got {actual!r}"]
        for k, v in expected.items():
            p = f"{path}.{k}" if path else k
            if k not in actual:
                out.append(f"{p}: missing (expected {v!r})")
            else:
                out += subset_diff(v, actual[k], p)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {actual!r}"]
        if expected and all(isinstance(x, dict) and "key" in x for x in expected):
            by_key = {x.get("key"): x for x in actual if isinstance(x, dict)}
            for x in expected:
                p = f"{path}[{x['key']}]"
                if x["key"] not in by_key:
                    out.append(f"{p}: row missing")
                else:
                    out += subset_diff(x, by_key[x["key"]], p)
            return out
        if len(expected) != len(actual):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        for i, (x, y) in enumerate(zip(expected, actual)):
            out += subset_diff(x, y, f"{path}[{i}]")
        return out
    if not _same_scalar(expected, actual):
        out.append(f"{path}: expected {expected!r}, got {actual!r}")
    return out


def app_rows(report):
    return {row["key"]: row["values"] for row in report["applications"]["rows"]}


def report_problems(r):
    """Problems with a report's own arithmetic and shape; [] when sound."""
    p = []
    year = r.get("year")
    t = template_of(year)
    if r.get("template") != t:
        p.append(f"template {r.get('template')!r}, expected {t!r} for {year}")
    ad = r.get("active_disclosure", {})
    want_ad = AD_SHAPE[t]
    if sorted(ad) != sorted(want_ad):
        p.append(f"active_disclosure rows {sorted(ad)}, expected {sorted(want_ad)}")
    for k, cols in want_ad.items():
        if sorted(ad.get(k, {})) != sorted(cols):
            p.append(f"active_disclosure.{k} columns {sorted(ad.get(k, {}))}, expected {sorted(cols)}")
        for c in cols:
            v = ad.get(k, {}).get(c)
            if c in MONEY_KEYS:
                if not (isinstance(v, str) and len(v) >= 4 and v[-3] == "."
                        and v.replace(".", "", 1).isdigit()):
                    p.append(f"active_disclosure.{k}.{c} = {v!r} is not a decimal string with two decimals")
            elif not isinstance(v, int) or (v < 0 and c != "items_change"):
                p.append(f"active_disclosure.{k}.{c} = {v!r}")
    apps = r.get("applications", {})
    if apps.get("columns") != COLUMNS:
        p.append(f"applications.columns {apps.get('columns')}")
    keys = [row.get("key") for row in apps.get("rows", [])]
    if keys != APP_ROWS[t]:
        p.append(f"applications row keys {keys}, expected {APP_ROWS[t]}")
        return p
    rows = app_rows(r)
    for k, v in rows.items():
        if len(v) != 7 or any(not isinstance(x, int) or x < 0 for x in v):
            p.append(f"row {k}: {v}")
            continue
        if sum(v[:6]) != v[6]:
            p.append(f"row {k}: sum of the six columns {sum(v[:6])} != total {v[6]}")
    outcome_keys = APP_ROWS[t][2:-2]
    for c in range(7):
        lhs = rows["received"][c] + rows["carried_over"][c]
        rhs = rows["total_processed"][c] + rows["carried_forward"][c]
        if lhs != rhs:
            p.append(f"balance, column {COLUMNS[c]}: received + carried_over = {lhs}, "
                     f"total_processed + carried_forward = {rhs}")
        s = sum(rows[k][c] for k in outcome_keys)
        if s != rows["total_processed"][c]:
            p.append(f"column {COLUMNS[c]}: sum of outcome rows {s} != total_processed "
                     f"{rows['total_processed'][c]}")
    rl = r.get("reviews_litigation", {})
    if rl.get("columns") != RL_COLUMNS:
        p.append(f"reviews_litigation.columns {rl.get('columns')}")
    if rl.get("case_rule") not in ("filed", "handled"):
        p.append(f"reviews_litigation.case_rule {rl.get('case_rule')!r}")
    for k in RL_ROWS:
        v = rl.get(k)
        if not isinstance(v, list) or len(v) != 5 or any(not isinstance(x, int) or x < 0 for x in v):
            p.append(f"reviews_litigation.{k} = {v!r}")
        elif sum(v[:4]) != v[4]:
            p.append(f"reviews_litigation.{k}: {v[:4]} does not add up to total {v[4]}")
    return p


def chain_problems(a, b):
    """Identities between consecutive years a (Y-1) and b (Y) of one agency."""
    p = []
    ra, rb = app_rows(a), app_rows(b)
    if ra["carried_forward"] != rb["carried_over"]:
        p.append(f"carried_forward {a['year']} {ra['carried_forward']} != carried_over "
                 f"{b['year']} {rb['carried_over']}")
    if a["template"] == "2019" and b["template"] == "2019":
        for k in ("licensing", "other_service", "penalty", "enforcement", "fee"):
            x, y = a["active_disclosure"][k], b["active_disclosure"][k]
            if x["items_prev_year"] + x["items_change"] != y["items_prev_year"]:
                p.append(f"{k}: items {a['year']} {x['items_prev_year']}{x['items_change']:+d} != "
                         f"items_prev_year {b['year']} {y['items_prev_year']}")
    return p


# ---- the SQL views ---------------------------------------------------------------------


def views_report(agency, year, case_rule="filed", dsn=None):
    """The report (contract JSON without labels) built from the three SQL views;
    None when the views have no row for (agency, year)."""
    apps = gk.query(
        "SELECT template, row_key, natural_person, commercial_enterprise, research_institution,"
        " social_welfare_org, legal_service_org, other_org, total FROM report_applications"
        " WHERE agency = %s AND year = %s ORDER BY ord", (agency, year), dsn=dsn)
    if not apps:
        return None
    cols = ["issued", "published", "total_published", "repealed", "in_force", "items_prev_year",
            "items_change", "decisions", "projects", "amount_wan_yuan"]
    ad_rows = gk.query(
        f"SELECT row_key, {', '.join(cols)} FROM report_active_disclosure"
        " WHERE agency = %s AND year = %s ORDER BY ord", (agency, year), dsn=dsn)
    rl_rows = gk.query(
        "SELECT row_key, upheld, corrected, other, pending, total FROM report_reviews_litigation"
        " WHERE agency = %s AND year = %s AND case_rule = %s ORDER BY ord",
        (agency, year, case_rule), dsn=dsn)
    ad = {}
    for row in ad_rows:
        ad[row[0]] = {c: (v if c in MONEY_KEYS else int(v))
                      for c, v in zip(cols, row[1:]) if v is not None}
    rl = {"columns": RL_COLUMNS}
    for row in rl_rows:
        rl[row[0]] = [int(x) for x in row[1:]]
    rl["case_rule"] = case_rule
    return {
        "agency": agency,
        "year": year,
        "template": apps[0][0],
        "active_disclosure": ad,
        "applications": {
            "columns": COLUMNS,
            "rows": [{"key": row[1], "values": [int(x) for x in row[2:]]} for row in apps],
        },
        "reviews_litigation": rl,
    }


def is_all_zero(report):
    """Every number of the report's tables is 0 and every amount "0.00"."""
    nums, money = [], []

    def walk(x, key=None):
        if isinstance(x, dict):
            for k, v in x.items():
                if k not in ("year", "columns", "label", "as_of"):
                    walk(v, k)
        elif isinstance(x, list):
            for v in x:
                walk(v, key)
        elif isinstance(x, bool):
            pass
        elif isinstance(x, int):
            nums.append(x)
        elif key in MONEY_KEYS:
            money.append(x)

    walk({k: report[k] for k in ("active_disclosure", "applications", "reviews_litigation")})
    return all(n == 0 for n in nums) and all(m == "0.00" for m in money)


def views_diff(report, dsn=None):
    """Cell-by-cell differences between an HTTP report and the SQL views."""
    case_rule = report["reviews_litigation"]["case_rule"]
    v = views_report(report["agency"], report["year"], case_rule, dsn)
    if v is None:
        # The views cover an agency from its first year with a counter on
        # (sql/003_report_views.sql); before it, the report must be all zeros.
        if is_all_zero(report):
            return []
        return [f"no rows in the views for {report['agency']} {report['year']}, "
                "and the report is not all zeros"]
    s = strip(report)
    return subset_diff(s, v, "views") + subset_diff(v, s, "http")


# ---- a generated workload ------------------------------------------------------------------


def _stamp(rng, day, sec):
    """Beijing date (datetime.date) + seconds of the day → RFC 3339, with +08:00 or as UTC Z."""
    import datetime as dt
    local = dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=sec)
    if rng.random() < 0.5:
        return local.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return (local - dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")


def gen_events(n, seed=1, prefix="gen", agencies=("gen-a", "gen-b", "gen-c"),
               first_year=2018, last_year=2022):
    """n events that intake accepts, in an order that respects every
    ordering rule: applications (with corrections of receipt and answer),
    documents, catalogue items, decisions, fees, procurements (with
    corrections) and cases (some as review body), dated across the years with
    times near midnight often enough to exercise the Beijing-day rule."""
    import datetime as dt
    rng = random.Random(seed)
    d0 = dt.date(first_year, 1, 1)
    span = (dt.date(last_year, 12, 31) - d0).days
    out = []
    k = 0

    def day():
        return d0 + dt.timedelta(days=rng.randrange(span + 1))

    def sec():
        r = rng.random()
        if r < 0.15:
            return rng.choice([0, 1, 59, 86399, 86340])
        return rng.randrange(86400)

    def later(d, max_days=500):
        e = d + dt.timedelta(days=rng.randrange(max_days))
        return min(e, dt.date(last_year, 12, 31))

    def ev(typ, agency, d, **f):
        nonlocal k
        k += 1
        e = {"event_id": f"{prefix}-{k:07d}", "type": typ, "agency": agency,
             "occurred_at": _stamp(rng, d, f.pop("_sec", sec()))}
        e.update(f)
        out.append(e)

    apps = []
    while len(out) < n:
        a = rng.choice(agencies)
        r = rng.random()
        if r < 0.40:
            i = len(apps)
            aid = f"{prefix}-app-{i}"
            d = day()
            ev("application_received", a, d, application_id=aid, applicant=rng.choice(APPLICANTS),
               _sec=43200)
            if rng.random() < 0.1:  # a correction of the receipt (no answer yet)
                d = day()
                ev("application_received", a, d, application_id=aid,
                   applicant=rng.choice(APPLICANTS), _sec=43200)
            if rng.random() < 0.75:
                dr = later(d)
                ev("application_resolved", a, dr, application_id=aid, outcome=rng.choice(OUTCOMES),
                   _sec=50000)
                if rng.random() < 0.1:  # a correction of the answer
                    ev("application_resolved", a, later(d), application_id=aid,
                       outcome=rng.choice(OUTCOMES), _sec=50000)
            apps.append(aid)
        elif r < 0.55:
            ev("decision_made", a, day(), decision_kind=rng.choice(
                ["licensing", "other_service", "penalty", "enforcement"]),
               count=rng.choice([1, 1, 2, 7, 100]))
        elif r < 0.62:
            ev("fee_collected", a, day(), amount_fen=rng.choice([1, 4999, 5000, 123456, 10 ** 9]))
        elif r < 0.68:
            pid = f"{prefix}-proc-{k}"
            ev("procurement_awarded", a, day(), procurement_id=pid,
               amount_fen=rng.randrange(1, 10 ** 10))
            if rng.random() < 0.2:
                ev("procurement_awarded", a, day(), procurement_id=pid,
                   amount_fen=rng.randrange(1, 10 ** 10))
        elif r < 0.78:
            did = f"{prefix}-doc-{k}"
            kind = rng.choice(["rule", "normative"])
            d = day()
            ev("document_issued", a, d, document_id=did, document_kind=kind)
            ev("document_published", a, later(d, 60), document_id=did, document_kind=kind)
            x = rng.random()
            if x < 0.2:
                ev("document_repealed", a, later(d, 900), document_id=did, document_kind=kind)
            elif x < 0.35:
                ev("document_lapsed", a, later(d, 900), document_id=did, document_kind=kind)
        elif r < 0.86:
            iid = f"{prefix}-item-{k}"
            kind = rng.choice(["licensing", "other_service", "penalty", "enforcement", "fee"])
            d = day()
            ev("catalog_item_added", a, d, item_id=iid, item_kind=kind)
            if rng.random() < 0.3:
                ev("catalog_item_removed", a, later(d, 900), item_id=iid, item_kind=kind)
        else:
            cid = f"{prefix}-case-{k}"
            d = day()
            if rng.random() < 0.5:
                ev("review_filed", a, d, case_id=cid, _sec=3600)
                if rng.random() < 0.7:
                    ev("review_decided", a, later(d, 700), case_id=cid,
                       result=rng.choice(["upheld", "corrected", "other"]), _sec=7200)
            else:
                f = {"route": rng.choice(["direct", "after_review"])}
                if rng.random() < 0.2:
                    f["as_review_body"] = True
                ev("lawsuit_filed", a, d, case_id=cid, _sec=3600, **f)
                if rng.random() < 0.6:
                    ev("lawsuit_decided", a, later(d, 700), case_id=cid,
                       result=rng.choice(["upheld", "corrected", "other"]), _sec=7200)
    return out[:n]  # exactly n: cutting the tail breaks no ordering rule


def write_jsonl(path, events):
    with open(path, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


# ---- a lossy feed ----------------------------------------------------------------------------


class FeedProxy:
    """SUB on intake's feed, XPUB towards aggregators; each message is forwarded
    or dropped as policy(kind, envelope) says (kind: "feed" or "heartbeat").
    Counts what it forwarded and dropped; `subscribed` turns true when a
    subscriber has joined the XPUB side."""

    def __init__(self, upstream, downstream):
        import zmq
        self.zmq = zmq
        self.upstream, self.downstream = upstream, downstream
        self.policy = lambda kind, env: True
        self.forwarded = {"feed": 0, "heartbeat": 0}
        self.dropped = {"feed": 0, "heartbeat": 0}
        self.dropped_seqs = []
        self.upstream_seen = 0
        self.subscribed = False
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        if not self._ready.wait(10):
            gk.fatal("feed proxy did not start")
        if self._error:
            gk.fatal(f"feed proxy: {self._error}")
        return self

    def stop(self):
        self._stop.set()
        self.thread.join(10)

    def _run(self):
        zmq = self.zmq
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        pub = ctx.socket(zmq.XPUB)
        try:
            for s in (sub, pub):
                s.setsockopt(zmq.LINGER, 0)
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(self.upstream)
            pub.bind(self.downstream)
        except Exception as e:  # noqa: BLE001
            self._error = str(e)
            self._ready.set()
            return
        self._ready.set()
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        poller.register(pub, zmq.POLLIN)
        pbm = gk.pb()
        while not self._stop.is_set():
            for sock, _ in poller.poll(100):
                if sock is pub:
                    msg = pub.recv()
                    if msg[:1] == b"\x01":
                        self.subscribed = True
                    continue
                data = sub.recv()
                self.upstream_seen += 1
                env = pbm.Envelope()
                try:
                    env.ParseFromString(data)
                    kind = env.WhichOneof("body") or "?"
                except Exception:  # noqa: BLE001
                    kind = "?"
                try:
                    forward = self.policy(kind, env)
                except Exception:  # noqa: BLE001
                    forward = True
                if forward:
                    pub.send(data)
                    self.forwarded[kind] = self.forwarded.get(kind, 0) + 1
                else:
                    self.dropped[kind] = self.dropped.get(kind, 0) + 1
                    if kind == "feed":
                        self.dropped_seqs.append(
                            (env.feed.first_seq, env.feed.first_seq + len(env.feed.events) - 1))
        sub.close(0)
        pub.close(0)
        ctx.term()


def lines_in_order(want, have):
    """Each line of want appears exactly as a whole line of have, in the same order."""
    out, i = [], 0
    for w in want:
        j = i
        while j < len(have) and have[j] != w:
            j += 1
        if j == len(have):
            where = "at all" if w not in have else "after the line before it"
            out.append(f"line not found {where}: {w!r}")
        else:
            i = j + 1
    return out


# ---- command line -------------------------------------------------------------------------------


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv):
    if len(argv) == 3 and argv[0] == "subset":
        d = subset_diff(_load(argv[1]), _load(argv[2]))
        for x in d:
            print(x)
        return 1 if d else 0
    if len(argv) == 2 and argv[0] == "problems":
        d = report_problems(_load(argv[1]))
        for x in d:
            print(x)
        return 1 if d else 0
    if len(argv) in (3, 4) and argv[0] == "views":
        v = views_report(argv[1], int(argv[2]), argv[3] if len(argv) == 4 else "filed")
        print(json.dumps(v, ensure_ascii=False, indent=1))
        return 0 if v is not None else 1
    if len(argv) == 2 and argv[0] == "same-as-views":
        d = views_diff(_load(argv[1]))
        for x in d:
            print(x)
        return 1 if d else 0
    if len(argv) == 3 and argv[0] == "lines-in-order":
        with open(argv[1], encoding="utf-8") as f:
            want = [x.rstrip("\n") for x in f if x.strip()]
        with open(argv[2], encoding="utf-8") as f:
            have = [x.rstrip("\n") for x in f]
        d = lines_in_order(want, have)
        for x in d:
            print(x)
        return 1 if d else 0
    if len(argv) >= 4 and argv[0] == "gen":
        ag = tuple(argv[4:]) or ("gen-a", "gen-b", "gen-c")
        for e in gen_events(int(argv[1]), int(argv[2]), argv[3], ag):
            print(json.dumps(e, ensure_ascii=False, separators=(",", ":")))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
