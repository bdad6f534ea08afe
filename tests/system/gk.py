"""gk — helpers for the Python system tests (tests/system/test_*.py).

tests/system/run.sh gives every test a fresh, migrated database and its own
ports in the environment (GONGKAI_BIN, GONGKAI_SHARED, GONGKAI_DB,
GONGKAI_INTAKE, GONGKAI_FEED, GONGKAI_QUERY, GONGKAI_HTTP, GONGKAI_INSECURE=1,
GONGKAI_WORK). This module offers:

  pb()              the gongkai.v1 protobuf module, generated at run time with
                    `protoc --python_out=<tmpdir> -I proto proto/gongkai.proto`
  Intake            a gongkai-intake process: start (waits for "intake ready"),
                    stop (SIGTERM, clean exit), kill (SIGKILL)
  Client            a DEALER client: submit Entries, collect the Acks
  event_pb(dict)    a JSON Lines event as a gongkai.v1.Event (enum names are
                    the JSON codes upper-cased, '.' -> '_', see the .proto)
  query(sql, ...)   rows from GONGKAI_DB (psycopg2, autocommit)
  new_database(n)   another fresh, migrated database on the same cluster
  publish(...)      runs `gongkai publish`
  check/eq/fatal/done   results: every check prints `ok - ...` or `FAIL - ...`;
                    done() exits 1 when any failed

Every process started here is killed when the test exits, however it exits.
Run as a script: `gk.py free-ports N` prints N free loopback TCP ports outside
the kernel's ephemeral range (used by run.sh).
"""

import atexit
import importlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# ---- results ----------------------------------------------------------------

_failures = []
_checks = 0


def check(cond, what, detail=""):
    """Records one check; prints ok/FAIL. Returns cond."""
    global _checks
    _checks += 1
    if cond:
        print(f"ok - {what}", flush=True)
    else:
        _failures.append(what)
        print(f"FAIL - {what}" + (f": {detail}" if detail else ""), flush=True)
    return bool(cond)


def eq(got, want, what):
    return check(got == want, what, f"expected {want!r}, got {got!r}")


def fatal(msg):
    print(f"FAIL - {msg}", flush=True)
    sys.exit(1)


def done():
    if _failures:
        print(f"# {len(_failures)} of {_checks} checks failed:", flush=True)
        for f in _failures:
            print(f"#   {f}", flush=True)
        sys.exit(1)
    print(f"# all {_checks} checks passed", flush=True)
    sys.exit(0)


# ---- environment ----------------------------------------------------------------


def env(name, default=None):
    v = os.environ.get(name) or default
    if v is None:
        fatal(f"{name} is not set: run this test through tests/system/run.sh")
    return v


def work_dir():
    w = os.environ.get("GONGKAI_WORK")
    if not w:
        w = tempfile.mkdtemp(prefix="gongkai-test.")
        os.environ["GONGKAI_WORK"] = w
    return w


def bin_path(name):
    return os.path.join(env("GONGKAI_BIN"), name)


def fixture_path():
    return os.path.join(env("GONGKAI_SHARED"), "fixtures", "guizhou-eco-2019", "events.jsonl")


# ---- processes ----------------------------------------------------------------

_procs = []


def _kill_all():
    for p in _procs:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=10)
            except Exception:
                pass


atexit.register(_kill_all)


def _on_term(signum, frame):
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)


def spawn(args, log_name, env_over=None, **kw):
    """Starts a process that is killed at exit; output to GONGKAI_WORK/log_name."""
    e = dict(os.environ)
    e.update(env_over or {})
    log = open(os.path.join(work_dir(), log_name), "wb")
    p = subprocess.Popen(args, env=e, stdout=log, stderr=subprocess.STDOUT, **kw)
    log.close()
    _procs.append(p)
    return p


