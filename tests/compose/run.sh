#!/usr/bin/env bash
# run.sh — `make test-compose`: docker-compose.yml for real, on a local Docker
# engine, as an operator and a department use it.
#
#   GONGKAI_BIN=DIR GONGKAI_SHARED=DIR tests/compose/run.sh
#
# 1. base images (tests/compose/base-images.sh: built locally when missing);
# 2. `up -d --build` under a project name of its own, ports on free loopback
#    ports, secrets in a scratch directory (deploy/init-secrets.sh);
# 3. the keys out of the `keys` volume (`run --rm -T keys cat ...`), then the
#    seed fixture published from the host through the published intake port
#    (a department), and again from the CLI inside the network (an operator):
#    356 accepted, then 361 duplicates;
# 4. /v1/reports/gz-sthjt/2019 and 2020 through the published HTTP port equal
#    the fixture's expected tables; both services report healthy;
# 5. stop, start: the same tables, the same 356 rows in event_log;
# 6. a new department's key: refused before SIGHUP, accepted after
#    `kill -s HUP intake`;
# 7. `down -v`: no container, network or volume of the project is left.
# Every step is bounded; on failure the services' logs are printed, and the
# project is always taken down. Needs a running engine (`docker info`).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
: "${GONGKAI_BIN:?set GONGKAI_BIN to the directory of the binaries}"
: "${GONGKAI_SHARED:?set GONGKAI_SHARED to the shared contract directory}"
GK=$(cd "$GONGKAI_BIN" && pwd)/gongkai
FIX=$GONGKAI_SHARED/fixtures/guizhou-eco-2019
T0=$(date +%s)

say() { printf '[%4ds] %s\n' "$(($(date +%s) - T0))" "$*"; }
ok() { echo "ok - $*"; }
fail() {
    echo "FAIL - $*"
    exit 1
}

if ! docker info >/dev/null 2>&1; then
    echo "test-compose: no Docker engine answers (docker info). Install and start one:" >&2
    echo "  apt-get install docker.io debootstrap; dockerd &   (or systemctl start docker)" >&2
    exit 2
fi
if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
else
    COMPOSE=(docker-compose)
fi

WORK=$(mktemp -d /tmp/gongkai-compose.XXXXXX)
PROJECT=gongkaict$$
read -r P_INTAKE P_HTTP P_QUERY < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
export COMPOSE_PROJECT_NAME=$PROJECT GONGKAI_TAG=compose-test GONGKAI_SECRETS=$WORK/secrets
export GONGKAI_PUBLISH_INTAKE=127.0.0.1:$P_INTAKE GONGKAI_PUBLISH_HTTP=127.0.0.1:$P_HTTP \
    GONGKAI_PUBLISH_QUERY=127.0.0.1:$P_QUERY
HTTP=http://127.0.0.1:$P_HTTP
dc() { timeout --kill-after=10 "${DC_TIMEOUT:-300}" "${COMPOSE[@]}" -f "$REPO/docker-compose.yml" "$@"; }

finish() {
    rc=$?
    if [ "$rc" != 0 ]; then
        echo "--- the services' last log lines ---"
        dc logs --no-color --tail 40 2>&1 || true
    fi
    dc down -v --remove-orphans >/dev/null 2>&1 || true
    docker image rm "gongkai:$GONGKAI_TAG" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    say "test-compose: $([ "$rc" = 0 ] && echo passed || echo "FAILED ($rc)")"
}
trap finish EXIT

say "compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || true)), project $PROJECT"
"$HERE/base-images.sh"
deploy/init-secrets.sh >/dev/null

say "up -d --build (the image from deploy/Dockerfile)"
DC_TIMEOUT=1200 dc up -d --build >"$WORK/up.log" 2>&1 || {
    tail -40 "$WORK/up.log"
    fail "docker compose up -d --build"
}
builds=$(dc config | grep -c '^    build:' || true)
[ "$builds" = 1 ] || fail "docker-compose.yml builds the gongkai image in $builds services, not once"
ok "up -d --build: the image built (by one service, the others use it), the services started"

# wait_for SECONDS WHAT CMD...: CMD until it succeeds, at most SECONDS.
wait_for() {
    local limit=$1 what=$2
    shift 2
    local end=$(($(date +%s) + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || fail "$what: not within $limit s"
        sleep 1
    done
}
healthy() {
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q "$1")")" = healthy ]
}
wait_up() {
    wait_for 300 "the aggregator's /healthz answers 200" curl -fsS "$HTTP/healthz"
    wait_for 120 "intake healthy (its health check)" healthy intake
    wait_for 120 "aggregator healthy (its health check)" healthy aggregator
}
wait_up
ok "intake and the aggregator healthy; /healthz answers on the published port"

