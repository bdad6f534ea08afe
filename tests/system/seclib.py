"""seclib — helpers for the security system tests (test_security_*.py).

The runner (tests/system/run.sh) gives each test a fresh migrated database
and free ports: GONGKAI_DB, GONGKAI_INTAKE, GONGKAI_FEED, GONGKAI_QUERY,
GONGKAI_HTTP, GONGKAI_WORK, GONGKAI_BIN, GONGKAI_INSECURE=1. These tests turn
CURVE on (they drop GONGKAI_INSECURE for the processes they start) with keys
made by `gongkai keygen` under GONGKAI_WORK.
"""
import atexit
import json
import os
import re
import signal
import subprocess
import sys
import time

import psycopg2
import psycopg2.extensions
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BIN = os.environ.get("GONGKAI_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin")
DB = os.environ["GONGKAI_DB"]
WORK = os.environ.get("GONGKAI_WORK") or "/tmp/gongkai-sec-%d" % os.getpid()
os.makedirs(WORK, exist_ok=True)
INTAKE = os.environ.get("GONGKAI_INTAKE", "tcp://127.0.0.1:7101")
FEED = os.environ.get("GONGKAI_FEED", "tcp://127.0.0.1:7102")
QUERY = os.environ.get("GONGKAI_QUERY", "tcp://127.0.0.1:7103")
HTTP = os.environ.get("GONGKAI_HTTP", "127.0.0.1:7180")

_procs = []
_failures = []


def check(cond, what):
    """Records one assertion; the test fails at the end if any failed."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        _failures.append(what)
    return cond


def finish():
    stop_all()
    if _failures:
        print("%d check(s) failed" % len(_failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def secure_env(**extra):
    """The environment without GONGKAI_INSECURE, plus extra."""
    env = {k: v for k, v in os.environ.items() if k != "GONGKAI_INSECURE"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def keygen(name, where=None):
    """Makes NAME.key/NAME.pub; returns (key_path, pub_path, public_z85)."""
    d = where or os.path.join(WORK, "keys")
    os.makedirs(d, exist_ok=True)
    out = subprocess.run([os.path.join(BIN, "gongkai"), "keygen", "--dir", d, name],
                         capture_output=True, text=True, check=True).stdout
    public = re.search(r"^public key: (\S{40})$", out, re.M).group(1)
    return os.path.join(d, name + ".key"), os.path.join(d, name + ".pub"), public


def secret_of(key_path):
    text = open(key_path).read()
    return re.search(r'secret-key = "(.{40})"', text).group(1)


def write_allowlist(path, lines):
    with open(path, "w") as f:
        f.write("# PUBLIC-KEY NAME ROLE [AGENCY...]\n")
        for line in lines:
            f.write(line + "\n")


def start(name, argv, env):
    log = open(os.path.join(WORK, name + ".log"), "a")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    p.logpath = os.path.join(WORK, name + ".log")
    _procs.append(p)
    return p


def log_of(p):
    return open(p.logpath).read()


def wait_log(p, pattern, timeout=15, after=0):
    """Waits until the process log (from byte `after`) matches pattern."""
    t = time.time() + timeout
    while time.time() < t:
        if re.search(pattern, log_of(p)[after:]):
            return True
        if p.poll() is not None:
            break
        time.sleep(0.05)
    return bool(re.search(pattern, log_of(p)[after:]))


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def stop_all():
    for p in reversed(_procs):
        stop(p)


atexit.register(stop_all)


def gongkai(*args, env=None, stdin=None, timeout=60):
    return subprocess.run([os.path.join(BIN, "gongkai")] + list(args), capture_output=True,
                          text=True, env=env, input=stdin, timeout=timeout)


def dsn_as(user):
    return psycopg2.extensions.make_dsn(DB, user=user)


def sql(query, args=None, dsn=None):
    with psycopg2.connect(dsn or DB) as c, c.cursor() as cur:
        cur.execute(query, args)
        rows = cur.fetchall() if cur.description else None
    c.close()
    return rows


def healthz(token=None):
    import urllib.request
    with urllib.request.urlopen("http://%s/healthz" % HTTP, timeout=5) as r:
        return json.loads(r.read())


def wait_applied(seq, timeout=20):
    """Waits until the aggregator's /healthz shows applied_seq >= seq."""
    t = time.time() + timeout
    while time.time() < t:
        try:
            if healthz()["applied_seq"] >= seq:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def event(event_id, agency, app_id=None):
    return json.dumps({"event_id": event_id, "type": "application_received", "agency": agency,
                       "occurred_at": "2024-03-01T10:00:00+08:00",
                       "application_id": app_id or event_id, "applicant": "natural_person"})


