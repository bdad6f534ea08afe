#!/usr/bin/env bash
# test_make_run — `make run` from a fresh clone (issue 7).
#
# Copies the repository's tracked files (a fresh clone of the working tree:
# nothing built, no .run/) and runs `make run` there, as a newcomer would,
# on this test's ports and a run directory of its own, under a time limit.
# It must build, start a throwaway PostgreSQL and both services, publish the
# sample and print the URLs; then the page and the JSON are fetched. Then:
# a second `make run` beside it says where the first one is; Ctrl-C stops
# everything; a start after that works; a crash of the runner (SIGKILL,
# services left running) is cleaned up by the next start; Ctrl-C again.
. "$(dirname "$0")/lib.sh"
W=$GONGKAI_WORK
CLONE=$W/clone
RUN_DIR=$W/run
PY=/usr/bin/python3

# A fresh clone of what is in the working tree (tracked files only).
mkdir -p "$CLONE"
if git -C "$GK_REPO" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$GK_REPO" && git ls-files -z | xargs -0 cp --parents -t "$CLONE") 2>/dev/null ||
        gk_fail "copying the tracked files"
else
    (cd "$GK_REPO" && tar --exclude=./build --exclude=./bin --exclude=./.run --exclude=./tests/out -cf - .) |
        (cd "$CLONE" && tar -xf -)
fi
[ ! -e "$CLONE/bin" ] && [ ! -e "$CLONE/.run" ] || gk_fail "the clone is not fresh"
chmod -R a+rX "$CLONE" # the cluster runs as postgres
gk_ok "a fresh copy of the repository in $CLONE"

# make run takes its binaries from its own build: not GONGKAI_BIN. Nor the
# variables of a make that runs this test (make test-asan passes BUILD and
# BIN=build/asan/bin down, in MAKEFLAGS and the environment): a newcomer has
# none. Nor GONGKAI_INSECURE: a newcomer's make run has CURVE on, and keys.
unset GONGKAI_BIN GONGKAI_INSECURE GONGKAI_DB PGHOST PGPORT PGUSER PGDATABASE MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES \
    BUILD BIN CC OPT CFLAGS LDFLAGS LDLIBS
export GONGKAI_RUN_DIR=$RUN_DIR GONGKAI_PG_PORT=5433
mkdir -p "$RUN_DIR"
chmod 755 "$RUN_DIR"
URL=http://$GONGKAI_HTTP
RUN_N=0
RUN_PID=

