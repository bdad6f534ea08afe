#!/usr/bin/env bash
# test_kill_intake — issue 2, acceptance 5: SIGKILL intake (three times, at
# random moments) while `gongkai publish` sends 30,000 generated events
# (gen_events.py, fixed seed); restart it each time; the publisher finishes
# with exit 0 and every event is in the log exactly once, seq 1..N without a
# gap, with the content that was sent. The kill moments are random (seeded;
# the seed is printed: GK_KILL_SEED=... repeats the choice of moments).
. "$(dirname "$0")/lib.sh"

COUNT=${GK_KILL_COUNT:-30000}
SEED=${GK_KILL_SEED:-$((RANDOM * 32768 + RANDOM))}
gk_note "events: $COUNT (gen_events.py --seed 20190101), kill moments: RANDOM seed $SEED"
RANDOM=$SEED

EVENTS=$GONGKAI_WORK/events.jsonl
/usr/bin/python3 "$GK_REPO/tests/system/gen_events.py" --seed 20190101 --count "$COUNT" >"$EVENTS"
LINES=$(wc -l <"$EVENTS")
DISTINCT=$(/usr/bin/python3 -c '
import json, sys
print(len({json.loads(l)["event_id"] for l in open(sys.argv[1]) if l.strip()}))' "$EVENTS")
gk_note "$LINES lines, $DISTINCT distinct events"
[ "$DISTINCT" -gt 3000 ] || gk_fail "the generator made only $DISTINCT distinct events"

intake_start

# The publisher reads the events from a pipe at full speed with its default
# window, so intake is busy all along and a kill lands in the middle of
# batches being validated, committed and acknowledged. The pipe's writer
# holds back the last line until the three kills are done: the publisher
# cannot finish early, however fast the machine. Each kill comes when the log
# has passed a random point of its third of the stream.
WINDOW=2000
FIFO=$GONGKAI_WORK/feed
mkfifo "$FIFO"
head -n $((LINES - 1)) "$EVENTS" >"$GONGKAI_WORK/events.head"
tail -n 1 "$EVENTS" >"$GONGKAI_WORK/events.tail"
GO=$GONGKAI_WORK/go
writer() {
    cat "$GONGKAI_WORK/events.head"
    local i=0
    while [ ! -e "$GO" ]; do
        i=$((i + 1))
        [ "$i" -le 3000 ] || { echo "writer: no go within 150 s" >&2; exit 1; }
        sleep 0.05
    done
    cat "$GONGKAI_WORK/events.tail"
}
writer >"$FIFO" 2>"$GONGKAI_WORK/writer.err" &
WRITER_PID=$!
gk_track "$WRITER_PID"

PUB_OUT=$GONGKAI_WORK/publish.out
PUB_ERR=$GONGKAI_WORK/publish.err
"$GK" publish --window "$WINDOW" --timeout 120 <"$FIFO" >"$PUB_OUT" 2>"$PUB_ERR" &
PUB_PID=$!
gk_track "$PUB_PID"

# Events surely committed before the held-back line: publish reads ahead up
# to a window of lines before sending them, so the last window may wait.
SURE=$(/usr/bin/python3 -c '
import json, sys
n = int(sys.argv[2])
print(len({json.loads(l)["event_id"] for l in open(sys.argv[1]).readlines()[:n]}))' \
    "$EVENTS" $((LINES - 1 - WINDOW)))
third=$(((SURE - 200) / 3))
gk_note "kills after random points of seq 200..$SURE"
head_seq() { gk_sql "SELECT coalesce(max(seq), 0) FROM event_log"; }
reached() {
    intake_alive
    [ "$(head_seq)" -ge "$target" ]
}
for k in 0 1 2; do
    target=$((200 + k * third + (RANDOM * 32768 + RANDOM) % third))
    gk_wait 120 "the log to reach seq $target" reached
    if ! kill -0 "$PUB_PID" 2>/dev/null; then
        cat "$PUB_OUT" "$PUB_ERR"
        gk_fail "publish ended before kill $((k + 1)), with its input still open"
    fi
    intake_kill
    gk_ok "kill $((k + 1)): SIGKILL intake once the log passed seq $target (head now $(head_seq)); publish still running"
    intake_start
    gk_ok "kill $((k + 1)): intake restarted: $(grep -o 'head_seq=[0-9]*' "$INTAKE_LOG")"
done
touch "$GO"

wait_done() {
    intake_alive
    ! kill -0 "$PUB_PID" 2>/dev/null
}
gk_wait 180 "publish to finish" wait_done
PUB_RC=0
wait "$PUB_PID" || PUB_RC=$?
WRITER_RC=0
wait "$WRITER_PID" || WRITER_RC=$?
gk_eq 0 "$WRITER_RC" "the writer fed every line"
if [ "$PUB_RC" != 0 ]; then
    tail -n 20 "$PUB_ERR"
fi
gk_eq 0 "$PUB_RC" "publish finished with exit 0"
last=$(tail -n 1 "$PUB_OUT")
gk_match '^accepted [0-9]+, duplicate [0-9]+, rejected 0$' "$last" "publish: nothing rejected"
read -r acc dup < <(sed -E 's/^accepted ([0-9]+), duplicate ([0-9]+), .*/\1 \2/' <<<"$last")
gk_eq "$LINES" "$((acc + dup))" "publish: every line acknowledged once ($acc accepted + $dup duplicate)"
FILE_DUPS=$((LINES - DISTINCT))
gk_note "publisher: $(grep -c 'reconnecting and resending' "$PUB_ERR" || true) resends after losing intake;" \
    "$((dup - FILE_DUPS)) events committed by a killed intake before it could acknowledge them"

gk_eq "$DISTINCT|$DISTINCT|1|$DISTINCT" \
    "$(gk_sql "SELECT count(*), count(DISTINCT event_id), min(seq), max(seq) FROM event_log")" \
    "event_log: $DISTINCT events, each event_id once, seq 1..$DISTINCT without a gap"

/usr/bin/python3 -c '
import json, sys
seen = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event_id"] not in seen:
        seen.add(e["event_id"])
        print("%s|%s|%s" % (e["event_id"], e["type"], e["agency"]))' "$EVENTS" | sort >"$GONGKAI_WORK/want"
gk_sql "SELECT event_id || '|' || type || '|' || agency FROM event_log" | sort >"$GONGKAI_WORK/got"
if ! diff "$GONGKAI_WORK/want" "$GONGKAI_WORK/got" >"$GONGKAI_WORK/diff"; then
    head -20 "$GONGKAI_WORK/diff"
    gk_fail "event_log and the generated events differ"
fi
gk_ok "event_log holds exactly the generated events (event_id, type, agency)"

# Same content, too: everything again is all duplicate, none a conflict.
RC=0
timeout 120 "$GK" publish "$EVENTS" >"$GONGKAI_WORK/replay.out" 2>"$GONGKAI_WORK/replay.err" || RC=$?
gk_eq 0 "$RC" "publishing the whole file again exits 0"
gk_eq "accepted 0, duplicate $LINES, rejected 0" "$(tail -n 1 "$GONGKAI_WORK/replay.out")" \
    "publishing the whole file again: all duplicate (same content, no conflict)"
gk_eq 0 "$(gk_sql "SELECT count(*) FROM rejection")" "no rejection stored"
intake_stop
gk_ok "intake stopped"
