"""Publisher: events to gongkai-intake, acknowledgements back (PROTOCOL.md).

The same semantics as libgongkai-client (include/gongkai/client.h):
events go out in the order given, at most `window` unanswered; each is
answered exactly once, as an Ack; when intake stays silent (3 s, doubling to
10 s) the socket is replaced and every unanswered event sent again, in the
original order, before any newer one (intake answers `duplicate` for what it
had committed: nothing is lost or doubled across a restart of intake).

Not thread-safe: one thread uses a Publisher at a time.
"""
import bisect
import json
import time
from dataclasses import dataclass

import zmq

from . import _proto
from .keys import load_public, load_secret

WINDOW_MAX = 2000           # unanswered entries per connection (PROTOCOL.md)
EVENT_MAX = 65536           # bytes of one event
_CHUNK = 500                # entries per Submit
_SUBMIT_BYTES = (4 << 20) - 65536   # a Submit stays under intake's 4 MiB
_RETRY_FIRST, _RETRY_MAX = 3.0, 10.0

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


class GongkaiError(Exception):
    """A failure that retrying cannot mend: keys refused, a whole message refused (intake's code in
    the text), no answer for give_up seconds, bad options."""


@dataclass(frozen=True)
class Ack:
    """One event's answer. status: "accepted", "duplicate" (seq > 0: its place in the
    log) or "rejected" (final for that content: code and message say why)."""

    status: str
    ref: object
    seq: int
    event_id: str
    code: str = ""
    message: str = ""

    @property
    def ok(self):
        return self.status != REJECTED


class _Item:
    __slots__ = ("wire_ref", "ref", "data", "is_event", "sent", "answered")

    def __init__(self, wire_ref, ref, data, is_event):
        self.wire_ref, self.ref, self.data, self.is_event = wire_ref, ref, data, is_event
        self.sent = False
        self.answered = False


