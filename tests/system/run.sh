#!/usr/bin/env bash
# run.sh — the system test runner (`make system`).
#
#   GONGKAI_BIN=DIR GONGKAI_SHARED=DIR tests/system/run.sh [NAME-PART...]
#
# Starts one throwaway PostgreSQL cluster (tests/system/pg.sh, fsync on) under
# /tmp, then runs every tests/system/test_*.sh (bash) and test_*.py
# (/usr/bin/python3) — or those whose names contain one of the arguments —
# one after another. Each test gets
#   a fresh database, migrated by `gongkai migrate`   GONGKAI_DB (+ PGHOST, PGPORT, PGUSER)
#   its own free loopback ports                       GONGKAI_INTAKE, GONGKAI_FEED,
#                                                     GONGKAI_QUERY (tcp://127.0.0.1:P),
#                                                     GONGKAI_HTTP (127.0.0.1:P)
#   plaintext ZeroMQ                                  GONGKAI_INSECURE=1
#   a work directory for its logs, and its cwd        GONGKAI_WORK
#   an empty run directory (no `make run` keys)       GONGKAI_RUN_DIR
# and no other GONGKAI_* variable of the caller: whatever the checkout holds
# from using the product (.run/, bin/) does not reach a test;
# and runs in its own process group, under a time limit (GONGKAI_TEST_TIMEOUT,
# default 240 s); whatever it leaves running is killed when it ends. Prints
# PASS/FAIL per test (with its logs on failure), then `P passed, F failed`;
# exit 1 when any failed. GONGKAI_KEEP=1 keeps the work directories.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

: "${GONGKAI_BIN:?set GONGKAI_BIN to the directory of the binaries}"
: "${GONGKAI_SHARED:?set GONGKAI_SHARED to the shared contract directory}"
GONGKAI_BIN=$(cd "$GONGKAI_BIN" && pwd)
GONGKAI_SHARED=$(cd "$GONGKAI_SHARED" && pwd)
export GONGKAI_BIN GONGKAI_SHARED
TIMEOUT=${GONGKAI_TEST_TIMEOUT:-240}
PY=/usr/bin/python3

for b in gongkai-intake gongkai; do
    [ -x "$GONGKAI_BIN/$b" ] || { echo "run.sh: $GONGKAI_BIN/$b is missing (make first)" >&2; exit 2; }
done

# shellcheck source=tests/system/pg.sh
. "$HERE/pg.sh"

TOP=$(mktemp -d /tmp/gongkai-system.XXXXXX)
chmod 755 "$TOP" # the server runs as postgres and needs to reach $TOP/pg
TEST_PGID=
PG_STARTED=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$TEST_PGID" ]; then
        kill -KILL -- "-$TEST_PGID" 2>/dev/null || true
    fi
    if [ -n "$PG_STARTED" ]; then
        pg_stop "$TOP/pg" immediate
    fi
    [ "${GONGKAI_KEEP:-}" = 1 ] || rm -rf "$TOP"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

# The tests to run, in name order.
tests=()
for t in "$HERE"/test_*.sh "$HERE"/test_*.py; do
    [ -e "$t" ] || continue
    name=$(basename "$t")
    if [ $# -gt 0 ]; then
        keep=
        for pat in "$@"; do
            case "$name" in *"$pat"*) keep=1 ;; esac
        done
        [ -n "$keep" ] || continue
    fi
    tests+=("$t")
