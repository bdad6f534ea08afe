#!/usr/bin/python3
"""The annual report's inputs at their exact limits (issue 14's review: limits not tried).

- a narrative section of exactly 65,536 bytes (NARRATIVE_MAX) is stored and
  shown back byte for byte, by the CLI and by PUT; 65,537 is refused both ways;
  the largest character (U+10FFFF, 4 bytes) at the very end counts whole;
- a release note of exactly 2,000 bytes is stored and listed whole, even when
  every byte is one `--list` shows escaped (a newline: \\x0a); 2,001 is refused;
- ?as_of= at the ends of the year range: 1990-01-01 and 2100-12-31 answer,
  1989-12-31 and 2101-01-01 are bad_as_of.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

GK = gk.bin_path("gongkai")
W = gk.work_dir()
TOKEN = "limits-writer-token-0123456789abcdef"
tokens = os.path.join(W, "tokens")
with open(tokens, "w") as f:
    f.write("office %s\n" % TOKEN)
intake, agg = gkagg.seeded(env={"GONGKAI_HTTP_TOKENS": tokens})


def write(name, data):
    p = os.path.join(W, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


MAX = 65536
exact = ("甲" * 21844).encode() + b"a" * (MAX - 21844 * 3 - 4) + "\U0010ffff".encode()
gk.eq(len(exact), MAX, "the text is exactly 65,536 bytes, ending in a 4-byte character")
r = gk.run([GK, "narrative", "set", "--agency", "gz-sthjt", "--year", "2019", "--section", "5",
            write("max.md", exact)])
gk.eq(r.returncode, 0, "narrative set of exactly 65,536 bytes is stored (%s)" % r.stderr.decode()[-200:])
r = gk.run([GK, "narrative", "show", "--agency", "gz-sthjt", "--year", "2019", "--section", "5"])
gk.check(r.returncode == 0 and r.stdout == exact, "show gives the 65,536 bytes back exactly (%d)" % len(r.stdout))
r = gk.run([GK, "narrative", "set", "--agency", "gz-sthjt", "--year", "2019", "--section", "5",
            write("over.md", exact + b"b")])
gk.check(r.returncode == 2 and b"64 KiB" in r.stderr, "65,537 bytes are refused naming the limit", r.stderr)

base = "/v1/reports/gz-sthjt/2019/narrative/6"
status, _, body = agg.request("PUT", base, exact, token=TOKEN)
gk.eq(status, 200, "PUT of exactly 65,536 bytes is stored (%s)" % body[:200])
status, _, body = agg.request("GET", base, token=TOKEN)
gk.check(status == 200 and json.loads(body).get("markdown", "").encode() == exact,
         "GET gives the 65,536 bytes back exactly")
status, _, body = agg.request("PUT", base, exact + b"b", token=TOKEN)
gk.check(status == 413 and b"too_large" in body, "PUT of 65,537 bytes: 413 too_large", body[:300])

NOTE = 2000
note = "\n" * NOTE
r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", "2019", "--note", note])
gk.eq(r.returncode, 0, "a release note of exactly 2,000 bytes is taken (%s)" % r.stderr.decode()[-200:])
stored = gk.query("SELECT note FROM report_release WHERE agency = 'gz-sthjt' AND year = 2019 "
                  "ORDER BY release DESC LIMIT 1")[0][0]
gk.eq(stored, note, "the note is stored whole")
r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", "2019", "--list"])
last = r.stdout.decode().rstrip("\n").split("\n")[-1]
gk.check(r.returncode == 0 and last.endswith("\\x0a" * NOTE),
         "--list shows all 2,000 bytes of it, escaped (%d characters of note shown)"
         % (len(last.split("\t")[-1]) if "\t" in last else 0))
r = gk.run([GK, "release", "--agency", "gz-sthjt", "--year", "2019", "--note", "x" * (NOTE + 1)])
gk.check(r.returncode == 2 and b"2000 bytes" in r.stderr, "a note of 2,001 bytes is refused", r.stderr)

for year, day, want in [(1990, "1990-01-01", 200), (2100, "2100-12-31", 200),
                        (1990, "1989-12-31", 400), (2100, "2101-01-01", 400)]:
    status, _, body = agg.request("GET", "/v1/reports/gz-sthjt/%d?as_of=%s" % (year, day), token=TOKEN)
    ok = status == want and (want == 200 or b"bad_as_of" in body)
    gk.check(ok, "as_of=%s on %d: %d" % (day, year, status), body[:300])
intake.stop()
agg.stop()
gk.done()
