#!/usr/bin/python3
"""HTTP: loopback by default, bearer tokens for /v1/*, reloaded on SIGHUP.

/healthz, /metrics and / stay open (probes, scrapers); /v1/* answers 401
without a listed token. A replaced token file takes effect on SIGHUP; a bad
one is refused at start and ignored on reload. Tokens never reach the log.
"""
import os
import signal
import subprocess
import urllib.error
import urllib.request

from seclib import BIN, HTTP, WORK, check, finish, log_of, start, wait_log

r = subprocess.run([os.path.join(BIN, "gongkai-aggregator"), "--help"], capture_output=True, text=True)
check("default 127.0.0.1:7180" in r.stdout, "HTTP listens on loopback by default")

T1, T2 = "tok-one-5b1c7e0f9a2d4c38", "tok-two-0e9d8c7b6a594837"
tokens = os.path.join(WORK, "http-tokens")
with open(tokens, "w") as f:
    f.write("# NAME TOKEN\nbi-dashboard %s\n" % T1)
os.chmod(tokens, 0o600)

bad = os.path.join(WORK, "bad-tokens")
with open(bad, "w") as f:
    # A weak token no hex address of a sanitizer's report can contain ("abc"
    # could: under ASan the early exit prints leak addresses).
    f.write("short Qz-weak\n")
r = subprocess.run([os.path.join(BIN, "gongkai-aggregator")], capture_output=True, text=True, timeout=20,
                   env=dict(os.environ, GONGKAI_HTTP_TOKENS=bad))
check(r.returncode != 0 and "shorter than 16" in r.stderr and "Qz-weak" not in r.stderr,
      "a tokens file with a weak token is refused at start, without echoing it")

agg = start("aggregator", [os.path.join(BIN, "gongkai-aggregator")], dict(os.environ, GONGKAI_HTTP_TOKENS=tokens))
check(wait_log(agg, r"aggregator ready.*http_tokens=on"), "aggregator starts with HTTP tokens")


def get(path, token=None):
    req = urllib.request.Request("http://%s%s" % (HTTP, path))
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


for path in ("/healthz", "/metrics", "/"):
    check(get(path)[0] == 200, "%s is open" % path)
status, headers = get("/v1/agencies")
check(status == 401 and "Bearer" in headers.get("WWW-Authenticate", ""), "/v1/agencies without a token: 401")
check(get("/v1/reports/gz-sthjt/2019", "wrong-token-000000000")[0] == 401, "a wrong token: 401")
check(get("/v1/reports/gz-sthjt/2019", T1)[0] == 200, "the listed token: 200")

mark = len(log_of(agg))
with open(tokens, "w") as f:
    f.write("bi-dashboard %s\n" % T2)
agg.send_signal(signal.SIGHUP)
check(wait_log(agg, r"HTTP tokens reloaded", after=mark), "SIGHUP reloads the tokens")
check(get("/v1/agencies", T1)[0] == 401, "the replaced token is refused from then on")
check(get("/v1/agencies", T2)[0] == 200, "the new token works")

mark = len(log_of(agg))
with open(tokens, "w") as f:
    f.write("")
agg.send_signal(signal.SIGHUP)
check(wait_log(agg, r"HTTP tokens not reloaded", after=mark), "an empty tokens file is refused on reload")
check(get("/v1/agencies", T2)[0] == 200, "the previous tokens stay in force")
check(T1 not in log_of(agg) and T2 not in log_of(agg), "no token in the log")
finish()
