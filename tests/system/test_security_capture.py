#!/usr/bin/python3
"""Intake's traffic is not readable plaintext (issue 5, acceptance 2).

A TCP relay between `gongkai publish` and intake records every byte both
ways. With CURVE on, neither the event_id, the agency nor the applicant kind
appears in the capture, yet the event is accepted. As a control, the same
relay in front of an intake started with GONGKAI_INSECURE=1 does see them:
the capture would have caught plaintext.
"""
import os
import re
import socket
import threading

from seclib import (BIN, INTAKE, WORK, check, event, finish, gongkai, keygen, secure_env, sql,
                    start, stop, wait_log, write_allowlist)


class Relay:
    """Accepts on a free loopback port and relays to target, keeping the bytes."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.captured = bytearray()
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.captured += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def bytes(self):
        with self.lock:
            return bytes(self.captured)


host, port = re.match(r"tcp://([^:]+):(\d+)$", INTAKE).groups()
relay = Relay(host, int(port))
via_relay = "tcp://127.0.0.1:%d" % relay.port

K = {n: keygen(n) for n in ("intake", "pub-a")}
allow = os.path.join(WORK, "allowlist")
write_allowlist(allow, ["%s pub-a publisher sec-canary" % K["pub-a"][2]])

intake = start("intake", [os.path.join(BIN, "gongkai-intake")],
               secure_env(GONGKAI_CERT=K["intake"][0], GONGKAI_KEYS=allow))
check(wait_log(intake, r"intake ready.*curve=on"), "intake starts with CURVE on")

secret_id = "CANARY-ENCRYPTED-7f3a9c"
env = secure_env(GONGKAI_CLIENT_CERT=K["pub-a"][0], GONGKAI_INTAKE_KEY=K["intake"][1])
r = gongkai("publish", "--endpoint", via_relay, "--timeout", "10", env=env,
            stdin=event(secret_id, "sec-canary") + "\n")
check(r.returncode == 0 and "accepted 1" in r.stdout, "published through the relay: %s" % r.stdout.strip())
check(sql("SELECT identity FROM event_log WHERE event_id = %s", (secret_id,)) == [("pub-a",)],
      "stored, under pub-a")
cap = relay.bytes()
check(len(cap) > 300, "the relay captured the conversation (%d bytes)" % len(cap))
for needle in (secret_id, "sec-canary", "natural_person", "application_received"):
    check(needle.encode() not in cap, "CURVE: %r is not in the captured bytes" % needle)
check(b"CURVE" in cap, "the capture shows a CURVE handshake")
stop(intake)

# Control: the same capture in front of a plaintext intake sees the event.
plain_id = "CANARY-PLAINTEXT-51d2e0"
mark = len(relay.bytes())
intake = start("intake-insecure", [os.path.join(BIN, "gongkai-intake")],
               dict(os.environ, GONGKAI_INSECURE="1"))
check(wait_log(intake, r"intake ready.*curve=off"), "control: intake starts without CURVE")
r = gongkai("publish", "--endpoint", via_relay, "--timeout", "10",
            env=dict(os.environ, GONGKAI_INSECURE="1"), stdin=event(plain_id, "sec-canary") + "\n")
check(r.returncode == 0, "control: published in plaintext")
check(plain_id.encode() in relay.bytes()[mark:], "control: plaintext traffic shows the event_id")
finish()
