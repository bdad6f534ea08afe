#!/usr/bin/env bash
# test_deploy_files — what operators deploy with, checked without a Docker
# engine (issue 7): docker-compose.yml passes `docker-compose config -q` and
# has what it promises (PostgreSQL 15 on a named volume, a one-shot
# migration, restart policies, a health check per service, secrets as files);
# deploy/Dockerfile builds with install-deps.sh and `make install` and runs
# as a non-root user; `make install DESTDIR=` installs the programs and
# systemd units that systemd-analyze accepts; the image's entrypoint turns
# the password file into a private pgpass; `gongkai health` tells a live
# service from a dead one; the configuration table (docs/operations.md) names every
# variable the programs read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agg.sh"
cd "$GK_REPO"
W=$GONGKAI_WORK
PY=/usr/bin/python3

# --- docker-compose.yml ------------------------------------------------------
command -v docker-compose >/dev/null || gk_fail "docker-compose is not installed (deploy/install-deps.sh)"
out=$(docker-compose -f docker-compose.yml config -q 2>&1) || gk_fail "docker-compose config -q: $out"
gk_ok "docker-compose config -q accepts docker-compose.yml"
docker-compose -f docker-compose.yml config >"$W/compose.yml" 2>"$W/compose.err" ||
    gk_fail "docker-compose config: $(cat "$W/compose.err")"
$PY - "$W/compose.yml" <<'EOF' || gk_fail "docker-compose.yml lacks something it promises (above)"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
need(set(s) == {"postgres", "keys", "migrate", "intake", "aggregator"}, f"services: {sorted(s)}")
ONE_SHOT = ("migrate", "keys")
pg = s["postgres"]
need(pg["image"].startswith("postgres:15"), "postgres: image postgres:15")
def volume_source(v):  # compose 1.x prints "src:dst:rw", newer ones a mapping
    return v.split(":")[0] if isinstance(v, str) else v.get("source")
need(any(volume_source(v) == "pgdata" for v in pg.get("volumes", [])), "postgres: named volume pgdata")
need("pgdata" in c.get("volumes", {}), "top-level volume pgdata")
need("POSTGRES_PASSWORD_FILE" in pg["environment"] and "POSTGRES_PASSWORD" not in pg["environment"],
     "postgres: password from a file, not the environment")
for name, svc in s.items():
    need("healthcheck" in svc or name in ONE_SHOT, f"{name}: healthcheck")
    need(svc.get("restart") in (("no",) if name in ONE_SHOT else ("unless-stopped", "always", "on-failure")),
         f"{name}: restart policy ({svc.get('restart')})")
    for k, v in svc.get("environment", {}).items():
        need(not (("PASSWORD" in k or "SECRET" in k) and not k.endswith("_FILE")),
             f"{name}: secret value in the environment ({k})")
    if name != "postgres":
        need(any((x if isinstance(x, str) else x.get("source")) == "postgres_password"
                 for x in svc.get("secrets", [])),
             f"{name}: postgres_password secret mounted")
        need(svc.get("user") in (None,) and svc.get("read_only") is True, f"{name}: read-only root, image's user")
for name in ("intake", "aggregator"):
    d = s[name]["depends_on"]
    need(d["migrate"]["condition"] == "service_completed_successfully", f"{name}: after the migration")
    need(d["postgres"]["condition"] == "service_healthy", f"{name}: after PostgreSQL is healthy")
need(s["migrate"]["command"] == ["gongkai", "migrate"], "migrate: runs gongkai migrate")
need("init-keys.sh" in " ".join(s["keys"]["command"]), "keys: makes the CURVE keys where missing")
for name in ("intake", "aggregator"):
    e = s[name]["environment"]
    need(e.get("GONGKAI_CERT") and e.get("GONGKAI_KEYS") and "GONGKAI_INSECURE" not in e,
         f"{name}: runs with CURVE keys")
    need(s[name]["depends_on"]["keys"]["condition"] == "service_completed_successfully",
         f"{name}: after the keys exist")
need("health" in s["intake"]["healthcheck"]["test"] and "--feed" in s["intake"]["healthcheck"]["test"],
     "intake: health check on the feed")
need("--http" in s["aggregator"]["healthcheck"]["test"], "aggregator: health check on /healthz")
need(all("file" in v for v in c.get("secrets", {}).values()), "secrets are files")
for p in problems:
    print("  missing:", p)
