# shellcheck shell=bash disable=SC2034
# lib.sh — helpers for the shell system tests (tests/system/test_*.sh).
#
#   . "$(dirname "$0")/lib.sh"
#
# tests/system/run.sh gives every test a fresh, migrated database and its own
# ports in the environment: GONGKAI_BIN (the binaries), GONGKAI_SHARED (the
# contract), GONGKAI_DB, GONGKAI_INTAKE, GONGKAI_FEED, GONGKAI_QUERY,
# GONGKAI_HTTP, GONGKAI_INSECURE=1, GONGKAI_WORK (a directory for logs).
#
#   intake_start [FLAG...]  start gongkai-intake, wait for "intake ready"
#                           (INTAKE_PID, INTAKE_LOG); fails if it dies or is late
#   intake_stop             SIGTERM, wait for a clean exit 0 (fails otherwise)
#   intake_kill             SIGKILL, reap
#   intake_alive            fails (with its log) if intake has exited on its own
#   gk_spawn VAR CMD...     start a background process that cleanup will kill
#   gk_free_ports N         N more free loopback TCP ports, space-separated
#   gk_psql ARGS...         psql on GONGKAI_DB: unaligned, tuples only, stop on error
#   gk_sql SQL              one query, its rows on stdout
#   gk_ok / gk_fail / gk_eq / gk_match / gk_wait   results and bounded waits
#
# Every process started through these helpers is SIGKILLed on exit, whatever
# way the test ends; run.sh also kills the test's whole process group.
set -euo pipefail

GK_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/system/pg.sh
. "$GK_REPO/tests/system/pg.sh"

for v in GONGKAI_BIN GONGKAI_SHARED GONGKAI_DB GONGKAI_INTAKE GONGKAI_FEED; do
    if [ -z "${!v:-}" ]; then
        echo "lib.sh: $v is not set: run this test through tests/system/run.sh" >&2
        exit 2
    fi
done
export GONGKAI_INSECURE=${GONGKAI_INSECURE:-1}
if [ -z "${GONGKAI_WORK:-}" ]; then
    GONGKAI_WORK=$(mktemp -d /tmp/gongkai-test.XXXXXX)
fi
export GONGKAI_WORK
GK=$GONGKAI_BIN/gongkai
GK_FIXTURE=$GONGKAI_SHARED/fixtures/guizhou-eco-2019/events.jsonl
GK_PIDS=()
GK_INTAKE_N=0
INTAKE_PID=
INTAKE_LOG=

gk_cleanup() {
    local pid
    for pid in "${GK_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    for pid in "${GK_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap gk_cleanup EXIT
trap 'echo "lib.sh: interrupted" >&2; exit 130' INT TERM

gk_ok() { echo "ok - $*"; }
gk_fail() {
    echo "FAIL - $*" >&2
    exit 1
}
gk_note() { echo "# $*"; }

# gk_eq EXPECTED ACTUAL WHAT
gk_eq() {
    if [ "$1" != "$2" ]; then
        gk_fail "$3: expected [$1], got [$2]"
    fi
    gk_ok "$3"
}

# gk_match REGEX TEXT WHAT  (extended regex, whole text searched)
gk_match() {
    if ! grep -Eq -- "$1" <<<"$2"; then
        gk_fail "$3: [$2] does not match /$1/"
    fi
    gk_ok "$3"
}

# gk_wait SECONDS WHAT CMD...: polls CMD every 0.1 s until it succeeds.
gk_wait() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            gk_fail "waited ${secs} s for: $what"
        fi
        sleep 0.1
    done
}

gk_track() { GK_PIDS+=("$1"); }

# gk_spawn VAR CMD...: runs CMD in the background (output to
# $GONGKAI_WORK/VAR.log unless redirected by the caller), its pid in VAR.
gk_spawn() {
    local var=$1
    shift
    "$@" >"$GONGKAI_WORK/$var.log" 2>&1 &
    gk_track $!
    printf -v "$var" '%s' $!
}

gk_free_ports() {
    /usr/bin/python3 "$GK_REPO/tests/system/gk.py" free-ports "$1"
}

gk_psql() {
    "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$GONGKAI_DB" "$@"
}

gk_sql() {
    gk_psql -c "$1"
}

_intake_ready() {
    if ! kill -0 "$INTAKE_PID" 2>/dev/null; then
        echo "--- $INTAKE_LOG" >&2
        cat "$INTAKE_LOG" >&2
        gk_fail "gongkai-intake exited before it was ready"
    fi
    grep -q 'msg="intake ready"' "$INTAKE_LOG"
}

# intake_start [FLAG...]: a new intake on GONGKAI_DB/INTAKE/FEED with its own log.
intake_start() {
    GK_INTAKE_N=$((GK_INTAKE_N + 1))
    INTAKE_LOG=$GONGKAI_WORK/intake.$GK_INTAKE_N.log
    "$GONGKAI_BIN/gongkai-intake" "$@" >"$INTAKE_LOG" 2>&1 &
    INTAKE_PID=$!
    gk_track "$INTAKE_PID"
    gk_wait "${GK_READY_TIMEOUT:-30}" "\"intake ready\" in $INTAKE_LOG" _intake_ready
}

# intake_stop: SIGTERM and a clean exit 0 within 15 s.
intake_stop() {
    [ -n "$INTAKE_PID" ] || return 0
    kill -TERM "$INTAKE_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$INTAKE_PID" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            kill -KILL "$INTAKE_PID" 2>/dev/null || true
            gk_fail "gongkai-intake did not stop within 15 s of SIGTERM"
        fi
        sleep 0.1
    done
    local rc=0
    wait "$INTAKE_PID" || rc=$?
    INTAKE_PID=
    [ "$rc" = 0 ] || gk_fail "gongkai-intake exited $rc after SIGTERM (log $INTAKE_LOG)"
}

# intake_alive: intake must still be running (for use inside waits).
intake_alive() {
    if [ -n "$INTAKE_PID" ] && ! kill -0 "$INTAKE_PID" 2>/dev/null; then
        local rc=0
        wait "$INTAKE_PID" 2>/dev/null || rc=$?
        echo "--- $INTAKE_LOG" >&2
        tail -n 40 "$INTAKE_LOG" >&2
        gk_fail "gongkai-intake exited on its own (status $rc)"
    fi
}

# intake_kill: SIGKILL, no questions asked.
intake_kill() {
    [ -n "$INTAKE_PID" ] || return 0
    kill -KILL "$INTAKE_PID" 2>/dev/null || true
    wait "$INTAKE_PID" 2>/dev/null || true
    INTAKE_PID=
}
