#!/usr/bin/env bash
# base-images.sh — the two base images docker-compose.yml needs, built here
# when the engine has none (machines that reach Debian's mirror but not
# Docker Hub):
#
#   debian:bookworm-slim   debootstrap --variant=minbase bookworm, imported
#   postgres:15-bookworm   tests/compose/postgres-standin (a stand-in, see its
#                          Dockerfile: Debian's postgresql-15 on the above)
#
# An image already present (pulled, or built by an earlier run) is kept.
# Needs root for debootstrap. DEBIAN_MIRROR overrides the mirror.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

have() { docker image inspect "$1" >/dev/null 2>&1; }

if have debian:bookworm-slim; then
    echo "base-images: debian:bookworm-slim present, kept"
else
    command -v debootstrap >/dev/null || {
        echo "base-images: debian:bookworm-slim is missing and debootstrap is not installed (apt-get install debootstrap)" >&2
        exit 1
    }
    root=$(mktemp -d /tmp/gongkai-rootfs.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    echo "base-images: debootstrap bookworm (minbase) from $MIRROR"
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || {
        tail -20 "$root.log" >&2
        echo "base-images: debootstrap failed (log above)" >&2
        exit 1
    }
    rm -f "$root.log"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
    echo "base-images: debian:bookworm-slim imported ($(du -sh "$root" | cut -f1))"
fi

if have postgres:15-bookworm; then
    echo "base-images: postgres:15-bookworm present, kept"
else
    echo "base-images: building the postgres:15-bookworm stand-in ($HERE/postgres-standin)"
    docker build -q -t postgres:15-bookworm "$HERE/postgres-standin" >/dev/null
    echo "base-images: postgres:15-bookworm stand-in built"
fi
