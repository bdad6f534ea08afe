#!/usr/bin/env bash
# test_agg_restart — issue 3, acceptance 3: the aggregator stops, dies and starts
# in every order relative to intake and the events, and always ends where a
# fresh recomputation from the log (gongkai verify) says it must.
#
#   A. SIGTERM (exit 0), publish more while it is down, start: it rebuilds to its
#      stored cursor, catches up from the log, applies each event once.
#   B. SIGKILL while events are being published and applied; restart.
#   C. SIGKILL inside its first catch-up transaction at start (held on a row
#      lock); restart: the metrics that transaction wrote count nowhere.
#   D. Start it before intake exists (another database), then intake, then publish.
#   E. Publish first (another database), then start it.
#   F. A checkpoint past the cursor, and no checkpoint at all: ignored, replayed.
# Each ends with the fixture's reports equal to expected-2019/2020.json and
# `gongkai verify` exiting 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agg.sh"

FIX=$GONGKAI_SHARED/fixtures/guizhou-eco-2019
W=$GONGKAI_WORK
[ -f "$GK_FIXTURE" ] || gk_fail "fixture missing: $GK_FIXTURE"
head -n 200 "$GK_FIXTURE" >"$W/fixture-a.jsonl"
tail -n +201 "$GK_FIXTURE" >"$W/fixture-b.jsonl"
agg_py gen 3000 11 rs1 >"$W/gen1.jsonl"
agg_py gen 20000 12 rs2 >"$W/gen2.jsonl"
agg_py gen 25000 13 rs3 >"$W/gen3.jsonl"

# publish FILE WHAT: gongkai publish, nothing rejected.
publish() {
    local out rc=0
    out=$(timeout 180 "$GK" publish "$1" 2>"$W/publish.err") || rc=$?
    [ "$rc" = 0 ] || gk_fail "$2: gongkai publish exited $rc: $(tail -3 "$W/publish.err") $out"
    gk_match '^accepted [0-9]+, duplicate [0-9]+, rejected 0$' "$(tail -1 <<<"$out")" "$2: published, nothing rejected"
}

# fixture_reports WHAT: the fixture's two reports equal the expected files.
fixture_reports() {
    local y d
    for y in 2019 2020; do
        http_get "/v1/reports/gz-sthjt/$y"
        [ "$HTTP_STATUS" = 200 ] || gk_fail "$1: GET gz-sthjt/$y: $HTTP_STATUS"
        d=$(agg_py subset "$FIX/expected-$y.json" "$HTTP_FILE") ||
            gk_fail "$1: gz-sthjt $y differs from expected-$y.json:"$'\n'"$d"
    done
    gk_ok "$1: gz-sthjt 2019 and 2020 equal expected-2019.json and expected-2020.json"
}

# verified WHAT: gongkai verify exits 0 with no difference.
verified() {
    agg_verify
    [ "$VERIFY_RC" = 0 ] || gk_fail "$1: gongkai verify exited $VERIFY_RC:"$'\n'"$VERIFY_OUT"
    gk_match '^0 differences$' "$VERIFY_OUT" "$1: gongkai verify exits 0, no difference"
}

