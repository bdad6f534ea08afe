#!/usr/bin/python3
"""CURVE, ZAP and per-agency authorisation, over the wire (issue 5, acceptance 1).

Keys from `gongkai keygen`, an allowlist, intake and aggregator with CURVE on;
then: a valid publisher works and its events carry its name; another agency
is `forbidden`, stored under the key's name; a dashboard cannot publish; an
unknown key is refused at the handshake (nothing stored, nothing
acknowledged); only aggregator keys get the feed; dashboards query, publishers
do not; a key removed from the allowlist and SIGHUP is refused from then on,
also on the connection it opened before. No secret in logs or --help.
"""
import os
import time

import zmq

import re
import signal
import subprocess

from seclib import (BIN, FEED, INTAKE, WORK, check, curve_dealer, event, finish, gongkai,
                    handshake_refused, keygen, log_of, secret_of, secure_env, send_events, sql,
                    start, submit, wait_applied, wait_log, write_allowlist)

K = {n: keygen(n) for n in ("intake", "aggregator", "pub-a", "pub-b", "dash", "stranger")}
allow = os.path.join(WORK, "allowlist")
lines = {
    "pub-a": "%s  pub-a  publisher  sec-a" % K["pub-a"][2],
    "pub-b": "%s  pub-b  publisher  sec-b sec-c  # two agencies" % K["pub-b"][2],
    "dash": "%s  dash  dashboard" % K["dash"][2],
    "aggregator": "%s  aggregator  aggregator" % K["aggregator"][2],
}
write_allowlist(allow, lines.values())

# --- without keys, a secure service refuses to start and says how ---------------
r = subprocess.run([os.path.join(BIN, "gongkai-intake")], env=secure_env(),
                                 capture_output=True, text=True, timeout=20)
check(r.returncode == 2 and "gongkai keygen" in r.stderr,
      "intake without keys refuses to start and names gongkai keygen")
r = subprocess.run([os.path.join(BIN, "gongkai-aggregator")], env=secure_env(),
                                 capture_output=True, text=True, timeout=20)
check(r.returncode == 2 and "gongkai keygen" in r.stderr,
      "aggregator without keys refuses to start and names gongkai keygen")
r = gongkai("publish", env=secure_env(), stdin=event("x-1", "sec-a") + "\n")
check(r.returncode == 2 and "gongkai keygen" in r.stderr,
      "publish without a client key exits 2 and names gongkai keygen")

intake_env = secure_env(GONGKAI_CERT=K["intake"][0], GONGKAI_KEYS=allow)
intake = start("intake", [os.path.join(BIN, "gongkai-intake")], intake_env)
check(wait_log(intake, r"intake ready.*curve=on"), "intake starts with CURVE on")
check("INSECURE" not in log_of(intake), "no insecure warning when CURVE is on")


def publish(key, text, **kw):
    env = secure_env(GONGKAI_CLIENT_CERT=K[key][0], GONGKAI_INTAKE_KEY=K["intake"][1])
    return gongkai("publish", "--timeout", "10", env=env, stdin=text, **kw)


# --- a valid publisher ----------------------------------------------------------------
r = publish("pub-a", event("a-1", "sec-a") + "\n" + event("a-2", "sec-a") + "\n")
check(r.returncode == 0 and "accepted 2, duplicate 0, rejected 0" in r.stdout,
      "publisher pub-a writes its agency sec-a: %s" % r.stdout.strip())
rows = sql("SELECT event_id, identity FROM event_log ORDER BY seq")
check(rows == [("a-1", "pub-a"), ("a-2", "pub-a")], "event_log.identity is the key's name: %s" % rows)

# --- another agency: forbidden, stored with the key's name --------------------------
r = publish("pub-a", event("a-3", "sec-b") + "\n")
check(r.returncode == 1 and "a-3: forbidden:" in r.stderr and "rejected 1" in r.stdout,
      "pub-a writing sec-b is forbidden: %s" % r.stderr.strip())