sys.exit(1 if problems else 0)
EOF
gk_ok "compose: PostgreSQL 15 + volume, one-shot migrate, restart policies, health checks, secrets as files"
grep -q 'CURVE keys' docker-compose.yml && grep -q 'GONGKAI_KEYS' docker-compose.yml ||
    gk_fail "compose: the CURVE keys stanza is missing"
gk_ok "compose: the CURVE keys stanza is there"

# --- deploy/Dockerfile -------------------------------------------------------
df=deploy/Dockerfile
gk_eq 2 "$(grep -c '^FROM debian:bookworm-slim' "$df")" "Dockerfile: two stages on debian:bookworm-slim"
grep -q '^RUN deploy/install-deps.sh' "$df" || gk_fail "Dockerfile: does not run deploy/install-deps.sh"
grep -q '^RUN make install PREFIX=/usr/local DESTDIR=' "$df" || gk_fail "Dockerfile: does not run make install"
gk_ok "Dockerfile: builds with deploy/install-deps.sh and make install"
user=$(awk '$1 == "USER" { u = $2 } END { print u }' "$df")
case "$user" in "" | root | root:* | 0 | 0:*) gk_fail "Dockerfile: runs as root ($user)" ;; esac
gk_ok "Dockerfile: runs as $user"
if grep -Eiq '^(ARG|ENV).*(PASSWORD|SECRET|KEY)' "$df"; then gk_fail "Dockerfile: a secret in ARG/ENV"; fi
grep -q '^deploy/secrets' .dockerignore || gk_fail ".dockerignore does not keep deploy/secrets out of the build"
gk_ok "Dockerfile: no secret in the image (none in ARG/ENV, deploy/secrets ignored)"
deploy/install-deps.sh --help >/dev/null 2>&1 || gk_fail "deploy/install-deps.sh --help failed"
deploy/install-deps.sh --list --build >"$W/build-pkgs" 2>&1 || gk_fail "install-deps.sh --list --build: $(cat "$W/build-pkgs")"
grep -qx make "$W/build-pkgs" && ! grep -qx chromium "$W/build-pkgs" ||
    gk_fail "install-deps.sh --build lists what builds, not the test tools: $(tr '\n' ' ' <"$W/build-pkgs")"
gk_ok "install-deps.sh --build: the build packages only"

# --- make install, systemd units -------------------------------------------------
root=$W/root
make -s install PREFIX=/usr/local DESTDIR="$root" BIN="$GONGKAI_BIN" -o all >"$W/install.log" 2>&1 ||
    gk_fail "make install DESTDIR=: $(cat "$W/install.log")"
for p in gongkai gongkai-intake gongkai-aggregator; do
    [ -x "$root/usr/local/bin/$p" ] || gk_fail "make install: no $root/usr/local/bin/$p"
done
"$root/usr/local/bin/gongkai" --help >/dev/null || gk_fail "installed gongkai --help"
gk_ok "make install PREFIX=/usr/local DESTDIR=…: the three programs"
for u in gongkai-migrate gongkai-intake gongkai-aggregator; do
    [ -f "$root/usr/local/share/gongkai/systemd/$u.service" ] || gk_fail "make install: no $u.service"
done
[ -x "$root/usr/local/share/gongkai/docker-entrypoint.sh" ] || gk_fail "make install: no docker-entrypoint.sh"
gk_ok "make install: systemd units, example environment, entrypoint"
grep -q '^Type=oneshot' deploy/systemd/gongkai-migrate.service || gk_fail "gongkai-migrate.service is not oneshot"
for u in intake aggregator; do
    grep -q '^Restart=on-failure' "deploy/systemd/gongkai-$u.service" || gk_fail "gongkai-$u: no Restart="
    grep -q '^Requires=gongkai-migrate.service' "deploy/systemd/gongkai-$u.service" ||
        gk_fail "gongkai-$u: does not require the migration"
    grep -q '^EnvironmentFile=/etc/gongkai/gongkai.env' "deploy/systemd/gongkai-$u.service" ||
        gk_fail "gongkai-$u: no EnvironmentFile"