# make run lives in a process group of its own, which run.sh's clean-up does
# not reach: whatever way this test ends, stop it, its services and its cluster.
run_cleanup() {
    local p
    [ -n "$RUN_PID" ] && kill -KILL -- "-$RUN_PID" 2>/dev/null || true
    for p in "$RUN_DIR"/intake.pid "$RUN_DIR"/aggregator.pid; do
        [ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null || true
    done
    pg_stop "$RUN_DIR/pg" immediate
    gk_cleanup
}
trap run_cleanup EXIT

# run_start: `make run` in the clone, as its own process group with SIGINT at
# its default (a test's background job inherits it ignored), like a terminal.
run_start() {
    RUN_N=$((RUN_N + 1))
    RUN_OUT=$W/make-run.$RUN_N.out
    $PY -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' make -C "$CLONE" run >"$RUN_OUT" 2>&1 &
    RUN_PID=$!
    gk_track "$RUN_PID"
    gk_wait 180 "make run #$RUN_N printed 'gongkai is running' ($RUN_OUT)" _run_ready
}
_run_ready() {
    if ! kill -0 "$RUN_PID" 2>/dev/null; then
        cat "$RUN_OUT" >&2
        gk_fail "make run #$RUN_N exited before it was ready"
    fi
    grep -q '^gongkai is running' "$RUN_OUT"
}

# run_interrupt: Ctrl-C to the whole process group, then everything must end.
run_interrupt() {
    kill -INT -- "-$RUN_PID" 2>/dev/null || gk_fail "no make run to interrupt"
    gk_wait 60 "make run #$RUN_N ended after Ctrl-C" _run_gone
    wait "$RUN_PID" 2>/dev/null || true
    grep -q '^run: stopped' "$RUN_OUT" || gk_fail "make run #$RUN_N did not say it stopped: $(tail -5 "$RUN_OUT")"
    _all_stopped
}
_run_gone() { ! kill -0 "$RUN_PID" 2>/dev/null; }
_all_stopped() {
    curl -s --max-time 2 "$URL/healthz" >/dev/null 2>&1 && gk_fail "the aggregator still answers after Ctrl-C"
    if pg_as "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg/data" status >/dev/null 2>&1; then
        gk_fail "PostgreSQL still runs after Ctrl-C"
    fi
    local p
    for p in "$RUN_DIR"/*.pid; do
        [ -e "$p" ] && gk_fail "pid file left behind: $p"
    done
    true
}

_applied_sample() {
    [ "$(curl -s --max-time 2 "$URL/healthz" | jq -r '.applied_seq' 2>/dev/null)" = 356 ]
}

check_serving() {
    local what=$1 body
    # publish returns once intake committed; the aggregator follows a moment later.
    gk_wait 30 "$what: the aggregator applied the sample" _applied_sample
    body=$(curl -sS --max-time 10 "$URL/") || gk_fail "$what: GET / failed"
    grep -q '<title>gongkai' <<<"$body" && grep -q '/v1/reports/' <<<"$body" ||
        gk_fail "$what: / is not the live page"
    body=$(curl -sS --max-time 10 "$URL/v1/reports/gz-sthjt/2019") || gk_fail "$what: GET JSON failed"
    gk_eq '[52,2,4,0,0,1,59] 6021.70 2019' \
        "$(jq -r '[(.applications.rows[] | select(.key == "received") | .values | tojson),
                   .active_disclosure.procurement.amount_wan_yuan, .template] | join(" ")' <<<"$body")" \
        "$what: the JSON has the sample's 2019 report"
}

# 1. From the fresh clone: builds, starts, publishes, prints the URLs.
start=$SECONDS
run_start
gk_ok "make run from a fresh clone is up in $((SECONDS - start)) s"
for want in "page           $URL/#gz-sthjt/2019" "JSON           $URL/v1/reports/gz-sthjt/2019" \
    "accepted 356, duplicate 5, rejected 0"; do
    grep -qF "$want" "$RUN_OUT" || gk_fail "make run did not print: $want"
done
gk_ok "make run printed the page's URL and published the sample"
[ -x "$CLONE/bin/gongkai-aggregator" ] || gk_fail "make run did not build the clone"
check_serving "first run"

# 2. A second make run beside it leaves it alone and says where it is.
out=$(timeout 120 make -s -C "$CLONE" run 2>&1) || gk_fail "second make run beside the first: $out"
grep -q "already running" <<<"$out" || gk_fail "second make run: $out"
check_serving "after a second make run beside the first"

# 3. Ctrl-C stops everything.
run_interrupt
gk_ok "Ctrl-C stopped the services and PostgreSQL, no pid file left"

# 4. Started again: same cluster, the sample comes back as duplicates.
run_start
grep -qF "accepted 0, duplicate 361, rejected 0" "$RUN_OUT" || gk_fail "second start: $(tail -15 "$RUN_OUT")"
check_serving "second start"

# 5. A crash of the runner: SIGKILL to make and the script; services and
#    PostgreSQL stay behind. The next start must clean up and work.
old_agg=$(cat "$RUN_DIR/aggregator.pid")
runner=$(cat "$RUN_DIR/run.pid")
kill -KILL "$runner" "$RUN_PID" 2>/dev/null || true
wait "$RUN_PID" 2>/dev/null || true
kill -0 "$old_agg" 2>/dev/null || gk_fail "the crash was meant to leave the aggregator running"
gk_track "$old_agg"
run_start
kill -0 "$old_agg" 2>/dev/null && gk_fail "the leftover aggregator (pid $old_agg) still runs"
check_serving "start after a crash"
gk_ok "make run after a crash stopped the leftovers and came up"
run_interrupt
gk_ok "Ctrl-C again: everything stopped"

# 6. Then `make test` in the same tree, as the README orders it (issue 22):
#    the suite must not pick up what `make run` left there (.run/keys, found
#    by the CLI from the working directory, or GONGKAI_RUN_DIR). The clone's
#    run directory is where a plain `make run` keeps it; the test that found
#    the keys before (publish without a key must exit 2 naming keygen) runs
#    from the clone's own runner, on its own cluster and ports.
ln -s "$RUN_DIR" "$CLONE/.run"
[ -f "$CLONE/.run/keys/local-publisher.key" ] || gk_fail "make run left no keys to find"
start=$SECONDS
(cd "$CLONE" && GONGKAI_BIN=$CLONE/bin GONGKAI_TEST_TIMEOUT=90 \
    tests/system/run.sh security_keys cli_waiting) >"$W/make-test.out" 2>&1 ||
    gk_fail "the clone's system tests after make run and Ctrl-C: $(grep -E '^(PASS|FAIL|ok|FAIL -)' "$W/make-test.out" | tail -20)"
gk_ok "after make run and Ctrl-C, the clone's own tests pass in $((SECONDS - start)) s"
echo "# all checks passed"