def curve_dealer(ctx, key_path_or_pair, server_public, endpoint=INTAKE):
    """A DEALER speaking CURVE with a key file (or a (public, secret) pair)."""
    if isinstance(key_path_or_pair, tuple):
        public, secret = key_path_or_pair
    else:
        text = open(key_path_or_pair).read()
        public = re.search(r'public-key = "(.{40})"', text).group(1)
        secret = re.search(r'secret-key = "(.{40})"', text).group(1)
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.curve_serverkey = server_public.encode()
    s.curve_publickey = public.encode() if isinstance(public, str) else public
    s.curve_secretkey = secret.encode() if isinstance(secret, str) else secret
    return s


def handshake_refused(sock, endpoint, payload=None, timeout=5):
    """Connects sock to endpoint (sending payload, if any, at once: it is
    queued before the handshake) and returns True when ZAP refuses the
    handshake, False when it succeeds, None when neither happens in time."""
    mon = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_SUCCEEDED)
    mon.rcvtimeo = int(timeout * 1000)
    sock.connect(endpoint)
    if payload is not None:
        sock.send(payload)
    try:
        while True:
            frames = mon.recv_multipart()
            ev = int.from_bytes(frames[0][:2], "little")
            if ev == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                return True
            if ev == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                return False
    except zmq.Again:
        return None
    finally:
        sock.disable_monitor()
        mon.close()


# ---- just enough protobuf for gongkai.v1 Submit/Acks (proto/gongkai.proto) ----

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num, wire, payload):
    key = _varint((num << 3) | wire)
    if wire == 0:
        return key + _varint(payload)
    return key + _varint(len(payload)) + payload


def submit(lines, first_ref=1):
    """Envelope{version 1, submit{entries: [{ref, json}]}} as bytes."""
    entries = b"".join(
        _field(1, 2, _field(1, 0, first_ref + i) + _field(3, 2, line.encode()))
        for i, line in enumerate(lines))
    return _field(1, 0, 1) + _field(2, 2, entries)


def _parse(buf):
    i, out = 0, []
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(buf, i)
        elif wire == 2:
            n, i = _read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wire)
        out.append((num, v))
    return out


def _read_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


STATUS = {1: "accepted", 2: "duplicate", 3: "rejected", 4: "retry"}


def acks(msg):
    """Decodes an Acks envelope into a list of dicts."""
    out = []
    for num, v in _parse(msg):
        if num != 3:
            continue
        for anum, av in _parse(v):
            if anum != 1:
                continue
            a = {}
            for fnum, fv in _parse(av):
                name = {1: "ref", 2: "status", 3: "code", 4: "message", 5: "seq", 6: "event_id"}.get(fnum)
                if name == "status":
                    fv = STATUS.get(fv, fv)
                elif isinstance(fv, bytes):
                    fv = fv.decode()
                a[name] = fv
            out.append(a)
    return out


def send_events(sock, lines, timeout=5):
    """Sends one Submit and waits for its acks; None when nothing came back."""
    sock.send(submit(lines))
    if sock.poll(int(timeout * 1000)):
        return acks(sock.recv())
    return None