rows = sql("SELECT identity, code, message FROM rejection WHERE event_id = 'a-3'")
check(len(rows) == 1 and rows[0][0] == "pub-a" and rows[0][1] == "forbidden"
      and '"sec-b"' in rows[0][2], "the rejection is stored under pub-a: %s" % rows)
check(sql("SELECT count(*) FROM event_log WHERE event_id = 'a-3'")[0][0] == 0,
      "the forbidden event is not in the log")
r = publish("pub-b", event("b-1", "sec-c") + "\n")
check(r.returncode == 0 and "accepted 1" in r.stdout, "pub-b writes its second agency sec-c")

# --- a dashboard key cannot publish ----------------------------------------------------
r = publish("dash", event("d-1", "sec-a") + "\n")
check(r.returncode == 1 and "d-1: forbidden:" in r.stderr, "dashboard key cannot publish: %s" % r.stderr.strip())
rows = sql("SELECT identity, code FROM rejection WHERE event_id = 'd-1'")
check(rows == [("dash", "forbidden")], "stored as forbidden under dash: %s" % rows)

# --- an unknown key is refused at the door ----------------------------------------------
before = sql("SELECT (SELECT count(*) FROM event_log), (SELECT count(*) FROM rejection)")[0]
ctx = zmq.Context()
pub_z, sec_z = zmq.curve_keypair()
s = curve_dealer(ctx, (pub_z, sec_z), K["intake"][2])
check(handshake_refused(s, INTAKE, submit([event("u-1", "sec-a")])) is True,
      "unknown key: handshake refused by ZAP")
got = s.poll(2000)
check(not got, "unknown key: nothing acknowledged")
s.close()
r = publish("stranger", event("u-2", "sec-a") + "\n")
check(r.returncode == 2 and "refused" in r.stderr,
      "publish with a key not in the allowlist exits 2, refused: %s" % r.stderr.strip())
after = sql("SELECT (SELECT count(*) FROM event_log), (SELECT count(*) FROM rejection)")[0]
check(before == after, "unknown key: no event and no rejection stored (%s → %s)" % (before, after))
check(wait_log(intake, r"connection refused.*key not in the allowlist.*domain=intake"),
      "intake logs the refusal")

# --- the feed: aggregator keys only -------------------------------------------------
def subscribe(key):
    s = ctx.socket(zmq.SUB)
    s.linger = 0
    text = open(K[key][0]).read()
    s.curve_serverkey = K["intake"][2].encode()
    s.curve_publickey = re.search(r'public-key = "(.{40})"', text).group(1).encode()
    s.curve_secretkey = re.search(r'secret-key = "(.{40})"', text).group(1).encode()
    s.setsockopt(zmq.SUBSCRIBE, b"")
    return s


s = subscribe("dash")
check(handshake_refused(s, FEED) is True, "feed: a dashboard key is refused")
s.close()
s = subscribe("pub-b")
check(handshake_refused(s, FEED) is True, "feed: a publisher key is refused")
s.close()
s = subscribe("aggregator")
s.connect(FEED)
check(bool(s.poll(3000)), "feed: the aggregator key receives (a heartbeat)")
s.close()

# --- the aggregator: feed over CURVE, queries by dashboards only -----------------------
agg_env = secure_env(GONGKAI_CERT=K["aggregator"][0], GONGKAI_INTAKE_KEY=K["intake"][1],
                     GONGKAI_KEYS=allow)
agg = start("aggregator", [os.path.join(BIN, "gongkai-aggregator")], agg_env)
check(wait_log(agg, r"aggregator ready.*curve=on"), "aggregator starts with CURVE on")


def report(key, **kw):
    env = secure_env(GONGKAI_CLIENT_CERT=K[key][0], GONGKAI_AGGREGATOR_KEY=K["aggregator"][1])
    return gongkai("report", "--agency", "sec-a", "--year", "2024", "--format", "json", env=env, **kw)


