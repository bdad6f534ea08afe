#!/usr/bin/env bash
# test_intake_fixture — issue 2, acceptance 2, with real processes and sockets:
# the Guizhou fixture through `gongkai publish` into gongkai-intake into
# PostgreSQL; counts, the gap-free log, restart, `gongkai rejects`, and the
# exit codes of publish (0 / 1 rejected / 2 usage or unreachable).
. "$(dirname "$0")/lib.sh"

[ -f "$GK_FIXTURE" ] || gk_fail "fixture missing: $GK_FIXTURE"
OUT=$GONGKAI_WORK/out
ERR=$GONGKAI_WORK/err

# publish ARGS...: runs gongkai publish; PUB_RC, PUB_OUT (stdout), PUB_ERR (stderr).
publish() {
    PUB_RC=0
    timeout 120 "$GK" publish "$@" >"$OUT" 2>"$ERR" || PUB_RC=$?
    PUB_OUT=$(cat "$OUT")
    PUB_ERR=$(cat "$ERR")
}

intake_start

gk_eq "" "$("$GK" rejects)" "gongkai rejects on a fresh log lists nothing"

# --- the fixture, twice -------------------------------------------------------------
publish "$GK_FIXTURE"
gk_eq 0 "$PUB_RC" "first publish of the fixture exits 0"
gk_eq "accepted 356, duplicate 5, rejected 0" "$PUB_OUT" "first publish prints exactly the counts"
gk_eq "" "$PUB_ERR" "first publish writes nothing on stderr"

publish "$GK_FIXTURE"
gk_eq 0 "$PUB_RC" "second publish exits 0"
gk_eq "accepted 0, duplicate 361, rejected 0" "$PUB_OUT" "second publish: everything duplicate"

gk_eq "356|1|356|356|356" \
    "$(gk_sql "SELECT count(*), min(seq), max(seq), count(DISTINCT seq), count(DISTINCT event_id) FROM event_log")" \
    "event_log holds 356 events numbered 1..356, no gap, one per event_id"

# The log holds exactly the fixture's distinct event_ids, in first-seen order.
/usr/bin/python3 - "$GK_FIXTURE" >"$GONGKAI_WORK/fixture-ids" <<'EOF'
import json, sys
seen = []
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        i = json.loads(line)["event_id"]
        if i not in seen:
            seen.append(i)
print("\n".join(seen))
EOF
gk_sql "SELECT event_id FROM event_log ORDER BY seq" >"$GONGKAI_WORK/log-ids"
if ! diff -u "$GONGKAI_WORK/fixture-ids" "$GONGKAI_WORK/log-ids" >"$GONGKAI_WORK/ids.diff"; then
    head -20 "$GONGKAI_WORK/ids.diff"
    gk_fail "event_log's event_ids (in seq order) differ from the fixture's (first-seen order)"
fi
gk_ok "event_log holds the fixture's event_ids in file order"

gk_eq 0 "$(gk_sql "SELECT count(*) FROM event_log WHERE event->>'event_id' <> event_id OR length(body) = 0")" \
    "every row carries its event as JSON and as canonical protobuf"
gk_eq 0 "$(gk_sql "SELECT count(*) FROM rejection")" "no rejection stored"

# --- from stdin, and after a restart (intake reloads its index from the log) ----
intake_stop
gk_match 'msg="intake stopping".*accepted=356 duplicate=366 rejected=0 head_seq=356' \
    "$(cat "$INTAKE_LOG")" "intake stops cleanly on SIGTERM and logs its counts"
intake_start
gk_match 'head_seq=356 events=356' "$(grep 'intake ready' "$INTAKE_LOG")" \
    "restarted intake loaded the 356 events of the log"
PUB_RC=0
timeout 120 "$GK" publish <"$GK_FIXTURE" >"$OUT" 2>"$ERR" || PUB_RC=$?
gk_eq 0 "$PUB_RC" "publish from stdin exits 0"
gk_eq "accepted 0, duplicate 361, rejected 0" "$(cat "$OUT")" \
    "after a restart, the fixture from stdin is all duplicate"
gk_eq 356 "$(gk_sql "SELECT count(*) FROM event_log")" "still 356 events"