done
gk_ok "systemd: migrate is a oneshot the services require; restart on failure; one environment file"
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$W/units"
    for u in "$root"/usr/local/share/gongkai/systemd/*.service; do
        sed "s|/usr/local/bin/|$root/usr/local/bin/|g" "$u" >"$W/units/${u##*/}"
    done
    out=$(SYSTEMD_UNIT_PATH="$W/units:" systemd-analyze verify "$W"/units/*.service 2>&1) ||
        gk_fail "systemd-analyze verify: $out"
    gk_ok "systemd-analyze verify accepts the three units"
else
    gk_note "systemd-analyze not here: units not verified"
fi

# --- runtime packages, the entrypoint ---------------------------------------------
pkgs=$(deploy/runtime-packages.sh "$root"/usr/local/bin/*) || gk_fail "runtime-packages.sh failed"
for p in libzmq5 libpq5 libmicrohttpd12 libprotobuf-c1; do
    grep -qx "$p" <<<"$pkgs" || gk_fail "runtime-packages.sh: $p missing from: $(tr '\n' ' ' <<<"$pkgs")"
done
gk_ok "runtime-packages.sh finds the libraries' packages"
printf '%s\n' 'p:ss\word' >"$W/pw"
out=$(env -i PATH=/usr/bin:/bin TMPDIR="$W" GONGKAI_DB_PASSWORD_FILE="$W/pw" deploy/docker-entrypoint.sh \
    sh -c 'cat "$PGPASSFILE"; stat -c %a "$PGPASSFILE"; env | grep -c "ss.word" || true')
gk_eq '*:*:*:*:p\:ss\\word
600
0' "$out" "entrypoint: the password becomes a private pgpass (escaped), not an environment value"
out=$(env -i PATH=/usr/bin:/bin deploy/docker-entrypoint.sh echo plain)
gk_eq plain "$out" "entrypoint: without a password file it just runs the command"

# --- gongkai health -----------------------------------------------------------------
rc=0; "$GK" health --feed "$GONGKAI_FEED" --timeout 0.5 2>/dev/null || rc=$?
gk_eq 1 "$rc" "gongkai health --feed: 1 while intake is down"
rc=0; "$GK" health --http "$GONGKAI_HTTP" --timeout 0.5 2>/dev/null || rc=$?
gk_eq 1 "$rc" "gongkai health --http: 1 while the aggregator is down"
intake_start
aggregator_start
"$GK" health --feed "$GONGKAI_FEED" --http "$GONGKAI_HTTP" || gk_fail "gongkai health with both up"
gk_ok "gongkai health: 0 with intake and the aggregator up"
rc=0; "$GK" health 2>/dev/null || rc=$?
gk_eq 2 "$rc" "gongkai health without a check: usage error"

# --- the configuration table (docs/operations.md) -------------------------------------
vars=$(grep -ho '"GONGKAI_[A-Z_]*"' intake/*.c aggregator/*.c cli/*.c lib/*/*.c | tr -d '"' | sort -u)
vars+=$'\n'$(grep -o 'GONGKAI_[A-Z_]*' deploy/gongkai.env.example docker-compose.yml deploy/run-local.sh | cut -d: -f2 | sort -u)
missing=
for v in $(sort -u <<<"$vars"); do
    grep -q "^| \`$v\`" docs/operations.md || missing+=" $v"
done
[ -z "$missing" ] || gk_fail "the configuration table (docs/operations.md) lacks:$missing"
gk_ok "the configuration table (docs/operations.md) names every variable the programs and deploy files read"
# --- make on a machine without the packages ------------------------------------
# pkg-config finds nothing: make stops at once, naming the packages and the
# command, before it compiles anything.
out=$(PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= make --no-print-directory -C "$GK_REPO" BUILD="$W/nobuild" all 2>&1) &&
    gk_fail "make succeeded without the packages: $out"
case "$out" in
*"missing: libczmq libzmq libprotobuf-c libpq jansson"*"deploy/install-deps.sh"*) ;;
*) gk_fail "make without the packages does not say what is missing and how to install it: $out" ;;
esac
[ ! -e "$W/nobuild" ] || gk_fail "make without the packages compiled something ($W/nobuild exists)"
[ "$(printf '%s\n' "$out" | grep -c .)" -le 2 ] || gk_fail "make without the packages said more than a line: $out"
gk_ok "make without the packages stops at once, naming them and deploy/install-deps.sh"
echo "# all checks passed"
