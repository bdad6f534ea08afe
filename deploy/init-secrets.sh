#!/bin/sh
# init-secrets.sh — makes the secret files docker-compose.yml mounts, once.
#
#   deploy/init-secrets.sh          → deploy/secrets/postgres_password (random)
#
# The directory (GONGKAI_SECRETS, default deploy/secrets, git-ignored) is
# mode 0700: only its owner on the host can enter it. The files in it are
# readable (0644) because compose mounts each file as it is and the
# containers run as unprivileged users (postgres, gongkai) that must read
# them. Existing files are kept. CURVE keys go here too once they exist
# (`gongkai keygen`, see the secrets stanza of docker-compose.yml).
set -eu
dir=${GONGKAI_SECRETS:-$(dirname "$0")/secrets}
mkdir -p "$dir"
chmod 0700 "$dir"
if [ ! -s "$dir/postgres_password" ]; then
    ( umask 022; head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$dir/postgres_password" )
    echo "init-secrets: wrote $dir/postgres_password"
else
    echo "init-secrets: $dir/postgres_password exists, kept"
fi
