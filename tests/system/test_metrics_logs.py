"""test_metrics_logs — /metrics and the logs (issue 7).

/metrics is accepted by Prometheus's own checker (`promtool check metrics`)
and carries what operators watch: events by status and rejection code, batch
sizes, commit latency and end-to-end lag as histograms, applied and head
sequence, connected publishers (intake's figures arrive with its heartbeat).
The logs are logfmt with a level, a few lines per run at the default level
whatever the number of events, and --log-level works on both services.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gk  # noqa: E402

HTTP = gk.env("GONGKAI_HTTP")
SAMPLE = os.path.join(gk.REPO, "deploy", "sample-events.jsonl")
SAMPLE_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def get(path):
    with urllib.request.urlopen(f"http://{HTTP}{path}", timeout=10) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")


def scrape():
    """/metrics as (text, {name{labels}: value})."""
    status, ctype, text = get("/metrics")
    if status != 200:
        gk.fatal(f"/metrics answered {status}")
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_LINE.match(line)
        if not m:
            gk.fatal(f"/metrics: not a sample line: {line!r}")
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return text, samples


def start_aggregator(name, *flags):
    log = os.path.join(gk.work_dir(), name + ".log")
    p = gk.spawn([gk.bin_path("gongkai-aggregator"), *flags], name + ".log")

    def ready():  # /healthz, not the log: --log-level warn hides "aggregator ready"
        if p.poll() is not None:
            gk.fatal(f"gongkai-aggregator exited {p.returncode}; see {log}")
        try:
            return get("/healthz")[0] == 200
        except OSError:
            return False

    gk.wait_for(ready, 60, f"aggregator ready ({log})")
    return p, log


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def main():
    promtool = shutil.which("promtool")
    if not promtool:
        gk.fatal("promtool is not installed (Debian package prometheus; deploy/install-deps.sh)")
    intake = gk.Intake().start()
    agg, agg_log = start_aggregator("aggregator")

    # A publisher that stays connected: counted by the socket monitor.
    client = gk.Client()
    acks = client.submit([gk.entry_json(1, '{"event_id": "m-1", "type": "no_such_type"}')])
    gk.eq(gk.status_name(acks[0].status), "REJECTED", "a bad event is rejected")
    rc, out, err = gk.publish([SAMPLE])
    gk.eq(out.strip().splitlines()[-1], "accepted 356, duplicate 5, rejected 0", "sample published")
    bad = os.path.join(gk.work_dir(), "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"event_id": "m-2", "type": "application_received", "agency": "gz-sthjt"}\n')
        f.write("not json\n")
    gk.publish([bad])

    def settled():
        _, s = scrape()
        return (s.get("gongkai_aggregator_applied_seq") == 356
                and s.get('gongkai_intake_events_total{status="rejected"}') == 3
                and s.get("gongkai_intake_publishers_connected") == 1) and s

    s = gk.wait_for(settled, 15, "metrics show the sample applied, 3 rejections, 1 publisher connected",
                    interval=0.2)
    text, s = scrape()
    path = os.path.join(gk.work_dir(), "metrics.txt")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
    gk.check(r.returncode == 0, "promtool check metrics accepts /metrics",
             (r.stdout + r.stderr).decode())
    ctype = get("/metrics")[1]
    gk.check(ctype.startswith("text/plain; version=0.0.4"), "Prometheus text content type", ctype)

    gk.eq(s.get('gongkai_intake_events_total{status="accepted"}'), 356.0, "intake: accepted by status")
    gk.eq(s.get('gongkai_intake_events_total{status="duplicate"}'), 5.0, "intake: duplicate by status")
    codes = {k: v for k, v in s.items() if k.startswith("gongkai_intake_rejections_total{")}
    gk.eq(sum(codes.values()), 3.0, "intake: rejections by code add up to the rejected events")
    gk.check(len(codes) >= 2, "intake: rejections carry their codes", codes)
    gk.eq(s.get("gongkai_intake_up"), 1.0, "intake's heartbeat is current")
    gk.eq(s.get("gongkai_intake_head_seq"), 356.0, "head sequence")
    gk.eq(s.get("gongkai_aggregator_head_seq"), 356.0, "aggregator's head sequence")
    gk.eq(s.get("gongkai_aggregator_lag_events"), 0.0, "lag 0")
    for h in ("gongkai_intake_batch_events", "gongkai_intake_commit_seconds",
              "gongkai_aggregator_batch_events", "gongkai_aggregator_commit_seconds",
              "gongkai_aggregator_e2e_lag_seconds"):
        gk.check(f"# TYPE {h} histogram" in text, f"{h} is a histogram")
        gk.check(s.get(f"{h}_count", 0) >= 1 and s.get(f'{h}_bucket{{le="+Inf"}}') == s.get(f"{h}_count"),
                 f"{h} has observations, +Inf bucket = count")
    gk.eq(s.get("gongkai_intake_batch_events_sum"), 356.0, "intake's batch sizes add up to the events")
    gk.eq(s.get("gongkai_aggregator_events_applied_total"), 356.0, "aggregator applied each event once")
    gk.check(s.get("gongkai_aggregator_e2e_lag_seconds_count", 0) > 0,
             "end-to-end lag observed for events that came by the feed")

    client.close()
    gk.wait_for(lambda: scrape()[1].get("gongkai_intake_publishers_connected") == 0, 10,
                "publisher count back to 0 after the client disconnected", interval=0.2)

    # Intake restarts: counted, its counters start again, the aggregator says so once.
    gk.eq(intake.stop(), 0, "intake stops cleanly")
    gk.wait_for(lambda: scrape()[1].get("gongkai_intake_up") == 0, 15,
                "gongkai_intake_up 0 while intake is down", interval=0.5)
    intake = gk.Intake().start()
    gk.wait_for(lambda: scrape()[1].get("gongkai_intake_restarts_total") == 1, 10,
                "gongkai_intake_restarts_total 1", interval=0.2)
    s = scrape()[1]
    gk.eq(s.get('gongkai_intake_events_total{status="accepted"}'), 0.0, "a new intake counts from zero")
    gk.eq(s.get("gongkai_intake_up"), 1.0, "intake up again")
    alog = read(agg_log)
    gk.check('msg="no heartbeat from intake' in alog, "aggregator warned when the heartbeat stopped")
    gk.check('msg="intake heartbeat back"' in alog and 'msg="intake restarted"' in alog,
             "aggregator noted the heartbeat back and the restart")
    gk.eq(intake.stop(), 0, "intake stops cleanly again")
    agg.terminate()
    gk.eq(agg.wait(timeout=15), 0, "aggregator stops cleanly")

    # Logs: logfmt with a level, a handful of lines for 361 events.
    logfmt = re.compile(r'^ts=\S+Z level=(debug|info|warn|error) msg="[^"]*"( |$)')
    for path in [intake.log, agg_log]:
        lines = read(path).splitlines()
        bad_lines = [line for line in lines if not logfmt.match(line)]
        gk.check(not bad_lines, f"{os.path.basename(path)}: every line is logfmt with a level", bad_lines[:3])
        gk.check(len(lines) < 20, f"{os.path.basename(path)}: {len(lines)} lines, none per event", lines)
    first = read(os.path.join(gk.work_dir(), "intake.1.log"))
    gk.check(len(first.splitlines()) < 20 and "level=debug" not in first,
             "intake at the default level: no per-event or debug lines")

    # --log-level: debug shows the batches, warn hides the info lines.
    intake = gk.Intake()
    intake.start()
    agg, log_warn = start_aggregator("aggregator-warn", "--log-level", "warn")
    gk.publish([SAMPLE])
    gk.eq(intake.stop(), 0, "intake stops")
    agg.terminate()
    agg.wait(timeout=15)
    gk.check("level=info" not in read(log_warn), "aggregator --log-level warn: no info lines")
    p = gk.spawn([gk.bin_path("gongkai-intake"), "--log-level", "debug"], "intake-debug.log")
    dlog = os.path.join(gk.work_dir(), "intake-debug.log")
    gk.wait_for(lambda: "intake ready" in read(dlog), 30, "debug intake ready")
    one = os.path.join(gk.work_dir(), "one.jsonl")
    with open(one, "w") as f:
        f.write(json.dumps({"event_id": "m-3", "type": "application_received", "agency": "gz-sthjt",
                            "occurred_at": "2020-03-02T10:00:00+08:00", "application_id": "m-app-3",
                            "applicant": "natural_person"}) + "\n")
    gk.publish([one])
    p.terminate()
    gk.eq(p.wait(timeout=15), 0, "debug intake stops")
    gk.check('level=debug msg="batch committed"' in read(dlog), "intake --log-level debug: batches logged")
    r = subprocess.run([gk.bin_path("gongkai-intake"), "--log-level", "loud"], capture_output=True)
    gk.eq(r.returncode, 2, "an unknown --log-level is a usage error")
    gk.done()


if __name__ == "__main__":
    main()
