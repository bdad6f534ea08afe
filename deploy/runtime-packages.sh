#!/usr/bin/env bash
# runtime-packages.sh — the Debian packages that hold the shared libraries
# the given programs link, one a line: what a runtime image must install.
#
#   deploy/runtime-packages.sh /out/usr/local/bin/*
#
# Found with ldd and dpkg, so the list follows the Makefile's libraries
# instead of being written down twice. /lib is /usr/lib on Debian 12, and
# dpkg knows each file under one of the two names: both are asked.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: runtime-packages.sh PROGRAM..." >&2; exit 2; }
for f in "$@"; do
    ldd "$f"
done | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | while read -r lib; do
    p=$(readlink -f "$lib")
    dpkg -S "$p" 2>/dev/null || dpkg -S "${p#/usr}" 2>/dev/null || {
        echo "runtime-packages: no package holds $lib" >&2
        exit 1
    }
done | cut -d: -f1 | sort -u
