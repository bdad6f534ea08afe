"""CURVE key files as `gongkai keygen` writes them (CZMQ's zcert text format).

NAME.key holds the public and secret key (mode 0600); NAME.pub the public
key only. A server key may also be given as its 40-character Z85 text.
"""
import os
import re
import stat

_FIELD = re.compile(r'^\s*(public-key|secret-key)\s*=\s*"([^"]{40})"\s*$')


def _fields(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = _FIELD.match(line)
            if m:
                out[m.group(1)] = m.group(2).encode()
    return out


def load_secret(path):
    """(public, secret) of a .key file; refuses one others may read (as the C client does)."""
    from .publisher import GongkaiError

    try:
        st = os.stat(path)
    except OSError as e:
        raise GongkaiError("client_cert: %s" % e) from None
    if st.st_mode & 0o077:
        raise GongkaiError("client_cert: %s: mode %04o lets other users read the secret key; run chmod 600 %s"
                           % (path, stat.S_IMODE(st.st_mode), path))
    f = _fields(path)
    if "secret-key" not in f or f["secret-key"] == b"0" * 40:
        raise GongkaiError("client_cert: %s holds no secret key (a .pub file? use the .key file)" % path)
    return f["public-key"], f["secret-key"]


def load_public(path_or_key):
    """A server's public key: its .pub (or .key) file, or the Z85 text itself."""
    from .publisher import GongkaiError

    if not os.path.exists(path_or_key) and len(path_or_key) == 40:
        return path_or_key.encode()
    try:
        f = _fields(path_or_key)
    except OSError as e:
        raise GongkaiError("intake_key: %s" % e) from None
    if "public-key" not in f:
        raise GongkaiError("intake_key: %s: no public-key in it (a file from `gongkai keygen`?)" % path_or_key)
    return f["public-key"]
