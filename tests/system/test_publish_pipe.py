#!/usr/bin/python3
"""gongkai publish streams (issue 16): from a pipe each line is sent as it
is read and acknowledged as it is answered — a line written to an open pipe
is in the log and in the report while the pipe stays open — and the counts
come when the pipe closes. A slow writer is not silence (no reconnect, no
give-up while nothing is unanswered).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402


def line(i):
    return json.dumps({"event_id": "pipe-%d" % i, "type": "application_received", "agency": "pipe-a",
                       "occurred_at": "2020-05-0%dT10:00:00+08:00" % i, "application_id": "pipe-app-%d" % i,
                       "applicant": "natural_person"}) + "\n"


intake = gk.Intake().start()
agg = gkagg.Aggregator().start()
pub = subprocess.Popen([gk.bin_path("gongkai"), "publish", "--endpoint", gk.env("GONGKAI_INTAKE"), "-"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def logged():
    return gk.query("SELECT count(*) FROM event_log WHERE event_id LIKE 'pipe-%'")[0][0]


def received():
    st, _, body = agg.get("/v1/reports/pipe-a/2020")
    return json.loads(body)["applications"]["rows"][0]["values"][0] if st == 200 else None


for i in (1, 2, 3):
    pub.stdin.write(line(i).encode())
    pub.stdin.flush()
    gk.wait_for(lambda: logged() == i, 5, "line %d in the log while the pipe is open" % i)
    gk.wait_for(lambda: received() == i, 5, "line %d in the report while the pipe is open" % i)
    gk.check(pub.poll() is None, "publish still reads the open pipe after line %d" % i)
    time.sleep(4 if i == 2 else 0.2)  # a slow writer: longer than the 3 s resend timer
pub.stdin.write(line(3).encode())  # once more: a duplicate
pub.stdin.close()
pub.wait(timeout=60)
out, err = pub.stdout.read(), pub.stderr.read()
gk.eq((pub.returncode, out.decode().strip()), (0, "accepted 3, duplicate 1, rejected 0"),
      "the pipe closed: the counts, exit 0")
gk.check(b"reconnecting" not in err, "no reconnect while the writer was slow and nothing unanswered", err)
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
intake.stop()
gk.done()
