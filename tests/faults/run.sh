#!/usr/bin/env bash
# run.sh — the fault suite (`make test-faults`).
#
#   GONGKAI_BIN=DIR GONGKAI_SHARED=DIR tests/faults/run.sh [SCENARIO...]
#
# One throwaway PostgreSQL cluster of its own (tests/system/pg.sh, fsync on:
# the scenarios stop it in immediate mode, which must lose nothing that was
# committed), then tests/faults/faults.py (the crash, outage and stall
# scenarios, each on a fresh database and fresh ports, checked against a
# reference database fed the same events without faults), then
# tests/faults/test_valgrind.sh (both services under valgrind). Everything
# runs in one process group under a time limit (GONGKAI_FAULTS_TIMEOUT,
# default 900 s) and is killed when it ends. SCENARIO names limit faults.py
# to those scenarios (intake-kill, aggregator-kill, pg-outage,
# aggregator-stall, sigterm, valgrind). GONGKAI_KEEP=1 keeps the logs.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

: "${GONGKAI_BIN:?set GONGKAI_BIN to the directory of the binaries}"
: "${GONGKAI_SHARED:?set GONGKAI_SHARED to the shared contract directory}"
GONGKAI_BIN=$(cd "$GONGKAI_BIN" && pwd)
GONGKAI_SHARED=$(cd "$GONGKAI_SHARED" && pwd)
export GONGKAI_BIN GONGKAI_SHARED
TIMEOUT=${GONGKAI_FAULTS_TIMEOUT:-900}

# shellcheck source=tests/system/pg.sh
. "$REPO/tests/system/pg.sh"

TOP=$(mktemp -d /tmp/gongkai-faults.XXXXXX)
chmod 755 "$TOP"
PG_STARTED=
RUN_PGID=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -z "$RUN_PGID" ] || kill -KILL -- "-$RUN_PGID" 2>/dev/null || true
    [ -z "$PG_STARTED" ] || pg_stop "$TOP/pg" immediate
    if [ "$rc" != 0 ] || [ "${GONGKAI_KEEP:-}" = 1 ]; then
        echo "faults: logs kept in $TOP"
    else
        rm -rf "$TOP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "faults: interrupted" >&2; exit 130' INT TERM

pg_start "$TOP/pg" || { echo "faults: PostgreSQL did not start" >&2; exit 1; }
PG_STARTED=1
echo "faults: PostgreSQL cluster in $TOP/pg (port $PGPORT, fsync on)"

want_valgrind=1
if [ $# -gt 0 ]; then
    want_valgrind=
    for a in "$@"; do [ "$a" = valgrind ] && want_valgrind=1; done
fi

rc=0
(
    export GONGKAI_PGDIR=$TOP/pg PG_BIN GONGKAI_WORK=$TOP/work PYTHONDONTWRITEBYTECODE=1
    export GONGKAI_INSECURE=1 GONGKAI_WANT_VALGRIND=$want_valgrind
    mkdir -p "$GONGKAI_WORK"
    chmod 755 "$GONGKAI_WORK"
    # Not the checkout's runtime state (.run/ of `make run`): a cwd and an
    # empty run directory of its own.
    cd "$GONGKAI_WORK"
    export GONGKAI_RUN_DIR=$GONGKAI_WORK/run
    exec setsid timeout --kill-after=10 "$TIMEOUT" /usr/bin/python3 "$HERE/faults.py" "$@"
) &
RUN_PGID=$!
wait "$RUN_PGID" || rc=$?
kill -KILL -- "-$RUN_PGID" 2>/dev/null || true
RUN_PGID=
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "faults: FAILED: timed out after $TIMEOUT s"
fi
exit "$rc"
