#!/usr/bin/env bash
# run-local.sh — `make run`: the whole system on this machine, for a newcomer.
#
# Starts a throwaway PostgreSQL under .run/ (or uses GONGKAI_DB when set),
# migrates it, starts gongkai-intake and gongkai-aggregator, publishes the
# sample (the 2019 report of the Guizhou Department of Ecology and
# Environment, rebuilt as events), prints the URLs, and stops everything on
# Ctrl-C (or SIGTERM), or when one of the services dies.
#
# Safe to start again, or after a crash: leftovers of an earlier run (found by
# the pid files it wrote) are stopped first, and the cluster is reused, so the
# sample's events come back as duplicates. A second start while one is
# running says where it is and leaves it alone (a lock in the run directory).
#
# CURVE is on, as in production: on first start the key pairs of intake, the
# aggregator, a local publisher (allowed every agency, written `*`) and a
# local dashboard are made under .run/keys with `gongkai keygen`, with an
# allowlist; later starts reuse them. GONGKAI_INSECURE=1 make run runs
# plaintext instead (no keys), as tests do.
#
# Environment (all optional): GONGKAI_BIN (default bin/), GONGKAI_RUN_DIR
# (default .run/), GONGKAI_PG_PORT (default 5499; the cluster listens on a
# Unix socket in the run directory only), GONGKAI_DB, GONGKAI_INSECURE, and the
# endpoints GONGKAI_INTAKE, GONGKAI_FEED, GONGKAI_QUERY, GONGKAI_HTTP
# (defaults 7101-7103, 7180).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
RUN=${GONGKAI_RUN_DIR:-$REPO/.run}
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)
BIN=${GONGKAI_BIN:-$REPO/bin}
PG_PORT=${GONGKAI_PG_PORT:-5499}
export GONGKAI_INTAKE=${GONGKAI_INTAKE:-tcp://127.0.0.1:7101}
export GONGKAI_FEED=${GONGKAI_FEED:-tcp://127.0.0.1:7102}
export GONGKAI_QUERY=${GONGKAI_QUERY:-tcp://127.0.0.1:7103}
export GONGKAI_HTTP=${GONGKAI_HTTP:-127.0.0.1:7180}
url="http://$GONGKAI_HTTP"

for b in gongkai gongkai-intake gongkai-aggregator; do
    [ -x "$BIN/$b" ] || { echo "run: $BIN/$b is missing: run make first" >&2; exit 2; }
done

# One run per run directory. The lock lives on fd 9, which no child keeps
# (9>&- below): a crashed run leaves no lock behind, even if its services
# are still running.
exec 9>"$RUN/lock"
if ! flock -n 9; then
    echo "run: already running (pid $(cat "$RUN/run.pid" 2>/dev/null || echo '?')): $url/"
    echo "run: stop it with Ctrl-C in its terminal, or: kill $(cat "$RUN/run.pid" 2>/dev/null || echo PID)"
    exit 0
fi
echo $$ >"$RUN/run.pid"

# Stops the process in $RUN/$1.pid if it is still that program (pids get reused).
stop_pidfile() {
    local name=$1 pid
    [ -f "$RUN/$name.pid" ] || return 0
    pid=$(cat "$RUN/$name.pid")
    if [ -n "$pid" ] && grep -qa "gongkai-$name" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$name.pid"
}

# Leftovers of an earlier run (a crash, a closed terminal): stop them.
stop_pidfile aggregator
stop_pidfile intake

own_pg=0
if [ -z "${GONGKAI_DB:-}" ]; then
    # shellcheck source=tests/system/pg.sh
    . "$REPO/tests/system/pg.sh"
    pg_stop "$RUN/pg" immediate 9>&-
    echo "run: starting PostgreSQL in $RUN/pg"
    pg_start "$RUN/pg" "$PG_PORT" 9>&-
    own_pg=1
fi

stopped=0
stop_all() {
    [ "$stopped" = 1 ] && return
    stopped=1
    trap '' INT TERM   # a second Ctrl-C must not cut the clean-up short
    echo
    echo "run: stopping"
    stop_pidfile aggregator
    stop_pidfile intake
    [ "$own_pg" = 1 ] && pg_stop "$RUN/pg"
    rm -f "$RUN/run.pid"
    echo "run: stopped (logs in $RUN/)"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

secure=1
[ "${GONGKAI_INSECURE:-}" = 1 ] && secure=0
KEYS=$RUN/keys
if [ "$secure" = 1 ]; then
    sh "$REPO/deploy/init-keys.sh" "$KEYS" "$BIN/gongkai" | sed "s/^init-keys:/run:/"
    export GONGKAI_KEYS=$KEYS/allowlist GONGKAI_INTAKE_KEY=$KEYS/intake.pub \
        GONGKAI_AGGREGATOR_KEY=$KEYS/aggregator.pub
fi

"$BIN/gongkai" migrate
cert_env() { [ "$secure" = 1 ] && echo "GONGKAI_CERT=$KEYS/$1.key" || echo "GONGKAI_CERT="; }
env "$(cert_env intake)" "$BIN/gongkai-intake" >"$RUN/intake.log" 2>&1 9>&- &
intake_pid=$!
echo $intake_pid >"$RUN/intake.pid"
env "$(cert_env aggregator)" "$BIN/gongkai-aggregator" >"$RUN/aggregator.log" 2>&1 9>&- &
agg_pid=$!
echo $agg_pid >"$RUN/aggregator.pid"
ready=0
for _ in $(seq 300); do
    if ! kill -0 $intake_pid 2>/dev/null || ! kill -0 $agg_pid 2>/dev/null; then
        break
    fi
    if grep -q 'msg="intake ready"' "$RUN/intake.log" && grep -q 'msg="aggregator ready"' "$RUN/aggregator.log"; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" != 1 ]; then
    echo "run: the services did not start; their logs:" >&2
    tail -n 20 "$RUN/intake.log" "$RUN/aggregator.log" >&2
    exit 1
fi

echo "run: publishing the sample (deploy/sample-events.jsonl)"
client_env=()
if [ "$secure" = 1 ]; then
    client_env=(GONGKAI_CLIENT_CERT="$KEYS/local-publisher.key")
fi
env "${client_env[@]}" "$BIN/gongkai" publish deploy/sample-events.jsonl 9>&- || true
if [ "$secure" = 1 ]; then
    more="publish more   $BIN/gongkai publish FILE.jsonl
  report         $BIN/gongkai report --agency gz-sthjt --year 2019
                 (from the repository: the CLI finds .run/keys by itself; elsewhere set
                 GONGKAI_CLIENT_CERT=$KEYS/local-publisher.key GONGKAI_INTAKE_KEY=$KEYS/intake.pub)
  keys           $KEYS (CURVE on; GONGKAI_INSECURE=1 make run for plaintext)"
else
    more="publish more   GONGKAI_INSECURE=1 $BIN/gongkai publish FILE.jsonl
  WARNING        GONGKAI_INSECURE=1: plaintext ZeroMQ, no key checks"
fi
cat <<MSG

gongkai is running (logs in $RUN/):
  page           $url/#gz-sthjt/2019
  sample report  $url/v1/reports/gz-sthjt/2019?format=text
  JSON           $url/v1/reports/gz-sthjt/2019
  health         $url/healthz
  metrics        $url/metrics
  $more
Press Ctrl-C to stop everything.
MSG

# Until Ctrl-C (the trap) or one of the services ends.
wait -n $intake_pid $agg_pid || true
for name in intake aggregator; do
    pid=$(cat "$RUN/$name.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        echo "run: gongkai-$name exited; the end of its log:" >&2
        tail -n 20 "$RUN/$name.log" >&2
    fi
done
exit 1