def wait_for(cond, timeout, what, interval=0.05):
    """Polls cond() until true; fatal after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            fatal(f"waited {timeout} s for: {what}")
        time.sleep(interval)


class Intake:
    """One gongkai-intake process on its own log file."""

    _n = 0

    def __init__(self, db=None, endpoint=None, feed=None, name="intake"):
        self.db = db or env("GONGKAI_DB")
        self.endpoint = endpoint or env("GONGKAI_INTAKE")
        self.feed = feed or env("GONGKAI_FEED")
        self.name = name
        self.proc = None
        self.log = None

    def start(self, timeout=30):
        Intake._n += 1
        log_name = f"{self.name}.{Intake._n}.log"
        self.log = os.path.join(work_dir(), log_name)
        self.proc = spawn(
            [bin_path("gongkai-intake")],
            log_name,
            {
                "GONGKAI_DB": self.db,
                "GONGKAI_INTAKE": self.endpoint,
                "GONGKAI_FEED": self.feed,
                "GONGKAI_INSECURE": "1",
            },
        )

        def ready():
            if self.proc.poll() is not None:
                fatal(f"gongkai-intake exited {self.proc.returncode} before it was ready:\n"
                      + self.log_text())
            return 'msg="intake ready"' in self.log_text()

        wait_for(ready, timeout, f'"intake ready" in {self.log}')
        return self

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status (fatal when it does not exit)."""
        if not self.proc:
            return None
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            fatal(f"gongkai-intake did not stop within {timeout} s of SIGTERM")
        self.proc = None
        return rc

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def __enter__(self):
        return self.start() if not self.proc else self

    def __exit__(self, *exc):
        if self.alive():
            self.stop()


# ---- protobuf -------------------------------------------------------------------

_pb = None


def pb():
    """The module protoc generates from proto/gongkai.proto (generated once per run)."""
    global _pb
    if _pb is None:
        out = tempfile.mkdtemp(prefix="pb-", dir=work_dir())
        r = subprocess.run(
            ["protoc", f"--python_out={out}", "-I", "proto", "proto/gongkai.proto"],
            cwd=REPO, capture_output=True, text=True,
        )
        if r.returncode != 0:
            fatal(f"protoc failed: {r.stderr}")
        sys.path.insert(0, out)
        _pb = importlib.import_module("gongkai_pb2")
    return _pb


ENUM_FIELDS = {
    "applicant": "Applicant",
    "outcome": "Outcome",
    "document_kind": "DocumentKind",
    "item_kind": "ItemKind",
    "decision_kind": "ItemKind",
    "result": "Result",
    "route": "Route",
    "channel": "Channel",
}
# JSON codes whose proto name carries a prefix (names share one namespace).
ENUM_SPECIAL = {("Result", "other"): "RESULT_OTHER", ("Channel", "other"): "CHANNEL_OTHER"}
INT_FIELDS = {"count", "amount_fen", "working_days"}
BOOL_FIELDS = {"as_review_body"}
STRING_FIELDS = {
    "event_id", "agency", "occurred_at", "application_id", "document_id", "item_id",
    "procurement_id", "case_id", "consultation_id", "due",
}


def enum_value(enum_name, code):
    name = ENUM_SPECIAL.get((enum_name, code), code.upper().replace(".", "_"))
    return getattr(pb(), enum_name).Value(name)


def event_pb(d):
    """A JSON Lines event (dict) as a gongkai.v1.Event message."""
    m = pb().Event()
    for k, v in d.items():
        if k == "type":
            m.type = pb().EventType.Value(v.upper())
        elif k in ENUM_FIELDS:
            setattr(m, k, enum_value(ENUM_FIELDS[k], v))
        elif k in INT_FIELDS or k in BOOL_FIELDS or k in STRING_FIELDS:
            setattr(m, k, v)
        else:
            raise KeyError(f"event_pb: no field {k!r}")
    return m


def envelope_submit(entries, version=1):
    env_ = pb().Envelope(version=version)
    env_.submit.entries.extend(entries)
    return env_


def entry_json(ref, line):
    if isinstance(line, str):
        line = line.encode()
    return pb().Entry(ref=ref, json=line)


def entry_event(ref, data):
    if not isinstance(data, (bytes, bytearray)):
        data = data.SerializeToString()
    return pb().Entry(ref=ref, event=bytes(data))


STATUS = {}


def status_name(s):
    if not STATUS:
        for name, num in pb().Status.items():
            STATUS[num] = name
    return STATUS.get(s, str(s))


