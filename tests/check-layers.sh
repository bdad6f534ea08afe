#!/bin/sh
# check-layers.sh — no #include in lib/ points up a layer (`make check-layers`,
# run by `make test`).
#
#   core       alloc buf config hash log map sha256 utf8 waiting  uses nothing of ours
#   model      event jsonl codec day money                  uses core
#   rules      ledger tables deadline calendar timeliness   uses model, core
#   report     template render document convert htmltext reportcheck reportimport  uses rules, model, core
#   store      db logread narrative release                 uses model, core
#   transport  wire curve keys auth net metrics             uses model, core
#   client     client (libgongkai-client)                   uses transport, model, core
#
# store and transport sit beside rules: neither uses the other, nor rules or
# report. The services and the CLI (intake/, aggregator/, cli/) may use all.
# Prints each offending include as FILE:LINE: ... and exits 1; 0 when none.
set -eu
cd "$(dirname "$0")/.."

allowed() { # layer → the layers its files may include
    case "$1" in
        core) echo "core" ;;
        model) echo "core model" ;;
        rules) echo "core model rules" ;;
        report) echo "core model rules report" ;;
        store) echo "core model store" ;;
        transport) echo "core model transport" ;;
        client) echo "core model transport client" ;;
        *) echo "" ;;
    esac
}

bad=0
for f in lib/*/*.c lib/*/*.h; do
    layer=$(basename "$(dirname "$f")")
    ok=$(allowed "$layer")
    if [ -z "$ok" ]; then
        echo "$f: lib/$layer is not a layer (core model rules report store transport client)"
        bad=1
        continue
    fi
    # Each quoted include, with its line number.
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r hit; do
        line=${hit%%:*}
        name=$(printf '%s\n' "$hit" | sed 's/.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/')
        target=$(ls lib/*/"$name" 2>/dev/null | head -1)
        [ -n "$target" ] || continue # generated (gongkai.pb-c.h) or not ours
        tl=$(basename "$(dirname "$target")")
        case " $ok " in
            *" $tl "*) ;;
            *) echo "$f:$line: includes $name of lib/$tl, a layer $layer may not use (it uses: $ok)"
               echo bad >>"${TMPDIR:-/tmp}/check-layers.$$" ;;
        esac
    done
done
if [ -e "${TMPDIR:-/tmp}/check-layers.$$" ]; then
    rm -f "${TMPDIR:-/tmp}/check-layers.$$"
    bad=1
fi
if [ "$bad" = 0 ]; then
    echo "check-layers: lib/ includes only downward ($(ls lib/*/*.[ch] | wc -l) files)"
fi
exit "$bad"
