#!/bin/sh
# The stand-in's entrypoint (see Dockerfile): on an empty PGDATA, initdb with
# the password from POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD) for
# POSTGRES_USER, create POSTGRES_DB, accept password logins (scram) from other
# containers; then run the server in the foreground as PID 1.
set -eu
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
        password=$(head -n 1 "$POSTGRES_PASSWORD_FILE")
    else
        password=${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE}
    fi
    pwfile=$(mktemp)
    printf '%s\n' "$password" >"$pwfile"
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list
    initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    if [ "$db" != postgres ]; then
        createdb -U "$user" "$db"
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "standin: initialised $PGDATA (user $user, database $db)"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