say "the keys out of the keys volume"
dc run --rm -T --no-deps keys cat /keys/local-publisher.key >"$WORK/publisher.key"
dc run --rm -T --no-deps keys cat /keys/intake.pub >"$WORK/intake.pub"
chmod 600 "$WORK/publisher.key"
grep -q 'secret-key' "$WORK/publisher.key" || fail "local-publisher.key from the volume: no secret key in it"
ok "local-publisher.key and intake.pub copied out of the keys volume"

out=$("$GK" publish --endpoint "tcp://127.0.0.1:$P_INTAKE" --client-cert "$WORK/publisher.key" \
    --intake-key "$WORK/intake.pub" --timeout 60 "$FIX/events.jsonl" 2>"$WORK/publish.err") ||
    fail "publish from the host exited $?: $(tail -5 "$WORK/publish.err")"
[ "$out" = "accepted 356, duplicate 5, rejected 0" ] || fail "publish from the host: $out"
ok "the fixture published from the host through the published port: $out"

out=$(dc run --rm -T --no-deps -e GONGKAI_CLIENT_CERT=/keys/local-publisher.key \
    -e GONGKAI_INTAKE_KEY=/keys/intake.pub keys \
    gongkai publish --endpoint tcp://intake:7101 --timeout 60 <"$FIX/events.jsonl" 2>"$WORK/publish2.err") ||
    fail "publish inside the network exited $?: $(tail -5 "$WORK/publish2.err")"
[ "$(printf '%s\n' "$out" | tail -1)" = "accepted 0, duplicate 361, rejected 0" ] ||
    fail "publish inside the network: $out"
ok "the same file from the CLI inside the network: all 361 lines duplicates"

# tables_equal: both years' reports over the published port equal the fixture.
tables_equal() {
    local y
    for y in 2019 2020; do
        curl -fsS "$HTTP/v1/reports/gz-sthjt/$y" >"$WORK/http-$y.json" || return 1
        python3 "$REPO/tests/system/gkagg.py" subset "$FIX/expected-$y.json" "$WORK/http-$y.json" \
            >"$WORK/diff-$y.txt" || return 1
    done
}
wait_for 60 "the reports equal expected-2019.json and expected-2020.json" tables_equal
ok "GET /v1/reports/gz-sthjt/2019 and 2020 equal the fixture's expected tables"

logged() { dc exec -T postgres psql -U gongkai -d gongkai -Atc 'SELECT count(*) FROM event_log'; }
[ "$(logged)" = 356 ] || fail "event_log holds $(logged) rows, not 356"

say "stop, start"
dc stop >/dev/null 2>&1 || fail "docker compose stop"
for s in intake aggregator; do
    code=$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -q "$s")")
    [ "$code" = 0 ] || fail "$s exited $code on stop (SIGTERM)"
done
ok "stop: intake and the aggregator exit 0 on SIGTERM"
dc start >/dev/null 2>&1 || fail "docker compose start"
wait_up
wait_for 60 "the reports after stop/start" tables_equal
[ "$(logged)" = 356 ] || fail "after stop/start event_log holds $(logged) rows, not 356"
ok "stop/start keeps the data: event_log 356 rows, both reports equal the fixture"

say "a new department's key, and SIGHUP"
"$GK" keygen --dir "$WORK" newdept >/dev/null
pub=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$WORK/newdept.pub")
event='{"event_id":"compose-hup-1","type":"document_issued","agency":"gz-sthjt","occurred_at":"2019-05-06T10:00:00+08:00","document_id":"compose-doc-1","document_kind":"rule"}'
newdept() {
    echo "$event" | "$GK" publish --endpoint "tcp://127.0.0.1:$P_INTAKE" --client-cert "$WORK/newdept.key" \
        --intake-key "$WORK/intake.pub" --timeout "$1" 2>"$WORK/newdept.err"
}
if out=$(newdept 3); then
    fail "a key not in the allowlist published: $out"
fi
ok "a key not in the allowlist gets no acknowledgement"
echo "$pub  newdept  publisher  gz-sthjt" | dc run --rm -T --no-deps keys sh -c 'cat >> /keys/allowlist'
dc kill -s HUP intake >/dev/null 2>&1 || fail "docker compose kill -s HUP intake"
wait_for 30 "intake logs 'allowlist reloaded'" sh -c "${COMPOSE[*]} -f '$REPO/docker-compose.yml' logs --no-color intake | grep -q 'allowlist reloaded'"
out=$(newdept 30) || fail "after SIGHUP the new key still refused: $(tail -3 "$WORK/newdept.err")"
[ "$out" = "accepted 1, duplicate 0, rejected 0" ] || fail "after SIGHUP: $out"
ok "after kill -s HUP intake the new department's key publishes: $out"

say "down -v"
dc down -v --remove-orphans >/dev/null 2>&1 || fail "docker compose down -v"
left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
vols=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
nets=$(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT")
[ -z "$left$vols$nets" ] || fail "down -v left containers [$left] volumes [$vols] networks [$nets]"
ok "down -v: no container, volume or network of the project left"
