#!/usr/bin/python3
"""`make run` (deploy/run-local.sh) runs with CURVE on (issue 5, acceptance 4).

On first start it makes the key pairs and an allowlist under its run
directory, starts both services with them and publishes the sample with the
local publisher's key; a second start reuses the same keys.
"""
import os
import signal
import subprocess
import time

from seclib import BIN, HTTP, WORK, check, finish, healthz, secure_env

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RUN = os.path.join(WORK, "run")


def run_local():
    out = open(os.path.join(WORK, "run-local.out"), "a")
    p = subprocess.Popen([os.path.join(REPO, "deploy", "run-local.sh")], stdout=out,
                         stderr=subprocess.STDOUT, env=secure_env(GONGKAI_RUN_DIR=RUN))
    t = time.time() + 60
    while time.time() < t and "Press Ctrl-C" not in open(out.name).read() and p.poll() is None:
        time.sleep(0.2)
    return p, open(out.name).read()


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()


p, text = run_local()
check("gongkai is running" in text, "run-local.sh starts")
keys = os.path.join(RUN, "keys")
for name in ("intake", "aggregator", "local-publisher", "local-dashboard"):
    check(os.stat(os.path.join(keys, name + ".key")).st_mode & 0o777 == 0o600,
          "made %s.key, mode 0600" % name)
check(os.path.exists(os.path.join(keys, "allowlist")), "made the allowlist")
intake_log = open(os.path.join(RUN, "intake.log")).read()
check("curve=on" in intake_log and "INSECURE" not in intake_log, "intake runs with CURVE on")
check("curve=on" in open(os.path.join(RUN, "aggregator.log")).read(), "the aggregator runs with CURVE on")
t = time.time() + 20
while time.time() < t and healthz()["applied_seq"] < 356:
    time.sleep(0.2)
check(healthz()["applied_seq"] >= 356, "the sample went in with the local publisher's key")
env = secure_env(GONGKAI_CLIENT_CERT=os.path.join(keys, "local-dashboard.key"),
                 GONGKAI_AGGREGATOR_KEY=os.path.join(keys, "aggregator.pub"))
r = subprocess.run([os.path.join(BIN, "gongkai"), "report", "--agency", "gz-sthjt", "--year", "2019"],
                   capture_output=True, text=True, env=env)
check(r.returncode == 0 and len(r.stdout) > 200, "the local dashboard key reads the report")
first = open(os.path.join(keys, "intake.pub")).read()
stop(p)

p, text = run_local()
check("gongkai is running" in text, "run-local.sh starts again")
check(open(os.path.join(keys, "intake.pub")).read() == first, "the second start reuses the keys")
stop(p)
finish()