done
mapfile -t tests < <(printf '%s\n' "${tests[@]}" | sort)
if [ ${#tests[@]} -eq 0 ] || [ -z "${tests[0]}" ]; then
    echo "run.sh: no tests match" >&2
    exit 2
fi

echo "system tests: ${#tests[@]} (binaries $GONGKAI_BIN, shared $GONGKAI_SHARED)"
pg_start "$TOP/pg" || { echo "run.sh: PostgreSQL did not start" >&2; exit 1; }
PG_STARTED=1
echo "PostgreSQL cluster in $TOP/pg (port $PGPORT, fsync on)"

psql_admin() {
    "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres "$@"
}

show_logs() {
    local dir=$1 f
    echo "    ---- $dir/test.log"
    sed 's/^/    | /' "$dir/test.log"
    for f in "$dir"/*.log; do
        [ "$f" = "$dir/test.log" ] && continue
        [ -e "$f" ] || continue
        echo "    ---- $f (last 40 lines)"
        tail -n 40 "$f" | sed 's/^/    | /'
    done
}

passed=0
failed=0
failed_names=()
n=0
for t in "${tests[@]}"; do
    n=$((n + 1))
    name=$(basename "$t")
    base=${name%.*}
    work=$TOP/$base
    mkdir -p "$work"
    chmod 755 "$work"
    db=$(printf 't%02d_%s' "$n" "${base#test_}" | tr -c 'a-z0-9_' '_' | cut -c1-60)
    start=$SECONDS
    rc=0
    {
        psql_admin -c "CREATE DATABASE $db" &&
            GONGKAI_DB="host=$PGHOST port=$PGPORT user=postgres dbname=$db" \
                "$GONGKAI_BIN/gongkai" migrate
    } >"$work/migrate.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        echo "FAIL $name (could not create and migrate database $db)"
        show_logs "$work" 2>/dev/null || cat "$work/migrate.log"
        failed=$((failed + 1))
        failed_names+=("$name")
        continue
    fi
    read -r p_in p_feed p_query p_http < <($PY "$HERE/gk.py" free-ports 4)
    case "$t" in
        *.py) interp=$PY ;;
        *) interp=bash ;;
    esac
    (
        # Nothing from the caller's shell or from using the product in this
        # checkout (.run/ of `make run`, its keys, a GONGKAI_* of a terminal):
        # the test runs in its work directory with only the variables below,
        # and a run directory of its own that holds nothing.
        for v in $(compgen -e); do
            case "$v" in
                GONGKAI_BIN | GONGKAI_SHARED | GONGKAI_KEEP | GONGKAI_TEST_TIMEOUT) ;;
                GONGKAI_*) unset "$v" ;;
            esac
        done
        cd "$work"
        export GONGKAI_RUN_DIR=$work/run
        export GONGKAI_DB="host=$PGHOST port=$PGPORT user=postgres dbname=$db"
        export PGDATABASE=$db
        export GONGKAI_INTAKE=tcp://127.0.0.1:$p_in
        export GONGKAI_FEED=tcp://127.0.0.1:$p_feed
        export GONGKAI_QUERY=tcp://127.0.0.1:$p_query
        export GONGKAI_HTTP=127.0.0.1:$p_http
        export GONGKAI_INSECURE=1
        export GONGKAI_WORK=$work
        export PYTHONDONTWRITEBYTECODE=1
        # A session (and process group) of its own: everything it starts can
        # be killed at once, and timeout signals the whole group.
        exec setsid timeout --kill-after=10 "$TIMEOUT" "$interp" "$t"
    ) >"$work/test.log" 2>&1 </dev/null &
    TEST_PGID=$!
    wait "$TEST_PGID" || rc=$?
    kill -KILL -- "-$TEST_PGID" 2>/dev/null || true
    TEST_PGID=
    secs=$((SECONDS - start))
    if [ "$rc" = 0 ]; then
        echo "PASS $name (${secs} s)"
        passed=$((passed + 1))
    else
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
            echo "FAIL $name (timed out after ${TIMEOUT} s, exit $rc)"
        else
            echo "FAIL $name (exit $rc, ${secs} s)"
        fi
        show_logs "$work"
        failed=$((failed + 1))
        failed_names+=("$name")
    fi
done

[ "$failed" = 0 ] || echo "failed: ${failed_names[*]}"
[ "${GONGKAI_KEEP:-}" != 1 ] || echo "work directories kept in $TOP"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