class Client:
    """A DEALER socket on intake's ROUTER: one Submit out, one Acks back."""

    def __init__(self, endpoint=None):
        import zmq

        self.zmq = zmq
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint or env("GONGKAI_INTAKE"))

    def send_raw(self, data):
        self.sock.send(bytes(data))

    def send(self, envelope):
        self.send_raw(envelope.SerializeToString())

    def recv_acks(self, timeout=20, what=""):
        """The acks of the next Acks message; fatal after timeout seconds."""
        if not self.sock.poll(int(timeout * 1000)):
            fatal(f"no Acks from intake within {timeout} s" + (f" ({what})" if what else ""))
        data = self.sock.recv()
        env_ = pb().Envelope()
        env_.ParseFromString(data)
        if env_.version != 1 or env_.WhichOneof("body") != "acks":
            fatal(f"intake answered with something other than Acks v1: {env_}")
        return list(env_.acks.acks)

    def submit(self, entries, timeout=20, what=""):
        """Sends one Submit and returns its Acks (a list of Ack)."""
        self.send(envelope_submit(entries))
        return self.recv_acks(timeout, what)

    def close(self):
        self.sock.close(0)
        self.ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- database ----------------------------------------------------------------------

_conns = {}


def connect(dsn=None):
    import psycopg2

    dsn = dsn or env("GONGKAI_DB")
    c = _conns.get(dsn)
    if c is None or c.closed:
        c = psycopg2.connect(dsn)
        c.autocommit = True
        _conns[dsn] = c
    return c


def query(sql, args=None, dsn=None):
    with connect(dsn).cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else []


def new_database(name):
    """CREATE DATABASE name on GONGKAI_DB's cluster, migrated; returns its conninfo."""
    from psycopg2.extensions import make_dsn, parse_dsn

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(name)
    params = parse_dsn(env("GONGKAI_DB"))
    params["dbname"] = "postgres"
    query(f"CREATE DATABASE {name}", dsn=make_dsn(**params))
    params["dbname"] = name
    dsn = make_dsn(**params)
    r = run([bin_path("gongkai"), "migrate"], {"GONGKAI_DB": dsn})
    if r.returncode != 0:
        fatal(f"gongkai migrate on {name} failed: {r.stderr}")
    return dsn


# ---- commands ------------------------------------------------------------------------


def run(args, env_over=None, timeout=120, input=None):
    e = dict(os.environ)
    e.update(env_over or {})
    try:
        return subprocess.run(args, env=e, capture_output=True, timeout=timeout, input=input)
    except subprocess.TimeoutExpired:
        fatal(f"{args[0]} did not finish within {timeout} s")


def make_env():
    """The environment for a `make` of the tree's release build, whatever make
    runs this test: test-asan passes BUILD, BIN, CC, OPT, LDFLAGS … down in
    MAKEFLAGS and in the environment (an installed library built with ASan
    needs its runtime in every program that links it)."""
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BUILD", "BIN", "CC", "OPT", "CFLAGS",
            "LDFLAGS", "LDLIBS"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def publish(files, endpoint=None, extra=(), timeout=120):
    """`gongkai publish` on files; returns (exit status, stdout text, stderr text)."""
    args = [bin_path("gongkai"), "publish", "--endpoint", endpoint or env("GONGKAI_INTAKE")]
    r = run(args + list(extra) + list(files), timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def free_ports(n):
    """n distinct free loopback TCP ports, outside the ephemeral range (so a
    client's reconnect can never connect to itself on a dead server's port)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
    except OSError:
        lo, hi = 32768, 60999
    cands = [p for p in range(10000, 32768) if not lo <= p <= hi] or list(range(1024, lo))
    rng = random.SystemRandom()
    held, ports = [], []
    for _ in range(10000):
        if len(ports) == n:
            break
        p = rng.choice(cands)
        if p in ports:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            s.close()
            continue
        held.append(s)
        ports.append(p)
    for s in held:
        s.close()
    if len(ports) < n:
        raise RuntimeError("no free ports")
    return ports


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "free-ports":
        print(" ".join(map(str, free_ports(int(sys.argv[2])))))
    else:
        print("usage: gk.py free-ports N", file=sys.stderr)
        sys.exit(2)