metric() { # NAME: its value on /metrics
    curl -sS --max-time 5 "http://$GONGKAI_HTTP/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

cursor() { gk_sql "SELECT applied_seq FROM agg_cursor"; }

# ---- A. SIGTERM, publish while down, start again ---------------------------------------------
intake_start
aggregator_start
publish "$W/fixture-a.jsonl" "A: first 200 lines of the fixture"
agg_wait_caught_up 60
N1=$(agg_log_head)
aggregator_stop
gk_ok "A: aggregator stopped on SIGTERM with exit 0"
gk_match "msg=\"aggregator stopping\" applied_seq=$N1\$" "$(cat "$AGG_LOG")" "A: it logged applied_seq=$N1 as it stopped"
gk_eq "$N1" "$(cursor)" "A: agg_cursor holds $N1"

publish "$W/fixture-b.jsonl" "A: rest of the fixture, aggregator down"
publish "$W/gen1.jsonl" "A: 3000 generated events, aggregator down"
HEAD=$(agg_log_head)
aggregator_start
gk_match "msg=\"state rebuilt from the event log\" applied_seq=$N1\$" "$(cat "$AGG_LOG")" \
    "A: restart rebuilt memory up to the stored cursor $N1 without writing"
agg_wait_caught_up 60
gk_ok "A: caught up from the log to $HEAD"
gk_eq "$((HEAD - N1))" "$(metric gongkai_aggregator_events_applied_total)" \
    "A: the restarted aggregator applied exactly the $((HEAD - N1)) events it had not applied"
[ "$(metric gongkai_aggregator_catchups_total)" -ge 1 ] || gk_fail "A: catchups_total did not move"
gk_ok "A: catchups_total >= 1"
fixture_reports A
verified A

# ---- B. SIGKILL while events are published and applied -------------------------------------
START=$(agg_log_head)
gk_spawn PUB2 timeout 180 "$GK" publish "$W/gen2.jsonl"
applied_moved() { [ "$(cut -d' ' -f1 <<<"$(agg_health)")" -gt "$START" ] 2>/dev/null; }
gk_wait 60 "B: the aggregator applies some of the 20000 events" applied_moved
aggregator_kill
gk_note "B: SIGKILL at agg_cursor $(cursor), log head $(agg_log_head)"
RC=0
wait "$PUB2" || RC=$? # bounded: gk_spawn ran it under timeout 180
gk_eq 0 "$RC" "B: publish of 20000 events exits 0 (the aggregator's death does not concern intake)"
gk_match '^accepted 20000, duplicate 0, rejected 0$' "$(tail -1 "$W/PUB2.log")" "B: 20000 accepted"
C=$(cursor)
aggregator_start
gk_match "msg=\"state rebuilt from the event log\" applied_seq=$C\$" "$(cat "$AGG_LOG")" \
    "B: restart rebuilt memory to the committed cursor $C"
agg_wait_caught_up 90
gk_ok "B: caught up to $(agg_log_head) after SIGKILL"
fixture_reports B
verified B

# ---- C. SIGKILL inside the catch-up's transaction ---------------------------------------------
# A psql session holds agg_cursor's row lock, so the aggregator's first catch-up
# transaction writes its agg_metric rows and then waits on the cursor update:
# SIGKILL lands inside an open transaction, deterministically.
aggregator_stop
C0=$(cursor)
publish "$W/gen3.jsonl" "C: 25000 events while the aggregator is down"
HEAD=$(agg_log_head)
mkfifo "$W/lock.fifo"
exec 7<>"$W/lock.fifo"
gk_psql <"$W/lock.fifo" >"$W/locker.log" 2>&1 7>&- & # 7>&-: EOF once we close it
LOCKER=$!
gk_track "$LOCKER"
echo "BEGIN; SELECT applied_seq FROM agg_cursor WHERE id = 1 FOR UPDATE;" >&7
locked() { [ "$(gk_sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.pid <> pg_backend_pid() AND l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND a.application_name = 'psql'")" -ge 1 ]; }
gk_wait 30 "C: psql holds agg_cursor's row lock" locked
# Started without waiting for "ready": it catches up before it says so.
GK_AGG_N=$((GK_AGG_N + 1))
AGG_LOG=$W/aggregator.$GK_AGG_N.log
"$GONGKAI_BIN/gongkai-aggregator" >"$AGG_LOG" 2>&1 7>&- &
AGG_PID=$!
gk_track "$AGG_PID"
blocked() { [ "$(gk_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gongkai-aggregator' AND wait_event_type = 'Lock'")" = 1 ]; }
gk_wait 60 "C: the aggregator's catch-up transaction waits on agg_cursor" blocked
gk_eq 0 "$(grep -c 'aggregator ready' "$AGG_LOG" || true)" "C: it is still catching up (not ready)"
aggregator_kill
echo "COMMIT;" >&7
exec 7>&-
RC=0
wait "$LOCKER" || RC=$?
gk_eq 0 "$RC" "C: the locking psql session committed and ended"
C1=$(cursor)
gk_eq "$C0" "$C1" "C: SIGKILL inside the transaction: nothing of it committed, agg_cursor still $C0"
aggregator_start
gk_match "msg=\"state rebuilt from the event log\" applied_seq=$C1\$" "$(cat "$AGG_LOG")" \
    "C: restart rebuilt memory to the committed cursor $C1"
agg_wait_caught_up 90
gk_eq "$((HEAD - C1))" "$(metric gongkai_aggregator_events_applied_total)" \
    "C: the restarted aggregator applied exactly the $((HEAD - C1)) events after the cursor"
fixture_reports C
verified C

# ---- F. a checkpoint it must not trust, or none -------------------------------------------------
# On SIGTERM the aggregator stores its memory in agg_checkpoint (a cache of the
# log). One past the cursor must be ignored and the log replayed; so must a
# missing one. Either way: the same state, nothing applied twice.
aggregator_stop
C2=$(cursor)
gk_eq "$C2" "$(gk_sql "SELECT seq FROM agg_checkpoint")" "F: SIGTERM left a checkpoint at the cursor $C2"
gk_sql "UPDATE agg_checkpoint SET seq = seq + 1000" >/dev/null
aggregator_start
gk_match 'checkpoint unusable' "$(cat "$AGG_LOG")" "F: a checkpoint past the cursor is not used"
gk_match "msg=\"state rebuilt from the event log\" applied_seq=$C2\$" "$(cat "$AGG_LOG")" \
    "F: memory rebuilt from the whole log to the cursor $C2"
agg_wait_caught_up 60
gk_eq 0 "$(metric gongkai_aggregator_events_applied_total)" "F: nothing applied again"
gk_eq "$C2" "$(cursor)" "F: agg_cursor unchanged"
fixture_reports F1
verified F1
aggregator_stop
gk_sql "DELETE FROM agg_checkpoint" >/dev/null
aggregator_start
gk_match "msg=\"state rebuilt from the event log\" applied_seq=$C2\$" "$(cat "$AGG_LOG")" \
    "F: without a checkpoint, memory rebuilt from the whole log"
agg_wait_caught_up 60
gk_eq 0 "$(metric gongkai_aggregator_events_applied_total)" "F: nothing applied again"
fixture_reports F2
verified F2
aggregator_stop
intake_stop
gk_ok "A-C, F: both processes stopped cleanly"

# ---- D. aggregator before intake exists ---------------------------------------------------------
export GONGKAI_DB
GONGKAI_DB=$(agg_new_database "${PGDATABASE:-agg}_before")
aggregator_start
gk_match 'applied_seq=0' "$(grep 'aggregator ready' "$AGG_LOG")" "D: aggregator ready with no intake and an empty log"
http_get /healthz
gk_eq "0 0 0" "$(jq -r '"\(.applied_seq) \(.head_seq) \(.lag)"' "$HTTP_FILE")" "D: healthz 0/0/0 before anything exists"
intake_start
publish "$GK_FIXTURE" "D: fixture, after intake started"
publish "$W/gen1.jsonl" "D: 3000 generated events"
agg_wait_caught_up 60
gk_eq 3356 "$(agg_log_head)" "D: the log holds 3356 events"
fixture_reports D
verified D
http_get /v1/reports/rs1-never/2019
gk_eq 200 "$HTTP_STATUS" "D: still serving"
aggregator_stop
intake_stop

# ---- E. events first, then the aggregator ---------------------------------------------------
GONGKAI_DB=$(agg_new_database "${PGDATABASE:-agg}_after")
intake_start
publish "$GK_FIXTURE" "E: fixture, no aggregator yet"
publish "$W/gen1.jsonl" "E: 3000 generated events, no aggregator yet"
aggregator_start
gk_match 'msg="aggregator ready".*applied_seq=3356' "$(cat "$AGG_LOG")" \
    "E: the aggregator caught up from the log before it said ready"
agg_wait_caught_up 60
fixture_reports E
verified E
# D and E hold the same events: their aggregators serve the same reports.
for y in 2018 2019 2020 2021 2022; do
    for a in gz-sthjt gen-a gen-b gen-c; do
        http_get "/v1/reports/$a/$y?case_rule=handled"
        jq -S 'del(.as_of, .final)' "$HTTP_FILE" >"$W/E-$a-$y.json"
    done
done
aggregator_stop
GONGKAI_DB_E=$GONGKAI_DB
GONGKAI_DB=${GONGKAI_DB_E%_after}_before
aggregator_start
agg_wait_caught_up 60
same=1
for y in 2018 2019 2020 2021 2022; do
    for a in gz-sthjt gen-a gen-b gen-c; do
        http_get "/v1/reports/$a/$y?case_rule=handled"
        if [ "$(jq -S 'del(.as_of, .final)' "$HTTP_FILE")" != "$(cat "$W/E-$a-$y.json")" ]; then
            same=0
            gk_note "D/E differ: $a $y"
        fi
    done
done
gk_eq 1 "$same" "D (aggregator first) and E (events first) serve identical reports, 20 of them"
aggregator_stop
intake_stop
gk_ok "all processes stopped cleanly"
