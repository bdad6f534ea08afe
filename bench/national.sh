#!/usr/bin/env bash
# national.sh — `make bench`'s step "national" (issue 24): a whole country on
# one aggregator. On a throwaway PostgreSQL (fsync on):
#
#   a  registry   `gongkai agency load` of NATIONAL_AGENCIES agencies (a
#                 hierarchy: 31 provinces, cities under them, the rest below)
#   b  start      intake and the aggregator started with them: time to ready
#   c  ingest     loadgen: NATIONAL_APPS applications per agency over 2019–2025
#                 (none answered: every one stays open, the heaviest case for
#                 open lists, timeliness and /metrics) and the rest of the mix
#   d  memory     aggregator VmRSS; the checkpoint's size and time (its log line)
#   e  readers    two clients loop /metrics?agencies=all and the largest open
#                 list while 1,000 events/s go in: ack → visible p50/p99, and
#                 /healthz latency p50/p99 meanwhile
#   f  registry   `gongkai agency add` with every agency registered: how long
#                 until the next event is applied
#   g  verify     `gongkai verify` of the whole state while 1,000 events/s go in
#   h  restart    SIGTERM (checkpoint) and start: time to ready
#
# Figures to stdout and bench/results-national.md. Knobs: NATIONAL_AGENCIES
# (200000), NATIONAL_APPS (7), BENCH_DIR, NATIONAL_PG_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=${GONGKAI_BIN:-$REPO/bin}
LOADGEN=${LOADGEN:-$REPO/build/bench/loadgen}
DIR=${BENCH_DIR:-$REPO/build/bench/national}
AGENCIES=${NATIONAL_AGENCIES:-200000}
APPS=${NATIONAL_APPS:-7}
PG_PORT=${NATIONAL_PG_PORT:-5651}
export GONGKAI_INSECURE=1
export GONGKAI_INTAKE=tcp://127.0.0.1:7651
export GONGKAI_FEED=tcp://127.0.0.1:7652
export GONGKAI_QUERY=tcp://127.0.0.1:7653
export GONGKAI_HTTP=127.0.0.1:7694
T0=$(date +%s)

. "$REPO/tests/system/pg.sh"
PSQL="$PG_BIN/psql"
log() { printf 'national: %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
f() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p); if (i < 1) i = 1; printf "%.1f", v[i] * 1000 }'; }

intake_pid= agg_pid= bg=
cleanup() {
    trap - EXIT INT TERM
    for p in $bg $agg_pid $intake_pid; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pg_stop "$DIR/pg"
}
trap cleanup EXIT INT TERM

