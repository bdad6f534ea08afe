# pg.sh — a throwaway PostgreSQL cluster for tests, `make run` and benchmarks.
#
#   . tests/system/pg.sh
#   pg_start DIR [PORT]   → exports GONGKAI_DB (and PGHOST/PGPORT) for the new cluster
#   pg_stop DIR [mode]    → stops it (mode: fast, immediate)
#
# Runs the server as user postgres when we are root (PostgreSQL refuses root),
# with fsync on: durability tests depend on it. Unix socket only, in DIR.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

pg_as() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    dir=$1; port=${2:-$((20000 + $$ % 20000))}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses='' -c fsync=on -c max_connections=50" start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }
    export PGHOST=$dir PGPORT=$port PGUSER=postgres
    if ! pg_as "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='gongkai'" | grep -q 1; then
        pg_as "$PG_BIN/createdb" -h "$dir" -p "$port" -U postgres gongkai
    fi
    export GONGKAI_DB="host=$dir port=$port user=postgres dbname=gongkai"
}

pg_stop() {
    pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m "${2:-fast}" -w stop >/dev/null 2>&1 || true
}

pg_restart_server() {
    pg_as "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
        -o "-p $PGPORT -k $1 -c listen_addresses='' -c fsync=on -c max_connections=50" start >/dev/null
}
