"""Reports: the aggregator's tables, over HTTP (/v1/reports, /healthz) or the
ZeroMQ query endpoint (ReportRequest → ReportReply), and read-your-writes.

Not thread-safe for the ZeroMQ side (one socket); HTTP calls are independent.
"""
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import zmq

from . import _proto
from .keys import load_public, load_secret
from .publisher import GongkaiError


class ReportError(GongkaiError):
    """The aggregator refused the request: .code is its error code (bad_year, bad_agency,
    bad_case_rule, bad_format, bad_scope, forbidden, ...), the message says why."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code, self.message = code, message


class Reports:
    """http="host:port" of the aggregator's HTTP (token: a bearer token when it
    has GONGKAI_HTTP_TOKENS); query="tcp://host:port" of its ZeroMQ query
    endpoint (insecure, or client_cert + server_key as for Publisher)."""

    def __init__(self, http=None, *, token=None, query=None, insecure=False, client_cert=None,
                 server_key=None, timeout=20.0):
        if not http and not query:
            raise GongkaiError("Reports: give http=HOST:PORT, query=tcp://HOST:PORT, or both")
        self.http, self.token, self.query, self.timeout = http, token, query, timeout
        self._curve = None
        if query and not insecure:
            if not client_cert or not server_key:
                raise GongkaiError("client_cert and server_key: required for CURVE on the query "
                                   "endpoint (or insecure=True)")
            public, secret = load_secret(client_cert)
            self._curve = (public, secret, load_public(server_key))
        self._ctx = self._sock = None

    # -- HTTP ---------------------------------------------------------------------

    def _get(self, path, params=None):
        if not self.http:
            raise GongkaiError("Reports: no http endpoint given")
        url = "http://%s%s" % (self.http, path)
        if params:
            url += "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        req = urllib.request.Request(url)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")
            try:
                err = json.loads(body)
                raise ReportError(err.get("error", str(e.code)), err.get("message", body)) from None
            except ValueError:
                raise ReportError(str(e.code), body) from None

    def report(self, agency, year, case_rule=None, scope=None):
        """The agency-year's tables as the JSON of spec/report.md (a dict), over HTTP
        (or the query endpoint when no http is given)."""
        if not self.http:
            return json.loads(self.query_report(agency, year, case_rule=case_rule, scope=scope)[0])
        return self._get("/v1/reports/%s/%d" % (urllib.parse.quote(agency, safe=""), int(year)),
                         {"case_rule": case_rule, "scope": scope})

    def health(self):
        """/healthz: status, applied_seq, head_seq, lag, last_applied_at."""
        return self._get("/healthz")

    def wait_applied(self, seq, timeout=60.0):
        """Waits until the aggregator has applied seq (the highest seq your acks
        gave): a report read after this reflects every event you published."""
        deadline = time.monotonic() + timeout
        while True:
            h = self.health()
            if h.get("applied_seq", 0) >= seq:
                return h
            if time.monotonic() > deadline:
                raise GongkaiError("the aggregator applied seq %s, not %s, within %g s"
                                   % (h.get("applied_seq"), seq, timeout))
            time.sleep(0.05)

    # -- ZeroMQ -------------------------------------------------------------------

    def query_report(self, agency, year, case_rule=None, fmt=None, scope=None):
        """(body, applied_seq) over the ZeroMQ query endpoint; body in fmt (json,
        csv, md, text). Raises ReportError with the aggregator's code."""
        if not self.query:
            raise GongkaiError("Reports: no query endpoint given")
        pb = _proto.module()
        if self._sock is None:
            self._ctx = zmq.Context()
            self._sock = self._ctx.socket(zmq.DEALER)
            self._sock.setsockopt(zmq.LINGER, 0)
            if self._curve:
                public, secret, server = self._curve
                self._sock.curve_publickey, self._sock.curve_secretkey = public, secret
                self._sock.curve_serverkey = server
            self._sock.connect(self.query)
        env = pb.Envelope(version=1)
        q = env.report_request
        q.agency, q.year = agency, int(year)
        if case_rule:
            q.case_rule = case_rule
        if fmt:
            q.format = fmt
        if scope:
            q.scope = scope
        self._sock.send(env.SerializeToString())
        if not self._sock.poll(int(self.timeout * 1000)):
            # A DEALER cannot tell a late answer from the next one: start afresh.
            self._sock.close(0)
            self._sock = None
            raise GongkaiError("no answer from the aggregator at %s in %g s" % (self.query, self.timeout))
        reply = pb.Envelope()
        reply.ParseFromString(self._sock.recv())
        r = reply.report_reply
        if not r.ok:
            raise ReportError(r.error, r.message)
        return r.body, r.applied_seq

    def close(self):
        if self._sock is not None:
            self._sock.close(0)
            self._ctx.term()
            self._sock = self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
