#!/usr/bin/python3
"""The annual report's prose (issue 14): sections 一, 五 and 六 per agency and
year, Markdown, versioned, written by `gongkai narrative set` or PUT
/v1/reports/{agency}/{year}/narrative/{section} (behind the bearer tokens,
recording the token's name), read by `show` and GET, and rendered into the
document (`gongkai document` and document.html, the same page) with raw HTML
in the text kept from the page. Bad input is refused naming the field.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402
import gkagg  # noqa: E402

GK = gk.bin_path("gongkai")
W = gk.work_dir()
TOKEN = "narrative-writer-token-0123456789"
tokens = os.path.join(W, "tokens")
with open(tokens, "w") as f:
    f.write("office %s\n" % TOKEN)

intake, agg = gkagg.seeded(env={"GONGKAI_HTTP_TOKENS": tokens})
gk.wait_for(lambda: json.loads(agg.request("GET", "/v1/reports/gz-sthjt/2019", token=TOKEN)[2]).get("name")
            == "贵州省生态环境厅", 10, "the registered name shows")


def path(name, text):
    p = os.path.join(W, name)
    with open(p, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def cli(*args, stdin=None):
    return gk.run([GK, "narrative", *args], input=stdin)


ONE = "2019年，我厅认真贯彻落实《中华人民共和国政府信息公开条例》。\n\n全年主动公开政府信息 **1200** 条。\n"
r = cli("set", "--agency", "gz-sthjt", "--year", "2019", "--section", "1", path("one.md", ONE))
gk.eq((r.returncode, r.stdout.decode()), (0, "gz-sthjt 2019 section 1: version 1\n"), "set stores version 1")
TWO = ONE + "\n<script>alert(1)</script>\n\n[链接](javascript:alert(2))\n"
r = cli("set", "--agency", "gz-sthjt", "--year", "2019", "--section", "1", "-", stdin=TWO.encode())
gk.eq((r.returncode, r.stdout.decode()), (0, "gz-sthjt 2019 section 1: version 2\n"), "set from stdin: version 2")
r = cli("show", "--agency", "gz-sthjt", "--year", "2019", "--section", "1")
gk.eq((r.returncode, r.stdout.decode()), (0, TWO), "show prints the newest version as written")
r = cli("show", "--agency", "gz-sthjt", "--year", "2019", "--section", "1", "--version", "1")
gk.eq((r.returncode, r.stdout.decode()), (0, ONE), "show --version 1 prints the first")
r = cli("show", "--agency", "gz-sthjt", "--year", "2019", "--section", "1", "--version", "3")
gk.check(r.returncode == 1 and b"no version 3" in r.stderr, "a version that does not exist is said", r.stderr)
r = cli("show", "--agency", "gz-sthjt", "--year", "2019", "--section", "6")
gk.eq((r.returncode, r.stdout), (0, b""), "a section never written shows empty")

# Bad input, each refused with exit 2 and the field named.
bad = [
    (["--section", "2"], "one.md", b"section: \"2\""),
    (["--section", "x"], "one.md", b"section: \"x\""),
    (["--agency", "GZ"], "one.md", b"agency: \"GZ\""),
    (["--year", "1989"], "one.md", b"year: \"1989\""),
    (["--year", "20x9"], "one.md", b"year: \"20x9\""),
]
for over, fname, said in bad:
    args = {"--agency": "gz-sthjt", "--year": "2019", "--section": "1"}
    args.update(dict(zip(over[::2], over[1::2])))
    flat = [x for kv in args.items() for x in kv]
    r = cli("set", *flat, os.path.join(W, fname))
    gk.check(r.returncode == 2 and said in r.stderr, "refused: %s" % " ".join(over), r.stderr)
for name, data, said in [("latin1.md", "总体".encode("gb18030"), b"not UTF-8 at byte offset 0"),
                         ("nul.md", b"ab\x00cd", b"a NUL byte at offset 2"),
                         ("big.md", b"x" * 65537, b"more than the 64 KiB")]:
    r = cli("set", "--agency", "gz-sthjt", "--year", "2019", "--section", "5", path(name, data))
    gk.check(r.returncode == 2 and said in r.stderr, "refused: %s" % name, r.stderr)
r = cli("set", "--agency", "gz-sthjt", "--year", "2019", "--section", "5", W)
gk.check(r.returncode == 2 and b"Is a directory" in r.stderr, "refused: a directory", r.stderr)
r = cli("show", "--agency", "gz-sthjt", "--year", "2019", "--section", "5")
gk.eq((r.returncode, r.stdout), (0, b""), "nothing refused was stored")

# HTTP: GET and PUT behind the tokens.
base = "/v1/reports/gz-sthjt/2019/narrative/"
status, ctype, body = agg.request("GET", base + "1", token=TOKEN)
got = json.loads(body) if status == 200 else {}
gk.eq((status, got.get("version"), got.get("markdown"), got.get("heading"), got.get("written_by", "")[:4]),
      (200, 2, TWO, "一、总体情况", "cli:"), "GET gives the newest version, its heading and writer")
status, _, body = agg.request("GET", base + "1?version=1", token=TOKEN)
gk.eq((status, json.loads(body).get("markdown")), (200, ONE), "GET ?version=1")
FIVE = "一是公开质量有待提高。\n\n二是……\n"
status, _, body = agg.request("PUT", base + "5", FIVE.encode(), token=TOKEN)
got = json.loads(body)
gk.eq((status, got.get("version"), got.get("written_by")), (200, 1, "token:office"),
      "PUT stores version 1 with the token's name")
r = cli("show", "--agency", "gz-sthjt", "--year", "2019", "--section", "5")
gk.eq(r.stdout.decode(), FIVE, "the CLI shows what was PUT")
for method, p, data, tok, want_status, want_code in [
        ("PUT", base + "5", b"x", None, 401, "unauthorized"),
        ("GET", base + "5", None, None, 401, "unauthorized"),
        ("GET", base + "7", None, TOKEN, 400, "bad_section"),
        ("PUT", base + "0", b"x", TOKEN, 400, "bad_section"),
        ("GET", "/v1/reports/GZ/2019/narrative/1", None, TOKEN, 400, "bad_agency"),
        ("GET", "/v1/reports/gz-sthjt/1989/narrative/1", None, TOKEN, 400, "bad_year"),
        ("GET", base + "1?version=9", None, TOKEN, 404, "no_version"),
        ("GET", base + "1?version=-1", None, TOKEN, 400, "bad_version"),
        ("PUT", base + "6", b"\xff\xfe", TOKEN, 400, "bad_text"),
        ("PUT", base + "6", b"a\x00b", TOKEN, 400, "bad_text"),
        ("PUT", base + "6", b"x" * 65537, TOKEN, 413, "too_large"),
        ("PUT", base + "6", b"", TOKEN, 200, None),
        ("PUT", "/v1/reports/gz-sthjt/2019", b"x", TOKEN, 405, "bad_method")]:
    status, ctype, body = agg.request(method, p, data, token=tok)
    try:
        code = json.loads(body.decode("utf-8")).get("error")
    except ValueError:
        code = body[:80]
    gk.eq((status, code), (want_status, want_code), "%s %s → %d %s" % (method, p[:60], want_status, want_code))
status, _, body = agg.request("GET", base + "6", token=TOKEN)
gk.eq((status, json.loads(body).get("version"), json.loads(body).get("markdown")), (200, 1, ""),
      "nothing refused was stored: section 六 holds only the empty text PUT (version 1)")
status, _, body = agg.request("GET", "/v1/reports/gz-sthjt/2020/narrative/6", token=TOKEN)
gk.eq((status, json.loads(body).get("version"), json.loads(body).get("markdown")), (200, 0, ""),
      "a section never written is version 0, empty")

# The document: prose rendered, raw HTML and script links kept out.
status, ctype, page = agg.request("GET", "/v1/reports/gz-sthjt/2019/document.html", token=TOKEN)
text = page.decode("utf-8")
gk.eq(status, 200, "document.html")
gk.check("<strong>1200</strong>" in text and "我厅认真贯彻落实" in text, "section 一's Markdown is rendered")
gk.check("一是公开质量有待提高" in text, "section 五 is in")
gk.check("<script" not in text and "javascript:" not in text, "no raw HTML or script link from the text",
         text[text.find("prose"):][:600])
i1, i2, i5 = text.find("一、总体情况"), text.find("二、主动公开"), text.find("一是公开质量")
gk.check(0 < i1 < text.find("我厅认真") < i2 < text.find("五、存在的主要问题") < i5,
         "each prose section under its own heading")
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2019"])
gk.eq((r.returncode, r.stdout), (0, page), "gongkai document prints the same page (from the database)")
r = gk.run([GK, "document", "--agency", "gz-sthjt", "--year", "2101"])
gk.check(r.returncode == 2 and b"year: \"2101\"" in r.stderr, "gongkai document: a bad year is named", r.stderr)

# Without tokens the prose can be read but not written.
gk.check(agg.stop() == 0, "the aggregator stops cleanly")
open_agg = gkagg.Aggregator().start()
status, _, body = open_agg.request("PUT", base + "5", b"x")
gk.eq((status, json.loads(body).get("error")), (403, "writes_need_tokens"), "PUT without tokens configured: 403")
status, _, body = open_agg.request("GET", base + "5")
gk.eq((status, json.loads(body).get("markdown")), (200, FIVE), "GET still answers")
gk.check(open_agg.stop() == 0, "that aggregator stops cleanly")
intake.stop()
gk.done()
