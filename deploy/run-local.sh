#!/usr/bin/env bash
# run-local.sh — `make run`: the whole system on this machine, for a newcomer.
#
# Starts a throwaway PostgreSQL under .run/ (or uses GONGKAI_DB when set),
# migrates it, starts gongkai-intake and gongkai-aggregator, publishes the
# sample (the 2019 report of the Guizhou Department of Ecology and
# Environment, rebuilt as events), prints the URLs, and stops everything on
# Ctrl-C. Safe to start again, or after a crash: leftovers of an earlier run
# are stopped first, and the cluster is reused.
#
# CURVE is on, as in production: on first start the key pairs of intake, the
# aggregator, a local publisher (allowed every agency, written `*`) and a
# local dashboard are made under .run/keys with `gongkai keygen`, with an
# allowlist; later starts reuse them. GONGKAI_INSECURE=1 make run runs
# plaintext instead (no keys), as tests do. GONGKAI_RUN_DIR moves .run/.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
RUN=${GONGKAI_RUN_DIR:-$REPO/.run}
mkdir -p "$RUN"
BIN=${GONGKAI_BIN:-$REPO/bin}
export GONGKAI_INTAKE=${GONGKAI_INTAKE:-tcp://127.0.0.1:7101}
export GONGKAI_FEED=${GONGKAI_FEED:-tcp://127.0.0.1:7102}
export GONGKAI_QUERY=${GONGKAI_QUERY:-tcp://127.0.0.1:7103}
export GONGKAI_HTTP=${GONGKAI_HTTP:-127.0.0.1:7180}

# Leftovers of an earlier run (a crash, a closed terminal): stop them.
for name in intake aggregator; do
    if [ -f "$RUN/$name.pid" ]; then
        kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
        rm -f "$RUN/$name.pid"
    fi
done

own_pg=0
if [ -z "${GONGKAI_DB:-}" ]; then
    # shellcheck source=tests/system/pg.sh
    . "$REPO/tests/system/pg.sh"
    pg_stop "$RUN/pg" immediate
    echo "run: starting PostgreSQL in .run/pg"
    pg_start "$RUN/pg" 5499
    own_pg=1
fi

stop_all() {
    trap '' INT TERM   # a second Ctrl-C must not cut the clean-up short
    trap - EXIT
    echo
    echo "run: stopping"
    for name in aggregator intake; do
        [ -f "$RUN/$name.pid" ] && kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -f "$RUN"/*.pid
    [ "$own_pg" = 1 ] && pg_stop "$RUN/pg"
    echo "run: stopped (logs in .run/)"
}
trap stop_all INT TERM EXIT

secure=1
[ "${GONGKAI_INSECURE:-}" = 1 ] && secure=0
KEYS=$RUN/keys
if [ "$secure" = 1 ]; then
    mkdir -p "$KEYS" && chmod 700 "$KEYS"
    for name in intake aggregator local-publisher local-dashboard; do
        [ -f "$KEYS/$name.key" ] || "$BIN/gongkai" keygen --dir "$KEYS" "$name" >/dev/null
    done
    pub() { sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$KEYS/$1.pub"; }
    if [ ! -f "$KEYS/allowlist" ]; then
        {
            echo "# gongkai allowlist (README, Security): PUBLIC-KEY NAME ROLE [AGENCY...]"
            echo "$(pub aggregator)  aggregator  aggregator"
            echo "$(pub local-publisher)  local-publisher  publisher  *"
            echo "$(pub local-dashboard)  local-dashboard  dashboard"
        } >"$KEYS/allowlist"
        echo "run: made key pairs and an allowlist in $KEYS"
    fi
    export GONGKAI_KEYS=$KEYS/allowlist GONGKAI_INTAKE_KEY=$KEYS/intake.pub \
        GONGKAI_AGGREGATOR_KEY=$KEYS/aggregator.pub
fi

"$BIN/gongkai" migrate
if [ "$secure" = 1 ]; then
    GONGKAI_CERT=$KEYS/intake.key "$BIN/gongkai-intake" >"$RUN/intake.log" 2>&1 &
else
    "$BIN/gongkai-intake" >"$RUN/intake.log" 2>&1 &
fi
echo $! >"$RUN/intake.pid"
if [ "$secure" = 1 ]; then
    GONGKAI_CERT=$KEYS/aggregator.key "$BIN/gongkai-aggregator" >"$RUN/aggregator.log" 2>&1 &
else
    "$BIN/gongkai-aggregator" >"$RUN/aggregator.log" 2>&1 &
fi
echo $! >"$RUN/aggregator.pid"
for _ in $(seq 100); do
    grep -q "intake ready" "$RUN/intake.log" && grep -q "aggregator ready" "$RUN/aggregator.log" && break
    sleep 0.1
done
grep -q "aggregator ready" "$RUN/aggregator.log" || { cat "$RUN"/*.log; exit 1; }

echo "run: publishing the sample (deploy/sample-events.jsonl)"
client_env=()
if [ "$secure" = 1 ]; then
    client_env=(GONGKAI_CLIENT_CERT="$KEYS/local-publisher.key")
fi
env "${client_env[@]}" "$BIN/gongkai" publish deploy/sample-events.jsonl || true
url="http://$GONGKAI_HTTP"
if [ "$secure" = 1 ]; then
    more="publish more   GONGKAI_CLIENT_CERT=$KEYS/local-publisher.key GONGKAI_INTAKE_KEY=$KEYS/intake.pub bin/gongkai publish FILE.jsonl
  report         GONGKAI_CLIENT_CERT=$KEYS/local-dashboard.key GONGKAI_AGGREGATOR_KEY=$KEYS/aggregator.pub bin/gongkai report --agency gz-sthjt --year 2019
  keys           $KEYS (CURVE on; GONGKAI_INSECURE=1 make run for plaintext)"
else
    more="publish more   GONGKAI_INSECURE=1 bin/gongkai publish FILE.jsonl
  WARNING        GONGKAI_INSECURE=1: plaintext ZeroMQ, no key checks"
fi
cat <<MSG

gongkai is running (logs in .run/):
  page           $url/
  sample report  $url/v1/reports/gz-sthjt/2019?format=text
  JSON           $url/v1/reports/gz-sthjt/2019
  health         $url/healthz
  metrics        $url/metrics
  $more
Press Ctrl-C to stop everything.
MSG
wait
