#!/usr/bin/python3
"""The Python client (clients/python/gongkai), against real services (issue 17).

- `make python` generates its protobuf module from proto/;
- Publisher publishes the seed fixture: each line answered once, the report
  over HTTP equals expected-2019.json, the ZeroMQ query gives the same JSON,
  read-your-writes by wait_applied(highest seq);
- errors named: a bad year over HTTP and ZeroMQ (ReportError.code), options;
- intake is SIGKILLed mid-send and started again: every event answered once,
  nothing lost (each event_id in the log once), nothing doubled, order kept
  (the seqs follow the order of sending);
- a whole message refused (Ack without ref, from a fake intake) fails the
  Publisher at once with intake's code.
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAKE_ENV = gk.make_env()  # the release build, whatever make runs this test
r = subprocess.run(["make", "-s", "-C", REPO, "python"], capture_output=True, text=True, timeout=120, env=MAKE_ENV)
gk.check(r.returncode == 0, "make python generates the protobuf module", r.stdout + r.stderr)
sys.path.insert(0, os.path.join(REPO, "clients", "python"))
import gongkai  # noqa: E402

intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
EP = gk.env("GONGKAI_INTAKE")
HTTP = gk.env("GONGKAI_HTTP")
QUERY = gk.env("GONGKAI_QUERY")

# Options are refused with a reason that names them.
for kw, want in (({"insecure": True, "window": 2001}, "window"), ({"insecure": True, "window": 0}, "window"),
                 ({}, "client_cert"), ({"insecure": True, "give_up": 0}, "give_up")):
    try:
        gongkai.Publisher(EP, **kw)
        gk.check(False, "Publisher(%r) is refused" % kw)
    except gongkai.GongkaiError as e:
        gk.check(want in str(e), "Publisher(%r) is refused naming %s: %s" % (kw, want, e))

# The seed fixture, line by line.
lines = open(gk.fixture_path(), encoding="utf-8").read().split("\n")
acks = []
logs = []
with gongkai.Publisher(EP, insecure=True, on_log=logs.append) as p:
    n = 0
    for i, line in enumerate(lines, 1):
        if line.strip():
            acks += p.send(line, ref=i)
            n += 1
    acks += p.flush()
    gk.check(p.unanswered == 0, "flush leaves nothing unanswered")
refs = [a.ref for a in acks]
gk.check(len(acks) == n and len(set(refs)) == n, "every line of the seed answered once (%d)" % n)
gk.check(all(a.ok for a in acks), "the seed is accepted whole",
         [a for a in acks if not a.ok][:3])
top = max(a.seq for a in acks)
for a in acks:
    want = json.loads(lines[a.ref - 1])["event_id"]
    if a.event_id != want or a.seq <= 0 or a.status not in (gongkai.ACCEPTED, gongkai.DUPLICATE):
        gk.check(False, "line %d's ack: %r" % (a.ref, a))
        break

rep = gongkai.Reports(http=HTTP, query=QUERY, insecure=True)
h = rep.wait_applied(top, timeout=60)
gk.check(h["applied_seq"] >= top, "wait_applied(%d): applied_seq %d" % (top, h["applied_seq"]))
expected = json.load(open(os.path.join(os.path.dirname(gk.fixture_path()), "expected-2019.json"),
                          encoding="utf-8"))
got = rep.report("gz-sthjt", 2019)
diff = gkagg.subset_diff(gkagg.strip(expected), gkagg.strip(got))
gk.check(not diff, "Reports.report over HTTP equals expected-2019.json", "\n".join(diff[:10]))
body, applied = rep.query_report("gz-sthjt", 2019)
diff = gkagg.subset_diff(gkagg.strip(expected), gkagg.strip(json.loads(body)))
gk.check(not diff and applied >= top, "Reports.query_report over ZeroMQ: the same tables, applied_seq %d" % applied,
         "\n".join(diff[:10]))
for how in ("http", "query"):
    try:
        if how == "http":
            rep.report("gz-sthjt", 1989)
        else:
            rep.query_report("gz-sthjt", 1989)
        gk.check(False, "year 1989 over %s is refused" % how)
    except gongkai.reports.ReportError as e:
        gk.check(e.code == "bad_year", "year 1989 over %s: ReportError %s (%s)" % (how, e.code, e.message))

# SIGKILL of intake mid-send: nothing lost, nothing doubled, order kept.
events = gkagg.gen_events(12000, seed=17, prefix="py", agencies=("py-a", "py-b"))
acks, logs = [], []
killed = threading.Event()


def killer():
    intake.kill()
    time.sleep(1.0)
    intake.start()
    killed.set()


with gongkai.Publisher(EP, insecure=True, window=500, on_log=logs.append) as p:
    for i, ev in enumerate(events, 1):
        acks += p.send(ev, ref=i)
        if len(acks) >= 3000 and not killed.is_set() and not any(t.name == "killer" for t in threading.enumerate()):
            threading.Thread(target=killer, name="killer", daemon=True).start()
    acks += p.flush()
gk.check(killed.is_set(), "intake was killed and started again mid-send")
gk.check(any("reconnecting and resending" in l for l in logs), "the publisher said it resent",
         "\n".join(logs[:5]))
refs = sorted(a.ref for a in acks)
gk.check(refs == list(range(1, len(events) + 1)), "every event answered exactly once (%d acks, %d events)"
         % (len(acks), len(events)))
gk.check(all(a.ok for a in acks), "none refused", [a for a in acks if not a.ok][:3])
by_ref = sorted(acks, key=lambda a: a.ref)
ordered = all(x.seq < y.seq for x, y in zip(by_ref, by_ref[1:]))
gk.check(ordered, "order kept: the seqs increase in the order of sending")
rows = gk.query("SELECT count(*), count(DISTINCT event_id) FROM event_log WHERE event_id LIKE 'py%'")
gk.check(rows[0] == (len(events), len(events)), "the log holds each event once: %r" % (rows[0],))
dups = sum(1 for a in acks if a.status == gongkai.DUPLICATE)
print("# %d events, %d answered duplicate after the resend, %d log lines" % (len(events), dups, len(logs)))

# A whole message refused (an Ack without ref, as intake answers bad_protobuf
# or too_large) fails the Publisher at once with intake's code: sent again it
# would be refused again. A fake intake (a ROUTER here) answers so; the build
# before logged it and resent until give_up ("no acknowledgement").
import zmq  # noqa: E402
pb = gongkai._proto.module()
ctx = zmq.Context.instance()
fake = ctx.socket(zmq.ROUTER)
fake.linger = 0
port = fake.bind_to_random_port("tcp://127.0.0.1")
p = gongkai.Publisher("tcp://127.0.0.1:%d" % port, insecure=True, give_up=8)
p.send({"event_id": "whole-1", "type": "x"})
frames = None
deadline = time.monotonic() + 30
while frames is None and time.monotonic() < deadline:
    p.poll(0.01)
    if fake.poll(10):
        frames = fake.recv_multipart()
gk.check(frames is not None, "the fake intake got the Submit")
env = pb.Envelope(version=1)
env.acks.acks.add(status=pb.REJECTED, code="bad_protobuf", message="the message is not a gongkai.v1.Envelope")
fake.send_multipart([frames[0], env.SerializeToString()])
try:
    p.flush()
    gk.check(False, "flush fails after a whole message is refused")
except gongkai.GongkaiError as e:
    gk.check("intake refused a whole message: bad_protobuf: the message is not" in str(e)
             and "1 events unanswered" in str(e), "flush fails naming intake's code: %s" % e)
p.close()
fake.close()

rep.close()
agg.stop()
intake.stop()
gk.done()
