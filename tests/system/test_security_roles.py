#!/usr/bin/python3
"""PostgreSQL roles of migration 005, least privilege (issue 5, acceptance 3).

Creates one login user per group role (as a deployment would), connects as
each and shows what it cannot do; then runs intake and the aggregator as
their own logins through the whole sample and reads the report views as the
reader: the grants are enough, and no more than enough.
"""
import os

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from seclib import (BIN, DB, check, dsn_as, finish, gongkai, sql, start, wait_applied, wait_log)

dbname = psycopg2.extensions.parse_dsn(DB).get("dbname", "gongkai")
login = {}
for role in ("intake", "aggregator", "reader"):
    user = "%s_%s_login" % (dbname, role)
    exists = sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
    if not exists:
        sql('CREATE ROLE "%s" LOGIN IN ROLE gongkai_%s' % (user, role))
    login[role] = dsn_as(user)

roles = dict(sql("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'gongkai\\_%%'"))
check(roles == {"gongkai_intake": False, "gongkai_aggregator": False, "gongkai_reader": False},
      "migration 005 made three NOLOGIN group roles: %s" % roles)


def attempt(role, statement):
    """Runs statement as role in a transaction that is rolled back: 'ok' or the SQLSTATE name."""
    c = psycopg2.connect(login[role])
    try:
        with c.cursor() as cur:
            cur.execute(statement)
        return "ok"
    except psycopg2.Error as e:
        return "denied" if isinstance(e, psycopg2.errors.InsufficientPrivilege) else e.pgcode
    finally:
        c.rollback()
        c.close()


EV = ("INSERT INTO event_log (seq, event_id, type, agency, occurred_at, digest, body, event, peer)"
      " VALUES (999999, 'x', 'application_received', 'a', now(), 0, '', '{}', 'p')")
REJ = "INSERT INTO rejection (peer, code, message, raw) VALUES ('p', 'c', 'm', '')"
expect = [
    ("intake", EV, "ok"),
    ("intake", REJ, "ok"),
    ("intake", "SELECT count(*) FROM event_log", "ok"),
    ("intake", "UPDATE event_log SET agency = 'x'", "denied"),
    ("intake", "DELETE FROM event_log", "denied"),
    ("intake", "TRUNCATE event_log", "denied"),
    ("intake", "UPDATE rejection SET code = 'x'", "denied"),
    ("intake", "DELETE FROM rejection", "denied"),
    ("intake", "UPDATE agg_cursor SET applied_seq = 5", "denied"),
    ("intake", "SELECT * FROM agg_metric", "denied"),
    ("aggregator", "SELECT count(*) FROM event_log", "ok"),
    ("aggregator", "INSERT INTO agg_metric VALUES ('a', 2024, 'm', 1)", "ok"),
    ("aggregator", "UPDATE agg_cursor SET applied_seq = applied_seq", "ok"),
    ("aggregator", EV, "denied"),
    ("aggregator", "UPDATE event_log SET agency = 'x'", "denied"),
    ("aggregator", "DELETE FROM event_log", "denied"),
    ("aggregator", REJ, "denied"),
    ("aggregator", "SELECT * FROM rejection", "denied"),
    ("reader", "SELECT * FROM report_applications", "ok"),
    ("reader", "SELECT * FROM report_active_disclosure", "ok"),
    ("reader", "SELECT * FROM report_reviews_litigation", "ok"),
    ("reader", "SELECT * FROM agg_metric", "ok"),
    ("reader", "INSERT INTO agg_metric VALUES ('a', 2024, 'm', 1)", "denied"),
    ("reader", "UPDATE agg_cursor SET applied_seq = 5", "denied"),
    ("reader", "DELETE FROM agg_metric", "denied"),
    ("reader", EV, "denied"),
    ("reader", "SELECT * FROM event_log", "denied"),
    ("reader", "SELECT * FROM rejection", "denied"),
    ("reader", "CREATE TABLE sneaky (x int)", "denied"),
]
for role, statement, want in expect:
    got = attempt(role, statement)
    check(got == want, "%-10s %-6s %s" % (role, want, statement[:70]))

# The services run as their own logins: the grants are enough for real work.
intake = start("intake", [os.path.join(BIN, "gongkai-intake")], dict(os.environ, GONGKAI_DB=login["intake"]))
check(wait_log(intake, r"intake ready"), "intake runs as %s" % login["intake"].split("user=")[-1])
agg = start("aggregator", [os.path.join(BIN, "gongkai-aggregator")],
            dict(os.environ, GONGKAI_DB=login["aggregator"]))
check(wait_log(agg, r"aggregator ready"), "the aggregator runs as its login")
sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "sample-events.jsonl")
r = gongkai("publish", sample)
check(r.returncode == 0 and "accepted 356" in r.stdout, "the sample goes in: %s" % r.stdout.strip())
r = gongkai("publish", stdin='{"event_id": "bad-1", "type": "nonsense"}\n')
check(r.returncode == 1, "a rejection is stored by the intake login")
check(wait_applied(356), "the aggregator, as its login, applies all 356 events")
r = gongkai("rejects", env=dict(os.environ, GONGKAI_DB=login["intake"]))
check(r.returncode == 0 and "bad-1" in r.stdout, "gongkai rejects works with the intake login")
rows = sql("SELECT total FROM report_applications WHERE agency = 'gz-sthjt' AND year = 2019"
           " AND row_key = 'received'", dsn=login["reader"])
check(len(rows) == 1 and rows[0][0] > 0, "the reader reads the report views: received total %s" % rows)
finish()
