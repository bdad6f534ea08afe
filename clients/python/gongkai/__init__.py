"""gongkai — a Python client of gongkai's intake and aggregator.

    from gongkai import Publisher, Reports
    with Publisher("tcp://127.0.0.1:7101", insecure=True) as p:
        for ev in events:
            for ack in p.send(ev):        # acks that arrived meanwhile
                ...
        for ack in p.flush():             # the rest
            ...
        top = max(a.seq for a in acks if a.ok)
    r = Reports(http="127.0.0.1:7180")
    r.wait_applied(top)                   # read your writes
    tables = r.report("gz-sthjt", 2019)

Pure Python over Debian's python3-zmq and python3-protobuf; the protobuf
module is generated from proto/ by `make python`. The wire is
proto/PROTOCOL.md; the semantics are libgongkai-client's.
"""
from .publisher import ACCEPTED, DUPLICATE, REJECTED, Ack, GongkaiError, Publisher  # noqa: F401
from .reports import Reports  # noqa: F401

__all__ = ["Publisher", "Ack", "Reports", "GongkaiError", "ACCEPTED", "DUPLICATE", "REJECTED"]