pg_stop "$DIR/pg" immediate
rm -rf "$DIR"
mkdir -p "$DIR"
log "starting PostgreSQL in $DIR/pg (port $PG_PORT)"
pg_start "$DIR/pg" "$PG_PORT"
sql() { pg_as "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d gongkai "$@"; }
"$BIN/gongkai" migrate >/dev/null

start_intake() { "$BIN/gongkai-intake" >>"$DIR/intake.log" 2>&1 & intake_pid=$!; }
start_aggregator() { "$BIN/gongkai-aggregator" >>"$DIR/aggregator.log" 2>&1 & agg_pid=$!; }
healthz() { curl -s --max-time 5 "http://$GONGKAI_HTTP/healthz" 2>/dev/null || true; }
applied() { healthz | sed -n 's/.*"applied_seq": \([0-9]*\).*/\1/p'; }
head_seq() { sql -tAc "SELECT coalesce(max(seq), 0) FROM event_log"; }
cursor() { sql -tAc "SELECT applied_seq FROM agg_cursor"; }
wait_cursor() { # seq, timeout s
    local until=$(( $(date +%s) + $2 ))
    while [ "$(cursor)" -lt "$1" ]; do
        [ "$(date +%s)" -gt "$until" ] && { log "aggregator did not reach seq $1"; tail "$DIR/aggregator.log" >&2; exit 1; }
        sleep 0.02
    done
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# ---- a registry ----
log "a: $AGENCIES agencies"
awk -v n="$AGENCIES" 'BEGIN {
    print "code,name,parent"
    for (i = 0; i < n; i++) {
        p = i < 31 ? "" : (i < 31 + 400 ? sprintf("b%04d", i % 31) : sprintf("b%04d", 31 + i % 400))
        printf "b%04d,机关%d,%s\n", i, i, p
    }
}' >"$DIR/agencies.csv"
t=$(now_ms)
"$BIN/gongkai" agency load "$DIR/agencies.csv" >&2
load_ms=$(( $(now_ms) - t ))

# ---- b start ----
t=$(now_ms)
start_intake
start_aggregator
until grep -q "aggregator ready" "$DIR/aggregator.log" && [ -n "$(applied)" ]; do
    kill -0 "$agg_pid" 2>/dev/null || { cat "$DIR/aggregator.log" >&2; exit 1; }
    sleep 0.02
done
start_ms=$(( $(now_ms) - t ))
log "b: ready in $start_ms ms"

# ---- c ingest ----
log "c: $AGENCIES agencies x $APPS applications"
"$LOADGEN" ingest --endpoint "$GONGKAI_INTAKE" --publishers 4 --agencies "$AGENCIES" --apps "$APPS" \
    --tag n --span 7 --batch 100 --window 300 >"$DIR/ingest.out"
cat "$DIR/ingest.out" >&2
events=$(val events "$DIR/ingest.out")
head=$(head_seq)
t=$(now_ms)
wait_cursor "$head" 1200
catchup_ms=$(( $(now_ms) - t ))

# ---- d memory, checkpoint ----
sleep 2
rss=$(rss_kb "$agg_pid")
open=$(curl -s "http://$GONGKAI_HTTP/metrics" | awk '$1 == "gongkai_aggregator_open_applications_all" { print $2 }')

# ---- e readers ----
log "e: two clients on /metrics?agencies=all and the open list, 1,000 events/s for 20 s"
reader() { while :; do curl -s -o /dev/null --max-time 300 "http://$GONGKAI_HTTP$1"; done; }
reader "/metrics?agencies=all" & bg="$bg $!"
reader "/v1/agencies/b0000/open?scope=subtree&limit=100000" & bg="$bg $!"
( while :; do curl -s -o /dev/null -w '%{time_total}\n' --max-time 10 "http://$GONGKAI_HTTP/healthz"; sleep 0.02; done ) \
    >"$DIR/healthz.times" & bg="$bg $!"
sleep 2
"$LOADGEN" fresh --endpoint "$GONGKAI_INTAKE" --http "$GONGKAI_HTTP" --agencies 100 --apps 100000 \
    --tag e --rate 1000 --seconds 20 --batch 10 >"$DIR/fresh.out"
cat "$DIR/fresh.out" >&2
for p in $bg; do kill "$p" 2>/dev/null || true; done
wait $bg 2>/dev/null || true
bg=
fresh50=$(val fresh_p50_ms "$DIR/fresh.out"); fresh99=$(val fresh_p99_ms "$DIR/fresh.out")
hz50=$(pct "$DIR/healthz.times" 0.5); hz99=$(pct "$DIR/healthz.times" 0.99)
scrape_s=$(curl -s -o "$DIR/metrics.txt" -w '%{time_total}' "http://$GONGKAI_HTTP/metrics")
scrape_default_kb=$(( $(wc -c <"$DIR/metrics.txt") / 1024 ))

# ---- f agency add ----
"$BIN/gongkai" agency add b-new --name 新设机关 --parent b0001 >/dev/null
printf '{"event_id":"nat-after-add","type":"decision_made","agency":"b-new","occurred_at":"2023-06-01T10:00:00+08:00","decision_kind":"licensing","count":1}\n' >"$DIR/one.jsonl"
t=$(now_ms)
"$BIN/gongkai" publish --endpoint "$GONGKAI_INTAKE" "$DIR/one.jsonl" >/dev/null
wait_cursor "$(head_seq)" 120
add_ms=$(( $(now_ms) - t ))
log "f: event after agency add applied in $add_ms ms"

# ---- g verify under load ----
log "g: gongkai verify while 1,000 events/s go in"
"$LOADGEN" fresh --endpoint "$GONGKAI_INTAKE" --http "$GONGKAI_HTTP" --agencies 100 --apps 1000000 \
    --tag g --rate 1000 --seconds 600 --batch 10 >"$DIR/fresh-g.out" & bg="$!"
t=$(now_ms)
verify_rc=0
"$BIN/gongkai" verify --wait 600 >"$DIR/verify.out" 2>"$DIR/verify.err" || verify_rc=$?
verify_ms=$(( $(now_ms) - t ))
kill "$bg" 2>/dev/null || true; wait "$bg" 2>/dev/null || true; bg=
tail -3 "$DIR/verify.out" >&2
verify_line=$(grep -m1 '^live state' "$DIR/verify.out" || echo "exit $verify_rc")

# ---- h restart ----
kill -TERM "$agg_pid"; wait "$agg_pid" 2>/dev/null || true
ck=$(grep 'msg="checkpoint stored"' "$DIR/aggregator.log" | tail -1)
ck_bytes=$(sed -n 's/.* bytes=\([0-9]*\).*/\1/p' <<<"$ck")
ck_ser=$(sed -n 's/.* serialize_ms=\([0-9.]*\).*/\1/p' <<<"$ck")
ck_store=$(sed -n 's/.* store_ms=\([0-9.]*\).*/\1/p' <<<"$ck")
cursor_now=$(cursor)
t=$(now_ms)
start_aggregator
until [ "$(applied)" = "$cursor_now" ]; do
    kill -0 "$agg_pid" 2>/dev/null || { tail "$DIR/aggregator.log" >&2; exit 1; }
    sleep 0.02
done
restart_ms=$(( $(now_ms) - t ))
ck_load=$(grep 'msg="checkpoint loaded"' "$DIR/aggregator.log" | tail -1 | cut -c1-120)
secs=$(( $(date +%s) - T0 ))
ok() { awk "BEGIN { exit !($1) }" && echo "met" || echo "NOT MET"; }

table=$(cat <<EOF
| step | figure | value | target | |
|---|---|---|---|---|
| a | \`gongkai agency load\` of $AGENCIES agencies | $load_ms ms | ≤ 30 s | $(ok "$load_ms <= 30000") |
| b | start-up with them registered, to ready | $start_ms ms | ≤ 5 s | $(ok "$start_ms <= 5000") |
| c | ingest: $events events ($APPS applications per agency over 2019–2025, all open), acknowledged events/s | $(f "$(val rate "$DIR/ingest.out")") | | |
| c | aggregator caught up after the last ack | $catchup_ms ms | | |
| d | aggregator VmRSS with $AGENCIES agencies, $open open applications | $((rss / 1024)) MiB | ≤ 2 GiB | $(ok "$rss <= 2097152") |
| d | checkpoint stored at stop: bytes; copying the state (counting thread), writing it | $ck_bytes; $ck_ser ms, $ck_store ms | < 1 GiB per part (64 MiB parts) | |
| e | ack → visible p50 / p99 at 1,000 events/s while /metrics?agencies=all and a 100,000-line open list loop | $fresh50 / $fresh99 ms | p99 ≤ 100 ms | $(ok "$fresh99 <= 100") |
| e | /healthz p50 / p99 meanwhile | $hz50 / $hz99 ms | p99 ≤ 50 ms | $(ok "$hz99 <= 50") |
| e | default /metrics scrape (top 100 agencies): size, time | $scrape_default_kb KiB, $scrape_s s | | |
| f | \`gongkai agency add\`, then the next event applied | $add_ms ms | ≤ 1 s | $(ok "$add_ms <= 1000") |
| g | \`gongkai verify\` of the whole state under 1,000 events/s (exit $verify_rc: $verify_line) | $verify_ms ms | finishes | $(ok "$verify_rc == 0") |
| h | SIGTERM, start, ready (checkpoint loaded) | $restart_ms ms | | |
EOF
)
echo
echo "$table"
echo
echo "national: finished in $secs s"
cat >"$REPO/bench/results-national.md" <<EOF
# Benchmark results: a whole country (issue 24)

\`bench/national.sh\` (step "national" of \`make bench\`) on $(date -u +%Y-%m-%d), run time $secs s,
commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores shared by PostgreSQL, the
services and the load generators.

$table

$ck_load
EOF
log "wrote bench/results-national.md"
