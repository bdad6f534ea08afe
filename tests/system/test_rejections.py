"""test_rejections — issue 2, acceptance 3: every rejection code intake can
produce, triggered over the wire (a DEALER socket, protobuf envelopes), each
acknowledgement checked (status, code, message naming the field, ref,
event_id) and each stored row of table `rejection` checked (code, message,
raw bytes, peer, event_id). Also: duplicates carry the original seq, the
JSON and protobuf forms of one event are one content, a bad entry does not
sink its Submit, a connection's window (too_many_in_flight), and intake
keeps serving after all of it.

(`forbidden` needs CURVE identities, which GONGKAI_INSECURE=1 turns off:
test_security_keys.py triggers it.)
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402

AG = "gz-rej"
PEER = re.compile(r"^127\.0\.0\.1/[0-9a-f]+$")
RAW_KEEP = 4096

pb = gk.pb()
ACCEPTED, DUPLICATE, REJECTED = pb.ACCEPTED, pb.DUPLICATE, pb.REJECTED

intake = gk.Intake().start()
client = gk.Client()
_ref = [0]
accepted_ids = []   # event_ids the log must hold, in order
rejected_ids = set()  # event_ids that must not be in the log


def next_ref():
    _ref[0] += 1
    return _ref[0]


def ev(etype, eid, at, agency=AG, **fields):
    d = {"event_id": eid, "type": etype, "agency": agency, "occurred_at": at}
    d.update(fields)
    return d


def line(d):
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()


def last_rejection_id():
    return gk.query("SELECT coalesce(max(id), 0) FROM rejection")[0][0]


def send_one(form, payload, what=""):
    """Sends one entry (form 'json' or 'event') or one whole message
    (form 'message'); returns (ref or None, raw bytes intake should keep, acks)."""
    if form == "message":
        client.send_raw(payload)
        return None, payload, client.recv_acks(what=what)
    ref = next_ref()
    if form == "json":
        raw = payload if isinstance(payload, bytes) else line(payload)
        return ref, raw, client.submit([gk.entry_json(ref, raw)], what=what)
    raw = payload if isinstance(payload, bytes) else payload.SerializeToString()
    return ref, raw, client.submit([gk.entry_event(ref, raw)], what=what)


def reject(what, form, payload, code, field, value=None, event_id=None):
    """Sends payload; checks the ack and the stored rejection."""
    before = last_rejection_id()
    ref, raw, acks = send_one(form, payload, what)
    if not gk.eq(len(acks), 1, f"{what}: one ack"):
        return
    a = acks[0]
    ok = gk.check(
        a.status == REJECTED and a.code == code,
        f"{what}: rejected with {code}",
        f"got {gk.status_name(a.status)} {a.code!r}: {a.message!r}",
    )
    if not ok:
        return
    gk.check(a.message.startswith(field + ":") or a.message.startswith(field + " "),
             f"{what}: message names the field {field!r}", repr(a.message))
    if value is not None:
        gk.check(value in a.message, f"{what}: message names the value {value!r}", repr(a.message))
    if ref is None:
        gk.check(not a.HasField("ref"), f"{what}: message-level ack carries no ref")
    else:
        gk.eq(a.ref, ref, f"{what}: ack echoes the ref")
    gk.check(not a.HasField("seq"), f"{what}: a rejection carries no seq")
    if event_id is not None:
        gk.eq(a.event_id, event_id, f"{what}: ack names the event_id")
        rejected_ids.add(event_id)
    rows = gk.query(
        "SELECT code, message, raw, peer, event_id, identity FROM rejection WHERE id > %s ORDER BY id",
        (before,),
    )
    if not gk.eq(len(rows), 1, f"{what}: one rejection row stored"):
        return
    r_code, r_msg, r_raw, r_peer, r_eid, r_ident = rows[0]
    gk.eq(r_code, code, f"{what}: stored code")
    gk.eq(r_msg, a.message, f"{what}: stored message = acknowledged message")
    gk.check(bytes(r_raw) == raw[:RAW_KEEP], f"{what}: raw bytes kept ({min(len(raw), RAW_KEEP)})",
             f"stored {bytes(r_raw)[:80]!r}... ({len(r_raw)} bytes), sent {raw[:80]!r}... ({len(raw)} bytes)")
    gk.check(PEER.match(r_peer or ""), f"{what}: peer stored", repr(r_peer))
    gk.check(r_ident is None, f"{what}: no identity without CURVE", repr(r_ident))
    if event_id is not None:
        gk.eq(r_eid, event_id, f"{what}: stored event_id")


def accept(what, form, payload):
    """Sends payload; checks it is accepted; returns its seq."""
    ref, raw, acks = send_one(form, payload, what)
    a = acks[0] if len(acks) == 1 else None
    gk.check(a is not None and a.status == ACCEPTED and a.ref == ref and a.seq > 0,
             f"{what}: accepted", str(acks))
    eid = payload["event_id"] if isinstance(payload, dict) else payload.event_id
    accepted_ids.append(eid)
    return a.seq if a else None


def with_varint(data, number, value=1):
    """Appends varint field `number` = value to encoded bytes (python-protobuf
    refuses to set enum numbers outside a proto2 enum, intake must not)."""
    def varint(n):
        out = bytearray()
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)
    return data + varint(number << 3) + varint(value)


def string_field(number, raw):
    """A length-delimited field with raw (possibly invalid UTF-8) bytes."""
    assert len(raw) < 128
    return bytes([(number << 3) | 2, len(raw)]) + raw


# ---- setup: facts the referential rules need ------------------------------------
accept("setup app-1 received 03-10", "json",
       ev("application_received", "s-app-1-rcv", "2019-03-10T10:00:00+08:00",
          application_id="app-1", applicant="natural_person"))
accept("setup app-1 resolved 03-15", "json",
       ev("application_resolved", "s-app-1-res", "2019-03-15T10:00:00+08:00",
          application_id="app-1", outcome="disclosed"))
accept("setup app-2 received 03-10", "json",
       ev("application_received", "s-app-2-rcv", "2019-03-10T10:00:00+08:00",
          application_id="app-2", applicant="commercial_enterprise", channel="online"))
accept("setup item-1 added as licensing", "json",
       ev("catalog_item_added", "s-item-1", "2019-01-05T09:00:00+08:00",
          item_id="item-1", item_kind="licensing"))
accept("setup review case-r1 filed 03-10", "json",
       ev("review_filed", "s-case-r1-f", "2019-03-10T09:00:00+08:00", case_id="case-r1"))
accept("setup review case-r2 filed 03-10", "json",
       ev("review_filed", "s-case-r2-f", "2019-03-10T09:00:00+08:00", case_id="case-r2",
          application_id="app-1"))
accept("setup review case-r2 decided 03-20", "json",
       ev("review_decided", "s-case-r2-d", "2019-03-20T09:00:00+08:00", case_id="case-r2",
          result="upheld"))
accept("setup lawsuit case-l1 filed 04-01", "json",
       ev("lawsuit_filed", "s-case-l1-f", "2019-04-01T09:00:00+08:00", case_id="case-l1",
          route="direct"))
accept("setup lawsuit case-l1 decided 04-20", "json",
       ev("lawsuit_decided", "s-case-l1-d", "2019-04-20T09:00:00+08:00", case_id="case-l1",
          result="other"))
accept("setup consultation c-1 started for app-2", "json",
       ev("consultation_started", "s-cons-1", "2019-03-12T09:00:00+08:00",
          application_id="app-2", consultation_id="c-1"))

GOOD = ev("fee_collected", "g-fee-1", "2019-05-01T09:00:00+08:00", amount_fen=500)

# ---- bad_json ------------------------------------------------------------------------
reject("bad_json: malformed line", "json", b'{"event_id":"bj-1","type":', "bad_json", "line")
bad_utf8 = (b'{"event_id":"bj-2","type":"application_received","agency":"gz-rej",'
            b'"occurred_at":"2019-03-02T10:00:00+08:00","application_id":"a\xff\xfe",'
            b'"applicant":"natural_person"}')
reject("bad_json: invalid UTF-8", "json", bad_utf8, "bad_json", "line")
reject("bad_json: invalid UTF-8 (cut sequence in a key)", "json",
       b'{"event_id":"bj-3","\xe4\xb8":1}', "bad_json", "line")
reject("bad_json: not an object", "json", b'["bj-4"]', "bad_json", "line", "array")
reject("bad_json: duplicate key", "json",
       b'{"event_id":"bj-5","event_id":"bj-5b","type":"fee_collected"}', "bad_json", "line")
reject("bad_json: empty line", "json", b"", "bad_json", "line")
reject("bad_json: two objects on one line", "json", line(GOOD) + b" {}", "bad_json", "line")

# ---- bad_protobuf -----------------------------------------------------------------------
reject("bad_protobuf: garbage bytes as Entry.event", "event",
       b"\x0a\x7fthis is not a protobuf message", "bad_protobuf", "event")
reject("bad_protobuf: field number 0 in Entry.event", "event", b"\x00\x01\x02\x03",
       "bad_protobuf", "event")
reject("bad_protobuf: a garbage whole message", "message",
       b"\xde\xad\xbe\xef garbage, not an Envelope \xff\xff\xff\xff", "bad_protobuf", "message")
v2 = gk.envelope_submit([gk.entry_json(next_ref(), line(GOOD))], version=2)
reject("bad_protobuf: Envelope of version 2", "message", v2.SerializeToString(),
       "bad_protobuf", "message", "version 1")
acks_env = pb.Envelope(version=1)
acks_env.acks.acks.add(ref=1, status=ACCEPTED)
reject("bad_protobuf: an Envelope that is not a Submit", "message", acks_env.SerializeToString(),
       "bad_protobuf", "message", "Submit")


def entry_reject(what, entry, field):
    before = last_rejection_id()
    env_ = gk.envelope_submit([entry])
    client.send(env_)
    acks = client.recv_acks()
    a = acks[0] if acks else None
    gk.check(len(acks) == 1 and a.status == REJECTED and a.code == "bad_protobuf"
             and a.message.startswith(field + ":") and a.ref == entry.ref,
             f"{what}: bad_protobuf naming {field}", str(acks))
    rows = gk.query("SELECT code, raw, peer FROM rejection WHERE id > %s", (before,))
    gk.check(len(rows) == 1 and rows[0][0] == "bad_protobuf" and PEER.match(rows[0][2]),
             f"{what}: stored", str(rows))


entry_reject("bad_protobuf: Entry with both json and event",
             pb.Entry(ref=next_ref(), json=line(GOOD), event=gk.event_pb(GOOD).SerializeToString()),
             "entry")
entry_reject("bad_protobuf: Entry with neither json nor event", pb.Entry(ref=next_ref()), "entry")

# ---- unknown_type -------------------------------------------------------------------------
reject("unknown_type: JSON", "json",
       ev("application_lost", "ut-1", "2019-03-02T10:00:00+08:00", application_id="app-1"),
       "unknown_type", "type", "application_lost", event_id="ut-1")
m = gk.event_pb(ev("fee_collected", "ut-2", "2019-03-02T10:00:00+08:00", amount_fen=1))
m.ClearField("type")
reject("unknown_type: protobuf type 99", "event", with_varint(m.SerializeToString(), 2, 99),
       "unknown_type", "type", "99", event_id="ut-2")

# ---- unknown_field ---------------------------------------------------------------------------
reject("unknown_field: JSON key not in the contract", "json",
       ev("fee_collected", "uf-1", "2019-03-02T10:00:00+08:00", amount_fen=1, colour="red"),
       "unknown_field", "colour", event_id="uf-1")
reject("unknown_field: JSON field of another event type", "json",
       ev("application_received", "uf-2", "2019-03-02T10:00:00+08:00", application_id="a-uf",
          applicant="natural_person", outcome="disclosed"),
       "unknown_field", "outcome", "application_received", event_id="uf-2")
good_pb = gk.event_pb(ev("fee_collected", "uf-3", "2019-03-02T10:00:00+08:00", amount_fen=1))
reject("unknown_field: protobuf field number 99", "event",
       with_varint(good_pb.SerializeToString(), 99), "unknown_field", "field number 99",
       event_id="uf-3")
m = gk.event_pb(ev("application_received", "uf-4", "2019-03-02T10:00:00+08:00",
                   application_id="a-uf", applicant="natural_person", document_id="d-1"))
reject("unknown_field: protobuf field of another event type", "event", m, "unknown_field",
       "document_id", event_id="uf-4")

# ---- missing_field ------------------------------------------------------------------------------
reject("missing_field: applicant", "json",
       ev("application_received", "mf-1", "2019-03-02T10:00:00+08:00", application_id="a-mf"),
       "missing_field", "applicant", event_id="mf-1")
reject("missing_field: type (JSON)", "json",
       {"event_id": "mf-2", "agency": AG, "occurred_at": "2019-03-02T10:00:00+08:00"},
       "missing_field", "type", event_id="mf-2")
m = pb.Event(event_id="mf-3", agency=AG, occurred_at="2019-03-02T10:00:00+08:00")
reject("missing_field: type (protobuf)", "event", m, "missing_field", "type", event_id="mf-3")
reject("missing_field: occurred_at", "json",
       {"event_id": "mf-4", "type": "fee_collected", "agency": AG, "amount_fen": 1},
       "missing_field", "occurred_at", event_id="mf-4")
reject("missing_field: event_id", "json",
       {"type": "fee_collected", "agency": AG, "occurred_at": "2019-03-02T10:00:00+08:00",
        "amount_fen": 1}, "missing_field", "event_id")
reject("missing_field: outcome", "json",
       ev("application_resolved", "mf-6", "2019-03-20T10:00:00+08:00", application_id="app-2"),
       "missing_field", "outcome", event_id="mf-6")

# ---- bad_value ------------------------------------------------------------------------------------
T = "2019-03-02T10:00:00+08:00"
BAD_VALUES = [
    ("event_id with a space", {"event_id": "bad id"}, "event_id", "bad id", "bad id"),
    ("event_id of 129 characters", {"event_id": "e" * 129}, "event_id", "129", None),
    ("event_id with a control character", {"event_id": "bv-\u0001"}, "event_id", None, "bv-\u0001"),
    ("agency upper case", {"agency": "GZ-Upper"}, "agency", "GZ-Upper", None),
    ("agency starting with '-'", {"agency": "-gz"}, "agency", "-gz", None),
    ("agency of 65 characters", {"agency": "a" * 65}, "agency", None, None),
    ("occurred_at without offset", {"occurred_at": "2019-03-02T10:00:00"}, "occurred_at",
     "2019-03-02T10:00:00", None),
    ("occurred_at with a space for T", {"occurred_at": "2019-03-02 10:00:00+08:00"},
     "occurred_at", None, None),
    ("occurred_at on 30 February", {"occurred_at": "2019-02-30T10:00:00+08:00"}, "occurred_at",
     None, None),
    ("occurred_at a date only", {"occurred_at": "2019-03-02"}, "occurred_at", None, None),
    ("occurred_at year 1989", {"occurred_at": "1989-12-31T23:00:00+08:00"}, "occurred_at",
     "1989", None),
    ("occurred_at year 2101", {"occurred_at": "2101-01-01T00:00:00Z"}, "occurred_at", "2101", None),
    ("occurred_at a number", {"occurred_at": 1551492000}, "occurred_at", None, None),
]
for i, (what, over, field, value, eid) in enumerate(BAD_VALUES):
    d = ev("fee_collected", f"bv-{i}", T, amount_fen=100)
    d.update(over)
    reject(f"bad_value: {what}", "json", d, "bad_value", field, value,
           event_id=eid if eid is not None else (d["event_id"] if "event_id" not in over else None))

TYPED = [
    ("count 0", ev("decision_made", "bv-c0", T, decision_kind="penalty", count=0), "count", "0"),
    ("count 1000001", ev("decision_made", "bv-c1", T, decision_kind="penalty", count=1000001),
     "count", "1000001"),
    ("count as a string", ev("decision_made", "bv-c2", T, decision_kind="penalty", count="3"),
     "count", None),
    ("count with a fraction", ev("decision_made", "bv-c3", T, decision_kind="penalty", count=1.5),
     "count", None),
    ("amount_fen 0", ev("fee_collected", "bv-a0", T, amount_fen=0), "amount_fen", "0"),
    ("amount_fen negative", ev("fee_collected", "bv-a1", T, amount_fen=-5), "amount_fen", "-5"),
    ("amount_fen above 10^15", ev("procurement_awarded", "bv-a2", T, procurement_id="p-1",
                                  amount_fen=10**15 + 1), "amount_fen", str(10**15 + 1)),
    ("applicant not in the list", ev("application_received", "bv-e0", T, application_id="a-bv",
                                     applicant="alien"), "applicant", "alien"),
    ("outcome not in the list", ev("application_resolved", "bv-e1", "2019-03-20T10:00:00+08:00",
                                   application_id="app-2", outcome="withheld"), "outcome", "withheld"),
    ("document_kind not in the list", ev("document_issued", "bv-e2", T, document_id="d-bv",
                                         document_kind="law"), "document_kind", "law"),
    ("item_kind not in the list", ev("catalog_item_added", "bv-e3", T, item_id="i-bv",
                                     item_kind="tax"), "item_kind", "tax"),
    ("result not in the list", ev("review_decided", "bv-e4", "2019-03-20T10:00:00+08:00",
                                  case_id="case-r1", result="dismissed"), "result", "dismissed"),
    ("route not in the list", ev("lawsuit_filed", "bv-e5", T, case_id="case-bv",
                                 route="indirect"), "route", "indirect"),
    ("channel not in the list", ev("application_received", "bv-e6", T, application_id="a-bv",
                                   applicant="natural_person", channel="pigeon"), "channel", "pigeon"),
    ("enum as a number in JSON", ev("application_received", "bv-e7", T, application_id="a-bv",
                                    applicant=1), "applicant", None),
    ("decision_kind fee", ev("decision_made", "bv-dk", T, decision_kind="fee"), "decision_kind",
     "fee"),
    ("as_review_body not a boolean", ev("lawsuit_filed", "bv-rb", T, case_id="case-bv",
                                        route="direct", as_review_body="yes"), "as_review_body", None),
    ("application_id empty", ev("application_received", "bv-i0", T, application_id="",
                                applicant="natural_person"), "application_id", None),
    ("document_id of 129 characters", ev("document_issued", "bv-i1", T, document_id="d" * 129,
                                         document_kind="rule"), "document_id", None),
    ("case_id with a control character", ev("review_filed", "bv-i2", T, case_id="c\u0007"),
     "case_id", None),
    ("working_days 21", ev("extension_granted", "bv-w0", "2019-03-20T10:00:00+08:00",
                           application_id="app-2", working_days=21), "working_days", "21"),
    ("working_days 0", ev("extension_granted", "bv-w1", "2019-03-20T10:00:00+08:00",
                          application_id="app-2", working_days=0), "working_days", "0"),
    ("due not a date", ev("deadline_set", "bv-d0", "2019-03-20T10:00:00+08:00",
                          application_id="app-2", due="2019-13-01"), "due", "2019-13-01"),
    ("due before the event's date", ev("deadline_set", "bv-d1", "2019-03-20T10:00:00+08:00",
                                       application_id="app-2", due="2019-03-19"), "due", None),
    ("consultation ends before it started", ev("consultation_ended", "bv-ce",
                                               "2019-03-11T10:00:00+08:00", application_id="app-2",
                                               consultation_id="c-1"), "occurred_at", "c-1"),
    ("case filed as a lawsuit, refiled as a review", ev("review_filed", "bv-cf", T,
                                                         case_id="case-l1"), "case_id", "case-l1"),
    # A %.80s in a message used to cut a multi-byte character in two: the
    # message was then not UTF-8, its batch could not commit, intake looped.
    ("a long value whose message is cut inside a UTF-8 character",
     ev("application_received", "bv-u8", T, application_id="a-bv",
        applicant="a" * 79 + "中文"), "applicant", None),
]
for what, d, field, value in TYPED:
    reject(f"bad_value: {what}", "json", d, "bad_value", field, value, event_id=d["event_id"])

# The same rules hold for protobuf input, plus what protobuf lets through.
m = gk.event_pb(ev("application_received", "bvp-1", T, application_id="a-bv",
                   applicant="natural_person"))
m.ClearField("applicant")
reject("bad_value: protobuf enum number outside the schema", "event",
       with_varint(m.SerializeToString(), 6, 42), "bad_value", "applicant", "42", event_id="bvp-1")
m = gk.event_pb(ev("decision_made", "bvp-2", T, decision_kind="penalty"))
m.decision_kind = pb.FEE
reject("bad_value: protobuf decision_kind FEE", "event", m, "bad_value", "decision_kind",
       event_id="bvp-2")
m = gk.event_pb(ev("fee_collected", "bvp-3", T, amount_fen=1))
reject("bad_value: protobuf agency not UTF-8", "event",
       m.SerializeToString() + string_field(3, b"gz\xff"), "bad_value", "agency", event_id="bvp-3")
m = gk.event_pb(ev("fee_collected", "bvp-4", "2019-03-02T10:00:00", amount_fen=1))
reject("bad_value: protobuf occurred_at without offset", "event", m, "bad_value", "occurred_at",
       event_id="bvp-4")
m = gk.event_pb(ev("decision_made", "bvp-5", T, decision_kind="penalty", count=0))
reject("bad_value: protobuf count 0", "event", m, "bad_value", "count", event_id="bvp-5")

# ---- too_large ------------------------------------------------------------------------------------
big = ev("fee_collected", "tl-1", T, amount_fen=1)
big["agency"] = "x" * 70000
reject("too_large: an event line above 65536 bytes", "json", big, "too_large", "line", "65536")
m = pb.Event(event_id="tl-2", type=pb.FEE_COLLECTED, agency="y" * 70000, occurred_at=T,
             amount_fen=1)
reject("too_large: a protobuf event above 65536 bytes", "event", m, "too_large", "event", "65536")
many = gk.envelope_submit([gk.entry_json(next_ref(), line(ev("fee_collected", f"tl-m-{i}", T,
                                                               amount_fen=1)))
                           for i in range(1001)])
reject("too_large: a Submit of 1001 entries", "message", many.SerializeToString(), "too_large",
       "submit", "1001")
pad = "p" * 60000
huge = gk.envelope_submit([gk.entry_json(next_ref(), line({"event_id": f"tl-h-{i}", "pad": pad}))
                           for i in range(80)])
huge_bytes = huge.SerializeToString()
gk.check(len(huge_bytes) > 4 * 1024 * 1024, f"the big Submit is above 4 MiB ({len(huge_bytes)} bytes)")
reject("too_large: a Submit above 4 MiB", "message", huge_bytes, "too_large", "message",
       str(len(huge_bytes)))
gk.eq(gk.query("SELECT count(*) FROM event_log WHERE event_id LIKE 'tl-%%'")[0][0], 0,
      "too_large: none of the oversized Submits' events was stored")

# ---- conflict and duplicate ------------------------------------------------------------------------
c1 = ev("application_received", "cd-1", "2019-06-01T10:00:00+08:00", application_id="app-cd",
        applicant="research_institution")
seq_c1 = accept("conflict setup: cd-1 accepted", "json", c1)
c1_other = dict(c1, applicant="other_org")
reject("conflict: same event_id, other content", "json", c1_other, "conflict", "event_id",
       f"seq {seq_c1}", event_id="cd-1")
rejected_ids.discard("cd-1")  # cd-1 itself is in the log
ref, _, acks = send_one("json", c1)
gk.check(len(acks) == 1 and acks[0].status == DUPLICATE and acks[0].seq == seq_c1
         and acks[0].ref == ref, "duplicate: the same line again is a duplicate with the original seq",
         str(acks))
# The protobuf form of the same event, written with another offset for the
# same instant: the same content.
c1_pb = gk.event_pb(dict(c1, occurred_at="2019-06-01T02:00:00Z"))
ref, _, acks = send_one("event", c1_pb)
gk.check(len(acks) == 1 and acks[0].status == DUPLICATE and acks[0].seq == seq_c1,
         "duplicate: the protobuf form (UTC offset) of the same event is a duplicate, not a conflict",
         str(acks))
c2_pb = gk.event_pb(ev("document_issued", "cd-2", "2019-06-02T10:00:00-04:00", document_id="doc-cd",
                       document_kind="normative"))
seq_c2 = accept("cd-2 accepted from protobuf", "event", c2_pb)
ref, _, acks = send_one("json", ev("document_issued", "cd-2", "2019-06-02T22:00:00+08:00",
                                   document_id="doc-cd", document_kind="normative"))
gk.check(len(acks) == 1 and acks[0].status == DUPLICATE and acks[0].seq == seq_c2,
         "duplicate: the JSON form (+08:00) of an event first sent as protobuf (-04:00)", str(acks))
reject("conflict: protobuf form with another document_kind", "event",
       gk.event_pb(ev("document_issued", "cd-2", "2019-06-02T10:00:00-04:00",
                      document_id="doc-cd", document_kind="rule")),
       "conflict", "event_id", f"seq {seq_c2}", event_id="cd-2")
rejected_ids.discard("cd-2")
reject("conflict: a different instant is other content", "json",
       ev("document_issued", "cd-2", "2019-06-02T10:00:01-04:00", document_id="doc-cd",
          document_kind="normative"), "conflict", "event_id", event_id="cd-2")
rejected_ids.discard("cd-2")

# ---- referential rules --------------------------------------------------------------------------------
reject("unknown_application: resolving an application never received", "json",
       ev("application_resolved", "ua-1", "2019-03-20T10:00:00+08:00", application_id="app-none",
          outcome="disclosed"), "unknown_application", "application_id", "app-none", event_id="ua-1")
reject("unknown_application: received by another agency", "json",
       ev("application_resolved", "ua-2", "2019-03-20T10:00:00+08:00", agency="gz-other",
          application_id="app-1", outcome="disclosed"), "unknown_application", "application_id",
       "gz-other", event_id="ua-2")
reject("unknown_application: a timeliness event for an application never received", "json",
       ev("supplement_requested", "ua-3", "2019-03-20T10:00:00+08:00", application_id="app-none"),
       "unknown_application", "application_id", "app-none", event_id="ua-3")

reject("resolved_before_received: answer before receipt", "json",
       ev("application_resolved", "rbr-1", "2019-03-05T10:00:00+08:00", application_id="app-2",
          outcome="disclosed"), "resolved_before_received", "occurred_at", "2019-03-05",
       event_id="rbr-1")
reject("resolved_before_received: a receipt correction after the answer", "json",
       ev("application_received", "rbr-2", "2019-03-20T10:00:00+08:00", application_id="app-1",
          applicant="natural_person"), "resolved_before_received", "occurred_at", "2019-03-15",
       event_id="rbr-2")
# Beijing days decide, not UTC dates: received 03-10 01:00 Beijing (= 03-09 UTC).
accept("boundary: app-3 received 2019-03-10T01:00:00+08:00", "json",
       ev("application_received", "bd-1", "2019-03-10T01:00:00+08:00", application_id="app-3",
          applicant="natural_person"))
accept("boundary: answered 2019-03-09T17:30:00Z, the same Beijing day", "json",
       ev("application_resolved", "bd-2", "2019-03-09T17:30:00Z", application_id="app-3",
          outcome="partially_disclosed"))
reject("boundary: a correction answering 2019-03-09T15:00:00Z is the Beijing day before", "json",
       ev("application_resolved", "bd-3", "2019-03-09T15:00:00Z", application_id="app-3",
          outcome="partially_disclosed"), "resolved_before_received", "occurred_at", "2019-03-09",
       event_id="bd-3")
accept("a receipt correction on the answer's day is fine", "json",
       ev("application_received", "bd-4", "2019-03-10T08:00:00+08:00", application_id="app-3",
          applicant="other_org"))

reject("unknown_item: removing an item never added", "json",
       ev("catalog_item_removed", "ui-1", T, item_id="item-none", item_kind="licensing"),
       "unknown_item", "item_id", "item-none", event_id="ui-1")
reject("unknown_item: removing with another item_kind", "json",
       ev("catalog_item_removed", "ui-2", T, item_id="item-1", item_kind="penalty"),
       "unknown_item", "item_kind", "penalty", event_id="ui-2")
reject("unknown_item: removing at another agency", "json",
       ev("catalog_item_removed", "ui-3", T, agency="gz-other", item_id="item-1",
          item_kind="licensing"), "unknown_item", "item_id", "item-1", event_id="ui-3")

reject("unknown_case: deciding a case never filed", "json",
       ev("review_decided", "uc-1", T, case_id="case-none", result="upheld"),
       "unknown_case", "case_id", "case-none", event_id="uc-1")
reject("unknown_case: review_decided on a lawsuit", "json",
       ev("review_decided", "uc-2", "2019-05-01T10:00:00+08:00", case_id="case-l1",
          result="upheld"), "unknown_case", "case_id", "case-l1", event_id="uc-2")
reject("unknown_case: lawsuit_decided on a review", "json",
       ev("lawsuit_decided", "uc-3", "2019-05-01T10:00:00+08:00", case_id="case-r1",
          result="corrected"), "unknown_case", "case_id", "case-r1", event_id="uc-3")

reject("decided_before_filed: review decided before filing", "json",
       ev("review_decided", "dbf-1", "2019-03-05T10:00:00+08:00", case_id="case-r1",
          result="upheld"), "decided_before_filed", "occurred_at", "2019-03-05", event_id="dbf-1")
reject("decided_before_filed: a review filing corrected to after its decision", "json",
       ev("review_filed", "dbf-2", "2019-03-25T10:00:00+08:00", case_id="case-r2"),
       "decided_before_filed", "occurred_at", "2019-03-20", event_id="dbf-2")
reject("decided_before_filed: lawsuit decided before filing", "json",
       ev("lawsuit_decided", "dbf-3", "2019-03-30T10:00:00+08:00", case_id="case-l1",
          result="upheld"), "decided_before_filed", "occurred_at", event_id="dbf-3")
reject("decided_before_filed: a lawsuit filing corrected to after its decision", "json",
       ev("lawsuit_filed", "dbf-4", "2019-04-21T10:00:00+08:00", case_id="case-l1",
          route="after_review"), "decided_before_filed", "occurred_at", event_id="dbf-4")

reject("dated_before_received: supplement_requested before receipt", "json",
       ev("supplement_requested", "dbr-1", "2019-03-05T10:00:00+08:00", application_id="app-2"),
       "dated_before_received", "occurred_at", "2019-03-10", event_id="dbr-1")
reject("dated_before_received: extension_granted before receipt", "json",
       ev("extension_granted", "dbr-2", "2019-03-01T10:00:00+08:00", application_id="app-2",
          working_days=10), "dated_before_received", "occurred_at", event_id="dbr-2")
reject("dated_before_received: consultation_started before receipt", "json",
       ev("consultation_started", "dbr-3", "2019-03-09T10:00:00+08:00", application_id="app-2",
          consultation_id="c-2"), "dated_before_received", "occurred_at", event_id="dbr-3")
reject("unknown_consultation: ending one never started", "json",
       ev("consultation_ended", "ucs-1", "2019-03-20T10:00:00+08:00", application_id="app-2",
          consultation_id="c-none"), "unknown_consultation", "consultation_id", "c-none",
       event_id="ucs-1")
reject("unknown_consultation: started for another application", "json",
       ev("consultation_ended", "ucs-2", "2019-03-20T10:00:00+08:00", application_id="app-1",
          consultation_id="c-1"), "unknown_consultation", "consultation_id", "c-1",
       event_id="ucs-2")
accept("extension of 15 working days for app-2", "json",
       ev("extension_granted", "ok-ext-1", "2019-03-20T10:00:00+08:00", application_id="app-2",
          working_days=15))
reject("bad_value: extensions past 20 working days in all", "json",
       ev("extension_granted", "ext-2", "2019-03-25T10:00:00+08:00", application_id="app-2",
          working_days=6), "bad_value", "working_days", "makes 21", event_id="ext-2")
accept("consultation c-1 ends", "json",
       ev("consultation_ended", "ok-ce", "2019-03-20T10:00:00+08:00", application_id="app-2",
          consultation_id="c-1"))

# ---- a bad entry does not sink its Submit ------------------------------------------------------------
mix = [
    ("json", ev("fee_collected", "mx-1", T, amount_fen=10)),
    ("json", b"{not json"),
    ("event", gk.event_pb(ev("fee_collected", "mx-2", T, amount_fen=20))),
    ("json", ev("application_resolved", "mx-3", T, application_id="app-none", outcome="disclosed")),
    ("event", b"\x0a\x7fjunk"),
    ("json", ev("fee_collected", "mx-4", T, amount_fen=30)),
]
entries, refs = [], []
for form, p in mix:
    r = next_ref()
    refs.append(r)
    if form == "json":
        entries.append(gk.entry_json(r, p if isinstance(p, bytes) else line(p)))
    else:
        entries.append(gk.entry_event(r, p))
acks = client.submit(entries)
got = [(a.ref, gk.status_name(a.status), a.code) for a in acks]
want = [(refs[0], "ACCEPTED", ""), (refs[1], "REJECTED", "bad_json"), (refs[2], "ACCEPTED", ""),
        (refs[3], "REJECTED", "unknown_application"), (refs[4], "REJECTED", "bad_protobuf"),
        (refs[5], "ACCEPTED", "")]
gk.eq(got, want, "a Submit mixing good and bad entries: one ack each, in order, good ones accepted")
accepted_ids += ["mx-1", "mx-2", "mx-4"]
seqs = [a.seq for a in acks if a.status == ACCEPTED]
gk.eq(seqs, list(range(seqs[0], seqs[0] + 3)), "the good entries got consecutive seqs")

# ---- too_many_in_flight: a connection's window ----------------------------------------------------------
# Intake counts, per connection, the entries of the batch it is working on
# (PROTOCOL.md: 2000). To have four Submits of 1000 in one batch, hold the
# batch before them: a lock on event_log makes intake's COPY wait, the four
# arrive meanwhile (1 s allowance for loopback delivery), then the lock goes.
import psycopg2  # noqa: E402

W = 1000
locker = psycopg2.connect(gk.env("GONGKAI_DB"))
locker.cursor().execute("LOCK TABLE event_log IN ACCESS EXCLUSIVE MODE")
wc = gk.Client()
wc.send(gk.envelope_submit([gk.entry_json(next_ref(), line(ev("fee_collected", "w-0", T,
                                                                amount_fen=1)))]))
gk.wait_for(lambda: gk.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                             "'gongkai-intake' AND wait_event_type = 'Lock'")[0][0] > 0,
            20, "intake's COPY to wait for the lock")
subs = []
for k in range(4):
    refs_k = [next_ref() for _ in range(W)]
    raws_k = [line(ev("fee_collected", f"w-{k + 1}-{i}", T, amount_fen=i + 1)) for i in range(W)]
    wc.send(gk.envelope_submit([gk.entry_json(r, x) for r, x in zip(refs_k, raws_k)]))
    subs.append((refs_k, raws_k))
import time  # noqa: E402
time.sleep(1.0)
before = last_rejection_id()
locker.rollback()
locker.close()
first = wc.recv_acks(what="the held batch")
gk.check(len(first) == 1 and first[0].status == ACCEPTED, "window: the held event is accepted",
         str(first))
accepted_ids.append("w-0")
results = [wc.recv_acks(what=f"window submit {k + 1}") for k in range(4)]
for k, acks_k in enumerate(results):
    refs_k, raws_k = subs[k]
    gk.eq([a.ref for a in acks_k], refs_k, f"window: submit {k + 1}: one ack per entry, in order")
    if k < 2:
        gk.check(all(a.status == ACCEPTED for a in acks_k),
                 f"window: submit {k + 1} (entries {k * W + 1}-{(k + 1) * W}) accepted")
        accepted_ids.extend(f"w-{k + 1}-{i}" for i in range(W))
    else:
        bad = [a for a in acks_k if a.status != REJECTED or a.code != "too_many_in_flight"
               or not a.message.startswith("submit:") or "2000" not in a.message]
        gk.check(not bad, f"window: submit {k + 1} beyond 2000 in flight: every entry rejected "
                 "too_many_in_flight, message naming the window", str(bad[:1]))
rows = gk.query("SELECT code, raw, peer FROM rejection WHERE id > %s ORDER BY id", (before,))
gk.eq(len(rows), 2 * W, "window: one rejection row per refused entry")
# One connection's first 100 rejections of a batch keep their raw bytes, the
# rest keep code and message only (the flood cap, PROTOCOL.md).
want_raw = [raw if i < 100 else b"" for i, raw in enumerate(subs[2][1] + subs[3][1])]
gk.check(all(r[0] == "too_many_in_flight" and PEER.match(r[2]) for r in rows)
         and [bytes(r[1]) for r in rows] == want_raw,
         "window: stored with code and peer, in order; raw bytes for the first 100 of the batch")
wc.close()

# ---- what a client sent is never echoed raw (issue 12) ------------------------------------------------------
# An unknown key or enum value holding terminal escapes: `gongkai publish`'s
# stderr and `gongkai rejects` show them escaped, never as control bytes.
esc = "\u001b]0;PWNED\u0007\u001b[2J"
hostile = os.path.join(gk.work_dir(), "hostile-text.jsonl")
with open(hostile, "w") as f:
    d = ev("fee_collected", "esc-1", T, amount_fen=1)
    d["x" + esc] = 1
    f.write(json.dumps(d) + "\n")
    f.write(json.dumps(ev("decision_made", "esc-2", T, decision_kind="penalty" + esc)) + "\n")
    f.write(json.dumps(ev("fee_collected", "esc-3", T, amount_fen=1, due="2019" + esc)) + "\n")
    f.write('{"event_id":"esc-4","type":"fee_collected",' + esc + '}\n')
rc, out, err = gk.publish([hostile])
gk.check(rc == 1 and "rejected 4" in out, "the four events with escapes are rejected", out + err)
gk.check("\x1b" not in err and "\x07" not in err and "\\x1b" in err,
         "publish shows the escapes as \\x1b, never raw", repr(err[:400]))
r = gk.run([gk.bin_path("gongkai"), "rejects", "--limit", "10"])
text = r.stdout.decode("utf-8", "replace")
gk.check("\x1b" not in text and "\x07" not in text and "esc-1" in text,
         "gongkai rejects shows them escaped too", repr(text[:400]))
rejected_ids.update({"esc-1", "esc-2", "esc-3", "esc-4"})

# ---- intake still serves ---------------------------------------------------------------------------------
gk.check(intake.alive(), "intake is still running after all of it")
last = accept("a valid event after all the rejections", "json", GOOD)
ref, _, acks = send_one("event", gk.event_pb(ev("fee_collected", "g-fee-2", T, amount_fen=700)))
gk.check(acks[0].status == ACCEPTED and acks[0].seq == last + 1, "and a valid protobuf one", str(acks))
accepted_ids.append("g-fee-2")

rows = gk.query("SELECT seq, event_id FROM event_log ORDER BY seq")
gk.eq([r[1] for r in rows], accepted_ids, "event_log holds exactly the accepted events, in order")
gk.eq([r[0] for r in rows], list(range(1, len(rows) + 1)), "seq is 1..N without a gap")
in_log = {r[1] for r in rows}
gk.eq(sorted(in_log & rejected_ids), [], "no rejected event reached the log")
n_rej = gk.query("SELECT count(*) FROM rejection")[0]
gk.check(n_rej[0] >= 2090, f"{n_rej[0]} rejections stored")

r = gk.run([gk.bin_path("gongkai"), "rejects", "--limit", "100000"])
out = r.stdout.decode()
gk.check(r.returncode == 0 and len(out.splitlines()) == n_rej[0],
         "gongkai rejects lists every stored rejection", f"rc {r.returncode}, {len(out.splitlines())} lines")
codes = {l.split("\t")[4] for l in out.splitlines()}
want_codes = {"bad_json", "bad_protobuf", "unknown_type", "unknown_field", "missing_field", "bad_value",
              "too_large", "conflict", "unknown_application", "resolved_before_received",
              "unknown_item", "unknown_case", "decided_before_filed", "dated_before_received",
              "unknown_consultation", "too_many_in_flight"}
gk.eq(sorted(codes), sorted(want_codes), "every rejection code appears in gongkai rejects")

# A database that cannot be reached: said on one logfmt line whose fields
# stay fields though libpq's message quotes the socket's path.
r = gk.run([gk.bin_path("gongkai"), "rejects", "--db", "host=/nonexistent-dir dbname=x"])
first = r.stderr.decode("utf-8", "replace").splitlines()[0] if r.stderr else ""
strict = re.compile(r'^ts=\S+ level=\w+ msg="(?:[^"\\]|\\.)*"(?: \w+=(?:"(?:[^"\\]|\\.)*"|[^\s"]+))*\s*$')
gk.check(r.returncode == 2 and strict.match(first) and "nonexistent-dir" in first,
         "a connection failure is one strict logfmt line naming the socket", first)

client.close()
gk.eq(intake.stop(), 0, "intake exits 0 on SIGTERM")
gk.done()
