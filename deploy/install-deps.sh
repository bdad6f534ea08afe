#!/usr/bin/env bash
# install-deps.sh — every Debian package gongkai needs, in one place.
#
#   deploy/install-deps.sh          install what is missing (apt-get), nothing else
#   deploy/install-deps.sh --check  exit 1 listing what is missing; install nothing
#   deploy/install-deps.sh --list   print the package names, one a line
#   ... --build                     (with any of the above) only what builds the
#                                   binaries: what deploy/Dockerfile's build stage uses
#   ... --docker                    (with any of the above) only a Docker engine and
#                                   debootstrap, for `make test-compose` (.ci/run; skip
#                                   it where an engine is installed otherwise, e.g.
#                                   docker-ce, which docker.io would conflict with)
#
# Used by .ci/run, `make run` and the Dockerfile. Idempotent and fast when all
# is present: one dpkg-query, no apt-get. As root it runs apt-get itself; as
# another user it uses sudo when there is one, else prints the command to run.
# Debian 12 (bookworm) is the reference system.
set -euo pipefail

# Build: compilers, make, and the -dev packages of the libraries we link.
BUILD_PKGS=(
    gcc clang make pkg-config
    libzmq3-dev libczmq-dev
    libprotobuf-c-dev protobuf-c-compiler
    libpq-dev libjansson-dev libmicrohttpd-dev libcmark-dev libsodium-dev libxml2-dev
    libcmocka-dev
)

# Run and test: the database, the Python client's libraries, protoc for its
# generated code, and the tools the tests call (curl and jq: HTTP checks).
RUN_PKGS=(
    postgresql
    python3 python3-zmq python3-protobuf python3-psycopg2
    protobuf-compiler
    curl jq valgrind
)

# ---- added by later issues ---------------------------------------------------
# Packages the next issues need go here (one list, so .ci/run, `make run` and
# the Dockerfile stay in step), e.g.:
#   chromium            (dashboard page tests)
#   prometheus          (metrics scrape test)
#   docker-compose      (operators' issue)
#   wrk                 (make bench)
LATER_PKGS=(
    chromium fonts-wqy-microhei python3-websocket   # the live page's browser test
    prometheus                                      # promtool check metrics
    docker-compose                                  # docker-compose config -q (compose file)
    jq systemd                                      # deploy tests: jq, systemd-analyze verify
    libreoffice-writer-nogui fonts-noto-cjk         # gongkai document --format docx|pdf
    poppler-utils                                   # pdftotext: the PDF's text in tests
)
# -------------------------------------------------------------------------------

# make test-compose: an engine, and debootstrap for base images built locally.
# Not in the lists above: `make run` must not pull an engine onto a machine.
DOCKER_PKGS=(docker.io debootstrap)

PKGS=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${LATER_PKGS[@]}")
for a in "$@"; do
    [ "$a" = --build ] && PKGS=("${BUILD_PKGS[@]}")
    [ "$a" = --docker ] && PKGS=("${DOCKER_PKGS[@]}")
done
# Each name once, first mention first (two lists may name the same package).
mapfile -t PKGS < <(printf '%s\n' "${PKGS[@]}" | awk 'NF && !seen[$0]++')

usage() {
    # The comment block at the top of this file.
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}

mode=install
case "${1:-}" in --build | --docker) shift ;; esac
case "${1:-}" in
    "" | --build | --docker) ;;
    --check) mode=check ;;
    --list) printf '%s\n' "${PKGS[@]}"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-deps.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

# Packages of PKGS that dpkg does not report as installed.
missing() {
    local installed
    # dpkg-query exits 1 when it knows some name not at all: that is "missing" too.
    installed=$( { dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true; } \
                | awk '$2 == "installed" { print $1 }' | sort -u)
    local p
    for p in "${PKGS[@]}"; do
        grep -qxF "$p" <<<"$installed" || echo "$p"
    done
}

need_list=$(missing)
mapfile -t need <<<"$need_list"
[ -n "$need_list" ] || need=()

if [ "${#need[@]}" -eq 0 ]; then
    echo "install-deps: all ${#PKGS[@]} Debian packages present"
    exit 0
fi

if [ "$mode" = check ]; then
    echo "install-deps: missing: ${need[*]}" >&2
    exit 1
fi

echo "install-deps: installing ${#need[@]} missing package(s): ${need[*]}"
if [ "$(id -u)" = 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps: not root and no sudo; as root, run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${need[@]}"

still=$(missing)
if [ -n "$still" ]; then
    echo "install-deps: still missing after apt-get: ${still//$'\n'/ }" >&2
    exit 1
fi
echo "install-deps: done"
