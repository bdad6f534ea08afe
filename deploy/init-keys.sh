#!/bin/sh
# init-keys.sh — CURVE key pairs and an allowlist for one installation, made
# once: what is there is kept, what is missing is made.
#
#   deploy/init-keys.sh DIR [GONGKAI]
#
# DIR gets intake, aggregator, local-publisher (may write every agency) and
# local-dashboard key pairs (NAME.key secret, mode 0600; NAME.pub public) and
# `allowlist` naming them (docs/security.md). GONGKAI is the gongkai binary
# (default: `gongkai` on PATH). Used by `make run` (.run/keys) and by
# docker-compose's one-shot `keys` service (a volume the services mount).
# A real department gets its own key pair and allowlist line instead of
# local-publisher: see "Adding a department".
set -eu
dir=${1:?usage: init-keys.sh DIR [GONGKAI]}
gongkai=${2:-gongkai}
mkdir -p "$dir"
chmod 700 "$dir"
for name in intake aggregator local-publisher local-dashboard; do
    [ -f "$dir/$name.key" ] || "$gongkai" keygen --dir "$dir" "$name" >/dev/null
done
pub() { sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$dir/$1.pub"; }
if [ ! -f "$dir/allowlist" ]; then
    {
        echo "# gongkai allowlist (docs/security.md): PUBLIC-KEY NAME ROLE [AGENCY...]"
        echo "$(pub aggregator)  aggregator  aggregator"
        echo "$(pub local-publisher)  local-publisher  publisher  *"
        echo "$(pub local-dashboard)  local-dashboard  dashboard"
    } >"$dir/allowlist"
    echo "init-keys: made key pairs and an allowlist in $dir"
fi
