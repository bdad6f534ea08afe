#!/bin/sh
# docker-entrypoint.sh — the gongkai image's entrypoint: turns mounted secrets
# into what the programs read, then runs the command unchanged.
#
# GONGKAI_DB_PASSWORD_FILE names a file whose first line is the PostgreSQL
# password (a compose secret, /run/secrets/postgres_password). libpq reads a
# password from a pgpass file, so it becomes one, private to this container
# (mode 0600 in its tmpfs), and PGPASSFILE points at it. The password never
# enters the environment, the command line or a log.
set -eu
if [ -n "${GONGKAI_DB_PASSWORD_FILE:-}" ]; then
    if [ ! -r "$GONGKAI_DB_PASSWORD_FILE" ]; then
        echo "level=error msg=\"cannot read GONGKAI_DB_PASSWORD_FILE\" file=$GONGKAI_DB_PASSWORD_FILE" >&2
        exit 1
    fi
    umask 077
    pgpass=${TMPDIR:-/tmp}/gongkai.pgpass
    # pgpass escapes ':' and '\' with a backslash.
    printf '*:*:*:*:%s\n' "$(head -n 1 "$GONGKAI_DB_PASSWORD_FILE" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g')" >"$pgpass"
    export PGPASSFILE="$pgpass"
fi
exec "$@"