head = sql("SELECT max(seq) FROM event_log")[0][0]
check(wait_applied(head), "the aggregator follows the feed over CURVE to seq %d" % head)
r = report("dash")
check(r.returncode == 0 and '"agency"' in r.stdout,
      "a dashboard key queries a report: rc=%d %s" % (r.returncode, r.stderr.strip()))
r = report("pub-a")
check(r.returncode == 2 and "refused" in r.stderr, "a publisher key may not query: %s" % r.stderr.strip())
r = report("stranger")
check(r.returncode == 2 and "refused" in r.stderr, "an unknown key may not query")
env = secure_env(GONGKAI_CLIENT_CERT=K["dash"][0], GONGKAI_AGGREGATOR_KEY=K["aggregator"][1])
r = gongkai("verify", "--wait", "20", env=env)
check(r.returncode == 0, "gongkai verify over CURVE with a dashboard key: rc=%d %s" % (r.returncode, r.stderr.strip()[-300:]))

# --- removal and SIGHUP: refused from then on ------------------------------------------
old = curve_dealer(ctx, K["pub-a"][0], K["intake"][2])
old.connect(INTAKE)
a = send_events(old, [event("a-5", "sec-a")])
check(a and a[0]["status"] == "accepted", "pub-a's open connection works before the removal: %s" % a)
mark = len(log_of(intake))
write_allowlist(allow, [v for k, v in lines.items() if k != "pub-a"])
intake.send_signal(signal.SIGHUP)
check(wait_log(intake, r"allowlist reloaded.*publishers=1.*retired=1", after=mark),
      "intake reloads the allowlist on SIGHUP")
a = send_events(old, [event("a-6", "sec-a")])
check(a and a[0]["status"] == "rejected" and a[0].get("code") == "forbidden",
      "pub-a's connection opened before the removal: now forbidden: %s" % a)
rows = sql("SELECT identity, code, message FROM rejection WHERE event_id = 'a-6'")
check(len(rows) == 1 and rows[0][0] == "pub-a" and "removed" in rows[0][2],
      "stored under pub-a, 'removed from the allowlist': %s" % rows)
old.close()
r = publish("pub-a", event("a-7", "sec-a") + "\n")
check(r.returncode == 2 and "refused" in r.stderr, "a new connection with pub-a is refused")
check(sql("SELECT count(*) FROM event_log WHERE event_id IN ('a-6', 'a-7')")[0][0] == 0,
      "nothing of pub-a's stored after the removal")
r = publish("pub-b", event("b-2", "sec-b") + "\n")
check(r.returncode == 0 and "accepted 1" in r.stdout, "other publishers carry on")

# A broken allowlist on reload keeps the old one in force.
mark = len(log_of(intake))
with open(allow, "a") as f:
    f.write("not-a-key  x  publisher  sec-a\n")
intake.send_signal(signal.SIGHUP)
check(wait_log(intake, r"allowlist not reloaded.*allowlist:\d+: key", after=mark),
      "a bad allowlist is refused on reload, with its line")
r = publish("pub-b", event("b-3", "sec-b") + "\n")
check(r.returncode == 0, "the previous allowlist stays in force")

# --- no secret anywhere it should not be ----------------------------------------------
secrets = [secret_of(K[n][0]) for n in K]
helps = "".join(subprocess.run([os.path.join(BIN, p), *a, "--help"], capture_output=True,
                                             text=True, env=intake_env).stdout
                for p, a in (("gongkai-intake", []), ("gongkai-aggregator", []),
                             ("gongkai", ["publish"]), ("gongkai", ["report"])))
logs = log_of(intake) + log_of(agg)
check(not any(x in logs or x in helps for x in secrets), "no secret key in logs or --help")
check(oct(os.stat(K["pub-a"][0]).st_mode & 0o777) == "0o600", "keygen writes the secret file 0600")
os.chmod(K["pub-b"][0], 0o644)
r = publish("pub-b", event("b-4", "sec-b") + "\n")
check(r.returncode == 2 and "chmod 600" in r.stderr, "a secret key file others can read is refused")
ctx.term()
finish()