# --- rejections: exit 1, one stderr line each, listed by gongkai rejects ------
BAD=$GONGKAI_WORK/bad.jsonl
{
    echo '{"event_id":"fx-bad-1","type":"application_received",'
    echo ''
    echo '{"event_id":"fx-ok-1","type":"fee_collected","agency":"gz-sthjt","occurred_at":"2019-05-01T09:00:00+08:00","amount_fen":1200}'
    echo '{"event_id":"fx-bad-2","type":"fee_collected","agency":"gz-sthjt","occurred_at":"2019-05-01T09:00:00+08:00","amount_fen":0}'
    echo '{"event_id":"gz-sthjt-00001","type":"document_issued","agency":"gz-sthjt","occurred_at":"2013-03-26T11:31:00+08:00","document_id":"rule-00","document_kind":"rule"}'
} >"$BAD"
publish "$BAD"
gk_eq 1 "$PUB_RC" "publish exits 1 when something was rejected"
gk_eq "accepted 1, duplicate 0, rejected 3" "$PUB_OUT" "counts with rejections"
gk_eq 3 "$(wc -l <"$ERR")" "one stderr line per rejection"
gk_match '^line 1: -: bad_json: line: ' "$(sed -n 1p "$ERR")" \
    "malformed JSON is a rejection of its line: line N: EVENT_ID: CODE: message"
gk_match '^line 4: fx-bad-2: bad_value: amount_fen: 0 ' "$(sed -n 2p "$ERR")" \
    "bad value: line number, event_id, code, message naming field and value"
gk_match '^line 5: gz-sthjt-00001: conflict: event_id: "gz-sthjt-00001" was accepted as seq 1 ' \
    "$(sed -n 3p "$ERR")" "reused event_id with other content: conflict naming the seq"
gk_eq 357 "$(gk_sql "SELECT max(seq) FROM event_log")" "the valid line between them was committed as seq 357"

"$GK" rejects >"$OUT" 2>"$ERR" || gk_fail "gongkai rejects exited $?: $(cat "$ERR")"
gk_eq 3 "$(wc -l <"$OUT")" "gongkai rejects lists the 3 rejections"
gk_match $'^[0-9-]{10}T[0-9:]{8}Z\t127\\.0\\.0\\.1/[0-9a-f]+\t-\tgz-sthjt-00001\tconflict\tevent_id: ' \
    "$(sed -n 1p "$OUT")" "newest first: time, peer, identity, event_id, code, message"
gk_match $'\t-\tbad_json\tline: ' "$(sed -n 3p "$OUT")" "the oldest (the malformed line) last"
gk_eq 1 "$("$GK" rejects --limit 1 | wc -l)" "gongkai rejects --limit 1 lists one"
RC=0
"$GK" rejects --limit 0 >/dev/null 2>&1 || RC=$?
gk_eq 2 "$RC" "gongkai rejects --limit 0 is a usage error (exit 2)"
gk_eq '{"event_id":"fx-bad-1","type":"application_received",' \
    "$(gk_sql "SELECT convert_from(raw, 'UTF8') FROM rejection WHERE code = 'bad_json'")" \
    "the malformed line's raw bytes are kept"

# --- exit 2: usage errors and an unreachable endpoint -------------------------------
publish --no-such-option "$GK_FIXTURE"
gk_eq 2 "$PUB_RC" "publish with an unknown option exits 2"
publish --window 0 "$GK_FIXTURE"
gk_eq 2 "$PUB_RC" "publish --window 0 exits 2"
publish "$GONGKAI_WORK/no-such-file.jsonl"
gk_eq 2 "$PUB_RC" "publish of a missing file exits 2"

# Nothing listens on GONGKAI_QUERY's port (no aggregator in this test).
publish --endpoint "$GONGKAI_QUERY" --timeout 2 "$GK_FIXTURE"
gk_eq 2 "$PUB_RC" "publish to an unreachable endpoint exits 2 after --timeout"
gk_eq "accepted 0, duplicate 0, rejected 0" "$(tail -n 1 "$OUT")" \
    "unreachable endpoint: the counts line is still the last line"
gk_match 'no acknowledgement' "$PUB_ERR" "unreachable endpoint: says why on stderr"

gk_eq 357 "$(gk_sql "SELECT count(*) FROM event_log")" "the log is unchanged by the failed runs"
intake_stop
gk_ok "intake stopped"
