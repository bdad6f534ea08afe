#!/usr/bin/env bash
# run.sh — `make bench`: the whole stack on a throwaway PostgreSQL (fsync=on,
# default synchronous_commit), measured side by side in one run:
#
#   1 ingest     loadgen's publishers send the synthetic mix as fast as acks come
#   2 limits     COPY of the same rows into a copy of event_log (text and binary:
#                the faster is "the limit"); one INSERT per event in autocommit
#   3 freshness  10,000 events/s offered; ack → applied_seq on /healthz
#   4 restart    aggregator killed (SIGKILL) and started again: time to ready;
#                `gongkai verify`'s full rebuild rate (and it must find no difference)
#   5 queries    /v1/reports over HTTP against the same report in SQL over event_log
#   6 memory     aggregator VmRSS per tracked application
#
# Figures go to stdout and bench/results.md. Knobs: BENCH_APPS (applications
# per agency, 1000), BENCH_AGENCIES (1000), BENCH_PUBLISHERS (4), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=${GONGKAI_BIN:-$REPO/bin}
LOADGEN=${LOADGEN:-$REPO/build/bench/loadgen}
DIR=${BENCH_DIR:-$REPO/build/bench/run}
APPS=${BENCH_APPS:-1000}
AGENCIES=${BENCH_AGENCIES:-1000}
PUBLISHERS=${BENCH_PUBLISHERS:-4}
WINDOW=${BENCH_WINDOW:-300}
BATCH=${BENCH_BATCH:-100}
NAIVE_ROWS=${BENCH_NAIVE_ROWS:-20000}
PG_PORT=${BENCH_PG_PORT:-5641}
export GONGKAI_INSECURE=1
export GONGKAI_INTAKE=${BENCH_INTAKE:-tcp://127.0.0.1:7641}
export GONGKAI_FEED=${BENCH_FEED:-tcp://127.0.0.1:7642}
export GONGKAI_QUERY=${BENCH_QUERY:-tcp://127.0.0.1:7643}
export GONGKAI_HTTP=${BENCH_HTTP:-127.0.0.1:7684}
T0=$(date +%s)

. "$REPO/tests/system/pg.sh"
PSQL="$PG_BIN/psql"

log() { printf 'bench: %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

intake_pid= agg_pid=
cleanup() {
    trap - EXIT INT TERM
    [ -n "$agg_pid" ] && kill "$agg_pid" 2>/dev/null || true
    [ -n "$intake_pid" ] && kill "$intake_pid" 2>/dev/null || true
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

start_intake() {
    "$BIN/gongkai-intake" >>"$DIR/intake.log" 2>&1 &
    intake_pid=$!
}
start_aggregator() {
    "$BIN/gongkai-aggregator" >>"$DIR/aggregator.log" 2>&1 &
    agg_pid=$!
}
healthz() { curl -s --max-time 2 "http://$GONGKAI_HTTP/healthz" 2>/dev/null || true; }
applied() { healthz | sed -n 's/.*"applied_seq": \([0-9]*\).*/\1/p'; }
head_seq() { sql -tAc "SELECT coalesce(max(seq), 0) FROM event_log"; }
wait_applied() { # seq, timeout s
    local until=$(( $(date +%s) + $2 ))
    while [ "$(applied)" != "$1" ]; do
        [ "$(date +%s)" -gt "$until" ] && { log "aggregator did not reach seq $1"; tail "$DIR/aggregator.log" >&2; exit 1; }
        sleep 0.05
    done
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
metric() { curl -s "http://$GONGKAI_HTTP/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

start_intake
start_aggregator
for _ in $(seq 200); do
    grep -q "intake ready" "$DIR/intake.log" && grep -q "aggregator ready" "$DIR/aggregator.log" && break
    sleep 0.05
done
grep -q "aggregator ready" "$DIR/aggregator.log" || { cat "$DIR"/*.log >&2; exit 1; }
rss0=$(rss_kb "$agg_pid")

# ---- 1 ingest ----
log "1 ingest: $AGENCIES agencies x $APPS applications, $PUBLISHERS publishers"
"$LOADGEN" ingest --endpoint "$GONGKAI_INTAKE" --publishers "$PUBLISHERS" --agencies "$AGENCIES" \
    --apps "$APPS" --tag i --batch "$BATCH" --window "$WINDOW" >"$DIR/ingest.out"
cat "$DIR/ingest.out" >&2
events=$(val events "$DIR/ingest.out")
ingest_rate=$(val rate "$DIR/ingest.out")
head=$(head_seq)
wait_applied "$head" 300
apps=$((AGENCIES * APPS))

# ---- 6 memory (the state is fully loaded now) ----
# Steady state: the least over 3 s, so that a checkpoint's transient copy of
# the state (being written in the background) is not counted as state.
rss1=$(rss_kb "$agg_pid")
for _ in $(seq 15); do sleep 0.2; r=$(rss_kb "$agg_pid"); [ "$r" -lt "$rss1" ] && rss1=$r; done
entities=$(metric gongkai_aggregator_entities)
state_bytes=$(metric gongkai_aggregator_state_bytes)

# ---- 3 freshness ----
log "3 freshness: 10000 events/s for 20 s"
"$LOADGEN" fresh --endpoint "$GONGKAI_INTAKE" --http "$GONGKAI_HTTP" --agencies "$AGENCIES" \
    --apps 100000 --tag f --rate 10000 --seconds 20 --batch 10 >"$DIR/fresh.out"
cat "$DIR/fresh.out" >&2
head=$(head_seq)
wait_applied "$head" 120

# ---- 5 queries ----
log "5 queries: HTTP"
"$LOADGEN" http --http "$GONGKAI_HTTP" --agencies "$AGENCIES" --conns 32 --threads 2 --seconds 10 \
    --years 2019-2023 >"$DIR/http.out"
cat "$DIR/http.out" >&2
log "5 queries: the same report in SQL over event_log (pgbench, 2 clients)"
pg_as "$PG_BIN/pgbench" -n -h "$PGHOST" -p "$PGPORT" -U postgres -f "$REPO/bench/report.sql" \
    -c 2 -j 2 -T 15 -D agencies="$AGENCIES" gongkai >"$DIR/sql.out" 2>&1 || { cat "$DIR/sql.out" >&2; exit 1; }
sql_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$DIR/sql.out" | head -1)
sql_lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$DIR/sql.out")
log "SQL: $sql_tps reports/s, mean $sql_lat ms"

# ---- 4 restart ----
log "4 restart: SIGKILL the aggregator, start it again"
kill -KILL "$agg_pid"; wait "$agg_pid" 2>/dev/null || true
t=$(now_ms)
start_aggregator
until [ "$(applied)" = "$head" ]; do
    kill -0 "$agg_pid" 2>/dev/null || { tail "$DIR/aggregator.log" >&2; exit 1; }
    sleep 0.01
done
restart_kill_ms=$(( $(now_ms) - t ))
log "ready after SIGKILL in $restart_kill_ms ms"
kill -TERM "$agg_pid"; wait "$agg_pid" 2>/dev/null || true
t=$(now_ms)
start_aggregator
until [ "$(applied)" = "$head" ]; do sleep 0.01; done
restart_term_ms=$(( $(now_ms) - t ))
log "ready after SIGTERM in $restart_term_ms ms"
log "4 rebuild: gongkai verify"
"$BIN/gongkai" verify --wait 120 >"$DIR/verify.out" 2>"$DIR/verify.err" || { cat "$DIR/verify.out" "$DIR/verify.err" >&2; exit 1; }
tail -2 "$DIR/verify.out" >&2
rebuild_rate=$(sed -n 's/^verify: rebuilt .* (\([0-9]*\) events\/s)$/\1/p' "$DIR/verify.err" | head -1)
log "verify rebuilt at $rebuild_rate events/s"

# ---- 2 the limits (services idle) ----
kill -TERM "$agg_pid" "$intake_pid"; wait 2>/dev/null || true
agg_pid= intake_pid=
rows=$(head_seq)
log "2 COPY limit: $rows rows"
sql -c "CHECKPOINT"
sql -c "COPY event_log TO '$DIR/pg/event_log.copy'"
sql -c "COPY event_log TO '$DIR/pg/event_log.bin' (FORMAT binary)"
copy_run() { # format → ms
    sql -c "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE event_log INCLUDING ALL); CHECKPOINT"
    local t=$(now_ms)
    sql -c "COPY bench_copy FROM '$DIR/pg/event_log.$1' ${2:-}"
    echo $(( $(now_ms) - t ))
}
copy_text_ms=$(copy_run copy)
copy_bin_ms=$(copy_run bin "(FORMAT binary)")
sql -c "DROP TABLE bench_copy"
copy_text_rate=$(( rows * 1000 / copy_text_ms ))
copy_bin_rate=$(( rows * 1000 / copy_bin_ms ))
copy_rate=$(( copy_text_rate > copy_bin_rate ? copy_text_rate : copy_bin_rate ))
log "COPY text $copy_text_rate rows/s, binary $copy_bin_rate rows/s"
log "2 naive: one INSERT per event, autocommit, $NAIVE_ROWS rows"
sql -c "CREATE TABLE bench_naive (LIKE event_log INCLUDING ALL)"
sql -tAc "SELECT format('INSERT INTO bench_naive (seq, event_id, type, agency, occurred_at, digest, body, event, peer) VALUES (%s, %L, %L, %L, %L, %s, %L, %L, %L);',
          seq, event_id, type, agency, occurred_at, digest, body, event, peer)
          FROM event_log ORDER BY seq LIMIT $NAIVE_ROWS" >"$DIR/naive.sql"
t=$(now_ms)
sql -f "$DIR/naive.sql"
naive_ms=$(( $(now_ms) - t ))
naive_rate=$(( NAIVE_ROWS * 1000 / naive_ms ))
sql -c "DROP TABLE bench_naive"
log "naive $naive_rate rows/s"
rm -f "$DIR/pg/event_log.copy" "$DIR/pg/event_log.bin"

# ---- 2 publish: a department loading its history with the CLI (one process) ----
PUBLISH_ROWS=${BENCH_PUBLISH_ROWS:-200000}
log "2 gongkai publish: a file of $PUBLISH_ROWS events, one process"
sql -tAc "SELECT jsonb_set(event, '{event_id}', to_jsonb('pub-' || event_id))::text
          FROM event_log ORDER BY seq LIMIT $PUBLISH_ROWS" >"$DIR/publish.jsonl"
ready_before=$(grep -c "intake ready" "$DIR/intake.log" || true)
start_intake
for _ in $(seq 600); do
    [ "$(grep -c "intake ready" "$DIR/intake.log")" -gt "$ready_before" ] && break
    sleep 0.05
done
t=$(now_ms)
"$BIN/gongkai" publish --endpoint "$GONGKAI_INTAKE" "$DIR/publish.jsonl" >"$DIR/publish.out" 2>"$DIR/publish.err" || true
publish_ms=$(( $(now_ms) - t ))
publish_rate=$(( PUBLISH_ROWS * 1000 / (publish_ms > 0 ? publish_ms : 1) ))
log "publish: $(tail -1 "$DIR/publish.out") in $publish_ms ms: $publish_rate events/s"
kill -TERM "$intake_pid"; wait 2>/dev/null || true
intake_pid=
rm -f "$DIR/publish.jsonl"

# ---- the table ----
f() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }
ack50=$(val ack_p50_ms "$DIR/ingest.out"); ack99=$(val ack_p99_ms "$DIR/ingest.out")
fr50=$(val fresh_p50_ms "$DIR/fresh.out"); fr99=$(val fresh_p99_ms "$DIR/fresh.out")
fack99=$(val ack_p99_ms "$DIR/fresh.out"); offered=$(val offered_rate "$DIR/fresh.out")
held=$(val held_for_window "$DIR/fresh.out")
http_rate=$(val rate "$DIR/http.out"); http50=$(val p50_ms "$DIR/http.out"); http99=$(val p99_ms "$DIR/http.out")
rss_delta_kb=$((rss1 - rss0))
per_app=$(f "$rss1 * 1024 / $apps")
per_app_delta=$(f "$rss_delta_kb * 1024 / $apps")
per_ent=$(f "$state_bytes / $entities")
secs=$(( $(date +%s) - T0 ))
ok() { awk "BEGIN { exit !($1) }" && echo "met" || echo "NOT MET"; }

cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
machine="$(nproc) × $cpu, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), Linux $(uname -r), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (fsync=on, synchronous_commit=on, other settings default)"

table=$(cat <<EOF
| # | figure | value | target | |
|---|---|---|---|---|
| 1 | ingest, acknowledged events/s ($events events, $PUBLISHERS publishers, window $WINDOW, $BATCH per Submit) | $(f "$ingest_rate") | | |
| 1 | ack latency p50 / p99 at that rate | $ack50 / $ack99 ms | p99 ≤ 50 ms | $(ok "$ack99 <= 50") |
| 2 | COPY limit, rows/s (text $copy_text_rate, binary $copy_bin_rate: the faster) | $copy_rate | | |
| 2 | naive: one INSERT per event, autocommit, rows/s ($NAIVE_ROWS rows) | $naive_rate | | |
| 2 | **ours ÷ COPY limit** | $(f "$ingest_rate / $copy_rate" 2) | ≥ 0.5 | $(ok "$ingest_rate / $copy_rate >= 0.5") |
| 2 | **ours ÷ naive** | $(f "$ingest_rate / $naive_rate" 1) | ≥ 15 | $(ok "$ingest_rate / $naive_rate >= 15") |
| 2 | \`gongkai publish\` of a $PUBLISH_ROWS-event file, one process, events/s ($(tail -1 "$DIR/publish.out")) | $publish_rate | | |
| 2 | **publish ÷ COPY limit** | $(f "$publish_rate / $copy_rate" 2) | ≥ 0.5 | $(ok "$publish_rate / $copy_rate >= 0.5") |
| 3 | freshness at $(f "$offered") events/s sent (10,000 offered; $held batches waited for the window): ack → visible, p50 / p99 | $fr50 / $fr99 ms | p99 ≤ 50 ms | $(ok "$fr99 <= 50") |
| 3 | ack latency p99 at that load | $fack99 ms | | |
| 4 | aggregator ready after SIGKILL + restart ($head events logged) | $restart_kill_ms ms | ≤ 2000 ms | $(ok "$restart_kill_ms <= 2000") |
| 4 | aggregator ready after SIGTERM + restart | $restart_term_ms ms | | |
| 4 | \`gongkai verify\` full rebuild, events/s | $rebuild_rate | ≥ 300,000 | $(ok "$rebuild_rate >= 300000") |
| 5 | report queries over HTTP, requests/s (32 connections) | $(f "$http_rate") | ≥ 10,000 | $(ok "$http_rate >= 10000") |
| 5 | HTTP latency p50 / p99 | $http50 / $http99 ms | | |
| 5 | the same report in SQL over event_log, reports/s (2 clients; mean $sql_lat ms) | $sql_tps | | |
| 5 | **SQL ÷ ours** (time per report) | $(f "$http_rate / $sql_tps" 0) | ≥ 100 | $(ok "$http_rate / $sql_tps >= 100") |
| 6 | aggregator VmRSS per tracked application ($apps applications, $entities entities; RSS $((rss1 / 1024)) MiB) | $per_app B | ≤ 100 B | $(ok "$per_app <= 100") |
| 6 | … of which state (gongkai_aggregator_state_bytes ÷ entities) | $per_ent B/entity | | |
EOF
)
echo
echo "$table"
echo
echo "bench: finished in $secs s"
cat >"$REPO/bench/results.md" <<EOF
# Benchmark results

\`make bench\` on $(date -u +%Y-%m-%d) (run time $secs s, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')).

Machine: $machine. Everything — PostgreSQL, intake, aggregator and the load
generators — shares these cores.

$table

Workload: $AGENCIES agencies × $APPS applications over 2019–2023 ($events events:
receipts, answers 95%, corrections of receipts 1% and of answers 2%, decisions,
fees, documents issued/published/repealed, catalogue items, procurement,
reviews and lawsuits filed and decided), sent as encoded \`gongkai.v1.Event\`s
by \`bench/loadgen.c\` over the wire protocol. The COPY limit loads the same
rows into a table created \`LIKE event_log INCLUDING ALL\` (same columns and
indexes); the naive way sends the first $NAIVE_ROWS of them as single-row
INSERTs from one connection. The SQL report is \`bench/report.sql\`.
EOF
log "wrote bench/results.md"
