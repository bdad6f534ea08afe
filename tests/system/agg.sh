# shellcheck shell=bash
# agg.sh — aggregator helpers for the shell system tests; source it after lib.sh.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/agg.sh"
#
#   aggregator_start [FLAG...]  start gongkai-aggregator on GONGKAI_DB/FEED/QUERY/HTTP,
#                               wait for "aggregator ready" in its log (AGG_PID, AGG_LOG);
#                               fails if it dies first or is late
#   aggregator_stop             SIGTERM, expect exit 0 within 15 s (fails otherwise)
#   aggregator_kill             SIGKILL, reap
#   http_get PATH               GET http://$GONGKAI_HTTP$PATH: HTTP_STATUS, HTTP_TYPE,
#                               HTTP_BODY (also in the file $HTTP_FILE)
#   agg_health                  prints "APPLIED HEAD LAG" from /healthz
#   agg_log_head                max(seq) of event_log
#   agg_wait_caught_up [SECS]   waits (bounded, default 60 s) until /healthz shows
#                               applied_seq == head_seq == max(seq) of the log, lag 0
#   agg_json FILTER [FILE]      jq -c FILTER on FILE (default: the last HTTP body)
#   agg_py CMD ARGS...          tests/system/gkagg.py CMD ARGS... (JSON comparisons)
#   agg_verify [ARGS...]        `gongkai verify`: VERIFY_RC, VERIFY_OUT
#   agg_new_database NAME       creates and migrates another database on the cluster;
#                               prints its conninfo
#
# Processes go through lib.sh's gk_track, so they are SIGKILLed when the test
# exits, whichever way it ends.

: "${GONGKAI_HTTP:?agg.sh: GONGKAI_HTTP is not set (run through tests/system/run.sh)}"
: "${GONGKAI_QUERY:?agg.sh: GONGKAI_QUERY is not set (run through tests/system/run.sh)}"
AGG_PY=/usr/bin/python3
AGG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AGG_PID=
AGG_LOG=
GK_AGG_N=0
HTTP_FILE=$GONGKAI_WORK/http.body
HTTP_STATUS=
HTTP_TYPE=
HTTP_BODY=

# aggregator_start [FLAG...]: a new aggregator with its own log file (lib.sh).
aggregator_start() { gk_service_start aggregator AGG "${GK_READY_TIMEOUT:-60}" "$@"; }
# aggregator_stop: SIGTERM and a clean exit 0 within 15 s.
aggregator_stop() { gk_service_stop aggregator AGG; }

# aggregator_kill: SIGKILL, no questions asked.
aggregator_kill() {
    [ -n "$AGG_PID" ] || return 0
    kill -KILL "$AGG_PID" 2>/dev/null || true
    wait "$AGG_PID" 2>/dev/null || true
    AGG_PID=
}

# http_get PATH: one GET on the aggregator (10 s limit). Fails the test only when
# nothing answers at all; the status is the caller's to check.
http_get() {
    local out rc=0
    out=$(curl -sS --max-time 10 -o "$HTTP_FILE" -w '%{http_code} %{content_type}' \
        "http://$GONGKAI_HTTP$1") || rc=$?
    [ "$rc" = 0 ] || gk_fail "GET $1: curl exit $rc ($out)"
    HTTP_STATUS=${out%% *}
    HTTP_TYPE=${out#* }
    HTTP_BODY=$(cat "$HTTP_FILE")
}

# agg_health: "APPLIED HEAD LAG" (empty when /healthz does not answer).
agg_health() {
    curl -sS --max-time 5 "http://$GONGKAI_HTTP/healthz" 2>/dev/null |
        jq -r '"\(.applied_seq) \(.head_seq) \(.lag)"' 2>/dev/null || true
}

agg_log_head() {
    gk_sql "SELECT coalesce(max(seq), 0) FROM event_log"
}

# agg_wait_caught_up [SECS]: applied == head == the log's max(seq), lag 0.
agg_wait_caught_up() {
    local deadline=$((SECONDS + ${1:-60})) h want
    while :; do
        if [ -n "$AGG_PID" ] && ! kill -0 "$AGG_PID" 2>/dev/null; then
            tail -n 20 "$AGG_LOG" >&2
            gk_fail "gongkai-aggregator died while catching up (log $AGG_LOG)"
        fi
        h=$(agg_health)
        want=$(agg_log_head)
        [ "$h" = "$want $want 0" ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            gk_fail "waited ${1:-60} s for the aggregator to catch up: healthz applied/head/lag [$h], log head $want"
        fi
        sleep 0.1
    done
}

# agg_json FILTER [FILE]
agg_json() {
    jq -c "$1" "${2:-$HTTP_FILE}"
}

agg_py() {
    "$AGG_PY" "$AGG_HERE/gkagg.py" "$@"
}

# agg_verify [ARGS...]: gongkai verify; VERIFY_RC and VERIFY_OUT (stdout + stderr).
agg_verify() {
    VERIFY_RC=0
    VERIFY_OUT=$(timeout 120 "$GK" verify "$@" 2>&1) || VERIFY_RC=$?
}

# agg_new_database NAME: another fresh, migrated database on the same cluster.
agg_new_database() {
    local name=$1 base dsn
    base=$(sed -E 's/(^| )dbname=[^ ]*//' <<<"$GONGKAI_DB")
    "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$base dbname=postgres" \
        -c "CREATE DATABASE $name" >/dev/null || gk_fail "CREATE DATABASE $name"
    dsn="$base dbname=$name"
    GONGKAI_DB=$dsn "$GK" migrate >"$GONGKAI_WORK/migrate-$name.log" 2>&1 ||
        gk_fail "gongkai migrate on $name (see $GONGKAI_WORK/migrate-$name.log)"
    echo "$dsn"
}
