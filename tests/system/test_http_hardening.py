#!/usr/bin/python3
"""The aggregator's HTTP interface against careless and hostile clients (issue 12).

- Every JSON body is valid UTF-8, whatever bytes the path or a parameter held
  (invalid bytes come back as the text \\xNN).
- A request with a body (POST, PUT, a GET with one) is answered — 405 with
  Allow, or 413 for a large declared body — and a request pipelined behind
  it on the same connection is answered too.
- 1,100 slow clients on one address, each trickling header lines, do not
  stop other clients from being served: one address holds a bounded number
  of connections, and a request's headers must be complete within a deadline
  (the slow connections are cut, not merely left idle).
"""
import json
import os
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

agg = gkagg.Aggregator().start()
host, port = gk.env("GONGKAI_HTTP").rsplit(":", 1)
port = int(port)


def raw(data, src="127.0.0.1", timeout=10, want=1):
    """Sends bytes on one connection; returns what came back (want answers, or EOF)."""
    s = socket.create_connection((host, port), timeout=timeout, source_address=(src, 0))
    s.sendall(data)
    got = b""
    try:
        while got.count(b"HTTP/1.1 ") < want or not complete(got, want):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    s.close()
    return got


def complete(got, want):
    """want full responses (headers + Content-Length bytes) are in got."""
    rest, n = got, 0
    while n < want:
        head, sep, body = rest.partition(b"\r\n\r\n")
        if not sep:
            return False
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if len(body) < length:
            return False
        rest, n = body[length:], n + 1
    return True


def responses(got):
    out, rest = [], got
    while rest.startswith(b"HTTP/1.1 "):
        head, _, body = rest.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdrs = {l.split(b":", 1)[0].strip().lower(): l.split(b":", 1)[1].strip() for l in lines[1:]}
        length = int(hdrs.get(b"content-length", b"0"))
        out.append((status, hdrs, body[:length]))
        rest = body[length:]
    return out


def get(path, src="127.0.0.1"):
    r = responses(raw(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", src=src))
    return r[0] if r else (None, {}, b"")


# --- bodies are valid UTF-8 JSON -----------------------------------------------------
for path in (b"/v1/reports/%ff%fe/2019", b"/v1/reports/gz-a/2019?format=%ff",
             b"/v1/reports/gz-a/2019?case_rule=%c3%28", b"/v1/agencies/%ff/open",
             b"/v1/reports/gz-a/2019/timeliness?scope=%80"):
    status, hdrs, body = get(path)
    try:
        j = json.loads(body.decode("utf-8", "strict"))
        ok = status in (400, 404) and "error" in j
    except (UnicodeDecodeError, ValueError) as e:
        ok, j = False, repr(e)
    gk.check(ok, "GET %s: %s with a valid UTF-8 JSON body" % (path.decode(), status), repr(body[:200]))
status, _, body = get(b"/v1/reports/%ff%fe/2019")
gk.check(b"\\\\xff" in body, "the invalid byte is shown as the text \\xff", repr(body[:200]))

# --- a request with a body is answered, and the next one too ---------------------------
for method in (b"POST", b"PUT", b"DELETE"):
    got = raw(method + b" /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
              b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", want=2)
    r = responses(got)
    gk.check(len(r) == 2 and r[0][0] == 405 and r[0][1].get(b"allow") == b"GET, HEAD"
             and r[1][0] == 200,
             "%s with a body: 405 with Allow, then the pipelined GET answered 200" % method.decode(),
             repr(got[:400]))
got = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
          b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", want=2)
r = responses(got)
gk.check(len(r) == 2 and r[0][0] == 200 and r[1][0] == 200, "a GET with a body, then another: both 200",
         repr(got[:300]))
r = responses(raw(b"PUT /v1/agencies HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nxx"))
gk.check(r and r[0][0] == 413, "a PUT declaring 10 MB is refused unread: 413", repr(r[:1]))

# --- 1,100 slow clients on one address --------------------------------------------------
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
ATTACKER = "127.0.0.2"
slow, refused = [], 0
for i in range(1100):
    try:
        s = socket.create_connection((host, port), timeout=5, source_address=(ATTACKER, 0))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    except OSError:
        refused += 1
stop = threading.Event()


def trickle():
    """A header line on every slow connection every 2 s, never the blank line."""
    n = 0
    while not stop.is_set():
        for s in slow:
            try:
                s.sendall(b"X-Slow-%d: y\r\n" % n)
            except OSError:
                pass
        n += 1
        stop.wait(2)


t = threading.Thread(target=trickle, daemon=True)
t.start()
start = time.time()
served, tried = 0, 0
while time.time() - start < 14:
    tried += 1
    status, _, _ = get(b"/healthz")
    served += status == 200
    time.sleep(0.2)
gk.check(tried > 10 and served == tried,
         "while 1,100 slow clients trickle headers, other clients are served: %d of %d" % (served, tried))


def closed_by_server(s):
    """EOF, a reset or a final answer: the server let the connection go."""
    s.settimeout(0.5)
    try:
        s.recv(4096)
        return True
    except socket.timeout:
        return False
    except OSError:
        return True


alive = [s for s in slow if not closed_by_server(s)]
stop.set()
gk.check(len(alive) == 0,
         "after the header deadline every slow connection was cut, though it kept sending "
         "(%d accepted, %d refused at connect, %d still open)" % (len(slow), refused, len(alive)))
for s in slow:
    s.close()
m = agg.metrics()
gk.check(m.get("gongkai_aggregator_http_slow_cut_total", 0) >= 1,
         "/metrics counts the connections cut at the header deadline: %s"
         % m.get("gongkai_aggregator_http_slow_cut_total"))
gk.check(m.get("gongkai_aggregator_sums_saturated_total") == 0, "and no saturated sum")
status, _, _ = get(b"/healthz", src=ATTACKER)
gk.check(status == 200, "the slow address is served again once its connections are gone")
agg.stop()
gk.done()
