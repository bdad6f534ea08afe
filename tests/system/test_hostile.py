"""test_hostile — issue 4, hostile input: the limits test_rejections.py does
not reach, and one peer's flood not stopping the others.

- A message above the hard limit (16 MiB, ZMQ_MAXMSGSIZE) costs its sender
  the connection, unanswered and unstored, while another connection is
  served meanwhile and the sender's next connection is served again.
- A flood from one peer (garbage bytes, messages above 4 MiB, Submits of
  1001 entries, Submits of invalid events, never reading its acks) runs as
  fast as one Python process can send, while `gongkai publish` sends the
  fixture: the publish completes with the right counts, every event is in
  the log once, and intake is still alive. The flood's rate and what intake
  stored of it are printed.

(The 4 MiB, 1000-entry, 64 KiB, 128-character and window limits each have
their own case in test_rejections.py.)
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402

pb = gk.pb()
T = "2019-03-01T10:00:00+08:00"


def good(eid):
    return gk.entry_event(1, gk.event_pb({"event_id": eid, "type": "fee_collected", "agency": "gz-host",
                                          "occurred_at": T, "amount_fen": 100}))


intake = gk.Intake().start()

# ---- above the hard limit: the connection goes, intake stays ----------------------------------------
big = gk.Client()
other = gk.Client()
other.sock.setsockopt(big.zmq.RCVTIMEO, 20000)
acks = other.submit([good("h-1")], what="a first valid event")
gk.check(acks[0].status == pb.ACCEPTED, "another connection: a valid event is accepted first")
huge = b"\x0a" + b"\xff" * (17 << 20)  # 17 MiB: never decoded, the socket refuses it
big.send_raw(huge)
gk.check(not big.sock.poll(2000), "a 17 MiB message gets no answer (the connection is dropped)")
acks = other.submit([good("h-2")], what="a valid event after the 17 MiB message")
gk.check(acks[0].status == pb.ACCEPTED and acks[0].seq == 2,
         "meanwhile another connection is served", str(acks))
gk.check(intake.alive(), "intake survives a message above the hard limit")
gk.eq(gk.query("SELECT count(*) FROM rejection")[0][0], 0,
      "nothing of the 17 MiB message was read or stored")
# The same DEALER reconnects on its own (a new connection): served again.
acks = big.submit([good("h-3")], timeout=20, what="the dropped peer, reconnected")
gk.check(acks[0].status == pb.ACCEPTED, "the dropped peer's next connection is served", str(acks))
big.close()
other.close()

# ---- a flood from one peer while a publisher publishes ------------------------------------------------
FLOOD = r'''
import os, sys, time
sys.path.insert(0, sys.argv[1])
import gk, zmq
pb = gk.pb()
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.SNDHWM, 100000)
s.connect(os.environ["GONGKAI_INTAKE"])
bad_json = gk.envelope_submit([gk.entry_json(i, b'{"event_id": "x", oops') for i in range(50)]).SerializeToString()
invalid = gk.envelope_submit([gk.entry_json(i, b'{"event_id":"f-%d","type":"nope","agency":"a","occurred_at":"x"}' % i)
                              for i in range(50)]).SerializeToString()
many = gk.envelope_submit([gk.entry_json(i, b"{}") for i in range(1001)]).SerializeToString()
over = gk.envelope_submit([gk.entry_json(1, b"x" * (5 << 20))]).SerializeToString()
kinds = [os.urandom(200), b"\xde\xad\xbe\xef" * 64, bad_json, invalid, many]
sent = nbytes = 0
t0 = time.monotonic()
while time.monotonic() - t0 < float(sys.argv[2]):
    m = over if sent % 500 == 0 else kinds[sent % len(kinds)]
    try:
        s.send(m, zmq.DONTWAIT)
    except zmq.Again:
        time.sleep(0.001)
        continue
    sent += 1
    nbytes += len(m)
print(sent, nbytes, time.monotonic() - t0, flush=True)
'''
FLOOD_S = 25
before = gk.query("SELECT count(*), coalesce(sum(length(raw)), 0) FROM rejection")[0]
flood = subprocess.Popen([sys.executable, "-c", FLOOD, os.path.dirname(os.path.abspath(__file__)),
                          str(FLOOD_S)], stdout=subprocess.PIPE, text=True)
gk._procs.append(flood)
time.sleep(2)  # the flood is in full swing
t0 = time.monotonic()
rc, out, err = gk.publish([gk.fixture_path()], timeout=FLOOD_S)
took = time.monotonic() - t0
flood_running = flood.poll() is None
gk.eq(out.strip(), "accepted 356, duplicate 5, rejected 0",
      f"gongkai publish of the fixture completes during the flood ({took:.1f} s)")
gk.eq(rc, 0, "and exits 0")
gk.check(flood_running, "the flood was still running when the publish completed")
gk.check(intake.alive(), "intake is alive during the flood")
fout = flood.communicate(timeout=FLOOD_S + 30)[0].split()
sent, nbytes, secs = int(fout[0]), int(fout[1]), float(fout[2])
# What intake made of the flood, once it has read what was queued.
time.sleep(1)
after = gk.query("SELECT count(*), coalesce(sum(length(raw)), 0) FROM rejection")[0]
rows, raw = after[0] - before[0], after[1] - before[1]
gk.note = print
print(f"# flood: {sent} messages ({nbytes / 1e6:.0f} MB) in {secs:.1f} s from one peer "
      f"({sent / secs:.0f} messages/s); intake stored {rows} rejection rows ({raw / 1e6:.1f} MB of "
      f"raw bytes); the fixture's publish took {took:.1f} s meanwhile", flush=True)
gk.check(rows > 0, "the flood's rejections are stored, not dropped silently")
# Past 100 rejections of one connection in a batch, rows keep code and
# message but not the raw bytes: the flood cannot fill the disk at 4 KiB a row.
gk.check(raw < rows * 1024, "a flooding peer's rows mostly keep no raw bytes (per-peer cap)",
         f"{raw} raw bytes in {rows} rows")
ids = gk.query("SELECT event_id, count(*) FROM event_log WHERE agency = 'gz-sthjt' GROUP BY 1")
gk.eq((len(ids), max(n for _, n in ids)), (356, 1), "the fixture's 356 events are in the log, once each")
n, hi = gk.query("SELECT count(*), max(seq) FROM event_log")[0]
gk.eq(n, hi, "seq has no gap")
gk.eq(intake.stop(), 0, "intake exits 0 on SIGTERM after the flood")
gk.done()
