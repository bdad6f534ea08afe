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

# A service of ours as a tracked background process: the PID and LOG
# variables named by PREFIX (INTAKE_PID and INTAKE_LOG for INTAKE) are set.
_GK_READY_PREFIX= _GK_READY_NAME=
_gk_service_ready() {
    local pid_var=${_GK_READY_PREFIX}_PID log_var=${_GK_READY_PREFIX}_LOG
    if ! kill -0 "${!pid_var}" 2>/dev/null; then
        echo "--- ${!log_var}" >&2
        cat "${!log_var}" >&2
        gk_fail "gongkai-$_GK_READY_NAME exited before it was ready"
    fi
    grep -q "msg=\"$_GK_READY_NAME ready\"" "${!log_var}"
}

# gk_service_start NAME PREFIX TIMEOUT [FLAG...]: gongkai-NAME with its own
# log, waiting for its "NAME ready" line.
gk_service_start() {
    local name=$1 prefix=$2 timeout=$3 n_var=GK_${2}_N
    shift 3
    printf -v "$n_var" '%s' $(( ${!n_var:-0} + 1 ))
    local log=$GONGKAI_WORK/$name.${!n_var}.log
    printf -v "${prefix}_LOG" '%s' "$log"
    "$GONGKAI_BIN/gongkai-$name" "$@" >"$log" 2>&1 &
    printf -v "${prefix}_PID" '%s' "$!"
    gk_track "$!"
    _GK_READY_PREFIX=$prefix _GK_READY_NAME=$name
    gk_wait "$timeout" "\"$name ready\" in $log" _gk_service_ready
}

# gk_service_stop NAME PREFIX: SIGTERM and a clean exit 0 within 15 s.
gk_service_stop() {
    local name=$1 pid_var=${2}_PID log_var=${2}_LOG
    local pid=${!pid_var}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            kill -KILL "$pid" 2>/dev/null || true
            gk_fail "gongkai-$name did not stop within 15 s of SIGTERM"
        fi
        sleep 0.1
    done
    local rc=0
    wait "$pid" || rc=$?
    printf -v "$pid_var" '%s' ""
    [ "$rc" = 0 ] || gk_fail "gongkai-$name exited $rc after SIGTERM (log ${!log_var})"
}

# intake_start [FLAG...]: a new intake on GONGKAI_DB/INTAKE/FEED with its own log.
intake_start() { gk_service_start intake INTAKE "${GK_READY_TIMEOUT:-30}" "$@"; }
# intake_stop: SIGTERM and a clean exit 0 within 15 s.
intake_stop() { gk_service_stop intake INTAKE; }

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