class Publisher:
    """Publishes to intake at `endpoint` ("tcp://host:7101").

    insecure=True for an intake run with GONGKAI_INSECURE=1; otherwise
    client_cert (this publisher's key file from `gongkai keygen`) and
    intake_key (intake's .pub file or its 40-character Z85 text).
    on_log(line) hears reconnects and refused messages.
    """

    def __init__(self, endpoint, *, insecure=False, client_cert=None, intake_key=None,
                 window=WINDOW_MAX, give_up=60.0, on_log=None):
        if not endpoint:
            raise GongkaiError("endpoint: required (tcp://HOST:PORT)")
        if not 1 <= window <= WINDOW_MAX:
            raise GongkaiError("window: %r, must be 1 to %d (intake's window per connection)"
                               % (window, WINDOW_MAX))
        if give_up <= 0:
            raise GongkaiError("give_up: %r, must be more than 0 seconds" % (give_up,))
        self._curve = None
        if not insecure:
            if not client_cert or not intake_key:
                raise GongkaiError("client_cert and intake_key: required for CURVE "
                                   "(or insecure=True against an intake with GONGKAI_INSECURE=1)")
            public, secret = load_secret(client_cert)
            self._curve = (public, secret, load_public(intake_key))
        self.endpoint = endpoint
        self.window = window
        self.give_up = give_up
        self._log = on_log or (lambda line: None)
        self._pb = _proto.module()
        self._ctx = zmq.Context()
        self._sock = None
        self._q = []            # unanswered _Items in order (answered ones dropped from the front)
        self._next_ref = 1
        self._inflight = 0
        self._ready = []        # Acks taken, not yet returned
        self._retry = _RETRY_FIRST
        self._last_answer = self._last_try = time.monotonic()
        self._failed = None
        self._last_service = 0.0
        self._open()

    # -- the socket ---------------------------------------------------------------

    def _open(self):
        if self._sock is not None:
            self._sock.close(0)
        s = self._ctx.socket(zmq.DEALER)
        # Order (PROTOCOL.md, "Writing a client"): nothing queued for a peer
        # not connected, no reconnecting by libzmq; silence replaces the socket.
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.IMMEDIATE, 1)
        s.setsockopt(zmq.RECONNECT_IVL, -1)
        s.setsockopt(zmq.MAXMSGSIZE, 16 << 20)
        s.setsockopt(zmq.RCVHWM, 2 * WINDOW_MAX)  # an Acks message per entry at worst
        if self._curve:
            public, secret, server = self._curve
            s.curve_publickey, s.curve_secretkey, s.curve_serverkey = public, secret, server
        try:
            s.connect(self.endpoint)
        except zmq.ZMQError as e:
            s.close(0)
            raise GongkaiError("endpoint: %r: %s (use tcp://HOST:PORT)" % (self.endpoint, e)) from None
        self._sock = s
        for it in self._q:
            it.sent = False
        self._inflight = 0
        self._last_try = time.monotonic()

    def _send_pending(self):
        i = 0
        while self._inflight < self.window:
            entries, items, size = [], [], 0
            while i < len(self._q) and len(entries) < _CHUNK and self._inflight + len(entries) < self.window:
                it = self._q[i]
                if it.answered or it.sent:
                    i += 1
                    continue
                if entries and size + len(it.data) + 16 > _SUBMIT_BYTES:
                    break
                e = self._pb.Entry(ref=it.wire_ref)
                if it.is_event:
                    e.event = it.data
                else:
                    e.json = it.data
                entries.append(e)
                items.append(it)
                size += len(it.data) + 16
                i += 1
            if not entries:
                return
            env = self._pb.Envelope(version=1)
            env.submit.entries.extend(entries)
            try:
                self._sock.send(env.SerializeToString(), zmq.NOBLOCK)
            except zmq.Again:
                return  # not connected yet: again after the next poll
            for it in items:
                it.sent = True
            self._inflight += len(items)

    def _find(self, wire_ref):
        k = bisect.bisect_left(self._q, wire_ref, key=lambda it: it.wire_ref)
        if k < len(self._q) and self._q[k].wire_ref == wire_ref:
            return self._q[k]
        return None

    def _take(self, data):
        env = self._pb.Envelope()
        try:
            env.ParseFromString(data)
        except Exception:  # noqa: BLE001 - not ours to crash on
            return 0
        if env.version != 1 or env.WhichOneof("body") != "acks":
            return 0
        answered = 0
        for a in env.acks.acks:
            it = self._find(a.ref) if a.HasField("ref") else None
            if it is None or it.answered:
                if not a.HasField("ref") and a.code and not self._failed:
                    # A whole Submit refused (bad_protobuf, too_large, a version
                    # intake does not speak): sent again it would be refused
                    # again, so fail now with intake's code (libgongkai-client
                    # does the same), not after give_up seconds of resending.
                    unanswered = sum(1 for q in self._q if not q.answered)
                    self._failed = ("intake refused a whole message: %s: %s (%d events unanswered; "
                                    "not sent again)" % (a.code, a.message, unanswered))
                continue
            if it.sent:
                self._inflight -= 1
            status = {1: ACCEPTED, 2: DUPLICATE, 3: REJECTED}.get(a.status)
            if status is None or (status == REJECTED and a.code == "too_many_in_flight"):
                it.sent = False  # RETRY, or intake's window: send it again
                continue
            it.answered = True
            it.data = None
            answered += 1
            self._ready.append(Ack(status, it.ref, a.seq if status != REJECTED else 0,
                                   a.event_id, a.code if status == REJECTED else "",
                                   a.message if status == REJECTED else ""))
        k = 0
        while k < len(self._q) and self._q[k].answered:
            k += 1
        if k:
            del self._q[:k]
        return answered

    def _service(self, timeout):
        if self._failed:
            raise GongkaiError(self._failed)
        self._last_service = time.monotonic()
        self._send_pending()
        want_out = self._inflight < self.window and any(not it.sent for it in self._q)
        flags = zmq.POLLIN | (zmq.POLLOUT if want_out else 0)
        answered = 0
        if self._sock.poll(int(timeout * 1000), flags):
            while True:
                try:
                    data = self._sock.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                answered += self._take(data)
        if self._failed:
            raise GongkaiError(self._failed)
        now = time.monotonic()
        if answered:
            self._last_answer = self._last_try = now
            self._retry = _RETRY_FIRST
        self._send_pending()
        if not self._q:
            return
        if now - self._last_answer > self.give_up:
            self._failed = ("no acknowledgement from %s in %g s; giving up with %d events unacknowledged"
                            % (self.endpoint, self.give_up, len(self._q)))
            raise GongkaiError(self._failed)
        if now - self._last_try > self._retry:
            self._log("no answer from %s for %.1f s; reconnecting and resending %d events"
                      % (self.endpoint, now - self._last_try, len(self._q)))
            self._open()
            self._retry = min(self._retry * 2, _RETRY_MAX)
            self._send_pending()

    def _drain_ready(self):
        out, self._ready = self._ready, []
        return out

    # -- the API ------------------------------------------------------------------

    def send(self, event, ref=None):
        """Queues one event and sends it when the window allows: a dict (sent as
        its JSON line), a str or bytes JSON line, or a gongkai.v1.Event message
        (sent as protobuf). ref is yours, returned in its Ack (default: the
        event_id). Returns the Acks that arrived meanwhile (waits for some
        while the window is full)."""
        if isinstance(event, dict):
            data, is_event = json.dumps(event, ensure_ascii=False).encode(), False
            if ref is None:
                ref = event.get("event_id")
        elif isinstance(event, str):
            data, is_event = event.encode(), False
        elif isinstance(event, (bytes, bytearray)):
            data, is_event = bytes(event), False
        elif hasattr(event, "SerializeToString"):
            data, is_event = event.SerializeToString(), True
            if ref is None:
                ref = getattr(event, "event_id", None)
        else:
            raise TypeError("send: a dict, str, bytes or gongkai.v1.Event, not %s" % type(event).__name__)
        if not self._q:
            self._last_answer = self._last_try = time.monotonic()
        while len(self._q) >= self.window:
            self._service(0.1)
        self._q.append(_Item(self._next_ref, ref, data[:EVENT_MAX + 1], is_event))
        self._next_ref += 1
        # Like Nagle: at once when nothing is in flight; otherwise what came
        # meanwhile goes as one Submit when answers are taken (every ms here).
        if self._inflight == 0:
            self._send_pending()
        elif time.monotonic() - self._last_service >= 0.001:
            self._service(0)
        return self._drain_ready()

    def poll(self, timeout=0.0):
        """Sends what it can, waits up to timeout seconds for answers; returns the Acks."""
        self._service(timeout)
        return self._drain_ready()

    def flush(self):
        """Waits until every event sent is answered; returns the Acks not returned yet.
        Raises GongkaiError after give_up seconds without any answer, or at once when intake
        refuses a whole message."""
        while self._q:
            self._service(0.1)
        return self._drain_ready()

    @property
    def unanswered(self):
        return len(self._q)

    def close(self):
        """Closes the connection; unanswered events are dropped (flush() first)."""
        if self._sock is not None:
            self._sock.close(0)
            self._sock = None
        self._ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
