#!/usr/bin/python3
"""What intake does at the points proto/PROTOCOL.md ("Writing a client")
documents for client writers (issue 17): an entry without a ref is answered
without one; two entries with one ref get two acks with it; an Envelope of
another version is refused whole (one Ack, no ref, bad_protobuf); answers
come in the order the Submits were sent. (The window, too_many_in_flight
entry by entry with each ref, is test_rejections.py's.)
"""
import json
import time
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402


def line(i):
    return json.dumps({"event_id": "pp-%d" % i, "type": "application_received", "agency": "pp-a",
                       "occurred_at": "2020-03-01T10:00:00+08:00", "application_id": "pp-app-%d" % i,
                       "applicant": "natural_person"})


intake = gk.Intake().start()
pb = gk.pb()
with gk.Client() as c:
    acks = c.submit([pb.Entry(json=line(1).encode())], what="an entry without a ref")
    gk.eq([(a.HasField("ref"), gk.status_name(a.status)) for a in acks], [(False, "ACCEPTED")],
          "an entry without a ref: processed, its Ack without a ref (PROTOCOL.md: always set one)")
    acks = c.submit([gk.entry_json(7, line(2)), gk.entry_json(7, line(3))], what="one ref twice")
    gk.eq([(a.ref, gk.status_name(a.status)) for a in acks], [(7, "ACCEPTED"), (7, "ACCEPTED")],
          "two entries with one ref: two acks with that ref (refs are not checked)")
    c.send(gk.envelope_submit([gk.entry_json(1, line(4))], version=2))
    acks = c.recv_acks(what="version 2")
    gk.eq([(a.HasField("ref"), gk.status_name(a.status), a.code) for a in acks],
          [(False, "REJECTED", "bad_protobuf")], "an Envelope of version 2: refused whole, one Ack without ref")
    # Three Submits back to back: three Acks messages, in the order sent.
    for k in range(3):
        c.send(gk.envelope_submit([gk.entry_json(100 + k, line(10 + k))]))
    got = [c.recv_acks(what="submit %d" % k)[0].ref for k in range(3)]
    gk.eq(got, [100, 101, 102], "answers come in the order the Submits were sent")
n = gk.query("SELECT count(*) FROM event_log WHERE event_id LIKE 'pp-%'")[0][0]
gk.eq(n, 6, "what was acknowledged is logged, the refused version-2 entry is not")

# The window counts entries, not messages: 2000 Submits of one entry each,
# sent before reading any answer, are all answered. (Intake's ROUTER held
# 1000 messages per peer and dropped the rest: the client waited in silence
# and resent.)
import zmq  # noqa: E402

ctx = zmq.Context()
sock = ctx.socket(zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
sock.setsockopt(zmq.RCVHWM, 0)  # this side holds whatever comes
sock.connect(gk.env("GONGKAI_INTAKE"))
for k in range(2000):
    sock.send(gk.envelope_submit([gk.entry_json(1000 + k, line(1000 + k))]).SerializeToString())
time.sleep(3)  # intake answers all of them while nothing is read here
got = []
for k in range(2000):
    if not sock.poll(5000):
        break
    env_ = pb.Envelope()
    env_.ParseFromString(sock.recv())
    got += [a.ref for a in env_.acks.acks]
sock.close(0)
ctx.term()
if True:
    missing = sorted(set(range(1000, 3000)) - set(got))
    gk.check(len(got) == 2000 and not missing, "2000 one-entry Submits sent at once: 2000 acks (%d)" % len(got),
             "no ack for refs %s … %s (%d)" % (missing[:1], missing[-1:], len(missing)))
    gk.check(got == list(range(1000, 3000)), "… in the order sent")
intake.stop()
gk.done()
