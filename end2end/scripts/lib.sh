# Shared shell functions for `make demo`, `make test` and `make build`.
# Each install step skips what is already present and fails loudly, naming what it could not get.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$ROOT/end2end"
WASM_BINDGEN_VERSION="0.2.130"
export PATH="$E2E/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }

install_rust_tools() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown Rust target"
    rustup target add wasm32-unknown-unknown || die "could not install the Rust target wasm32-unknown-unknown (rustup target add)"
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
    # Not --locked: its lock file pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
      || die "could not install wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io"
  fi
  # Our bundle splitter and gzip (end2end/tools/split-bundle, about a minute the first time):
  # cargo rebuilds them only when their source changed.
  cargo install --quiet --locked --path "$E2E/tools/split-bundle" --target-dir "$ROOT/target/split-bundle" \
    || die "could not build the bundle tools (end2end/tools/split-bundle)"
}

install_node_modules() {
  if [ ! -d "$E2E/node_modules/oidc-provider" ] || [ ! -x "$E2E/node_modules/.bin/wasm-opt" ] \
     || [ "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]; then
    say "installing npm packages (oidc-provider, playwright-core, binaryen for wasm-opt)"
    (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error) \
      || die "could not install the npm packages in end2end/ (npm ci)"
  fi
}

install_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium for the browser tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
      || die "could not install chromium with apt-get (needed for the browser tests)"
  fi
}

# Builds the browser bundle into target/site, then swaps it into place so a running server
# never sees half a site. The linked WASM is split at the app's lazy routes: pkg/<id>/hangar.js
# and hangar_bg.wasm are the runtime and the shell every page loads; each page's own code is
# a `split_*.wasm` (with `chunk_*.wasm` for code several pages share) that the loader
# `__wasm_split.*.js` fetches, and `__wasm_split_manifest.json` tells the server which of
# them to preload for the page it renders.
build_site() {
  say "building the WASM bundle"
  # The crate is an rlib for the server; only the bundle is built as a cdylib. The splitter
  # needs the linker's relocations to see which function calls which.
  (cd "$ROOT" && cargo rustc -p hangar-app --lib --crate-type cdylib \
      --target wasm32-unknown-unknown --features hydrate --profile wasm-release \
      -- -C link-args=--emit-relocs)
  local out="$ROOT/target/site.new"
  rm -rf "$out" && mkdir -p "$out/pkg"
  hangar-split-bundle "$ROOT/target/wasm32-unknown-unknown/wasm-release/hangar_app.wasm" "$out/pkg" hangar
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$out/pkg" --out-name hangar "$out/pkg/hangar_split.wasm"
  rm "$out/pkg/hangar_split.wasm"
  # binaryen 132 from npm (Debian's older wasm-opt produces a bundle that never hydrates),
  # driven from one node process per batch: there are hundreds of small chunk files.
  find "$out/pkg" -name '*.wasm' -print0 \
    | xargs -0 -n 100 -P "$(nproc)" node "$E2E/scripts/optimize-wasm.mjs" 2> >(grep -v 'unknown name subsection' >&2)
  # The bundle moves under its content's id (pkg/<id>/, named in pkg/bundle-id, which the
  # server reads at start): a tab opened before a deploy never mixes builds, and browsers
  # may cache the files for good.
  local id
  id="$(cat "$out"/pkg/*.wasm "$out"/pkg/*.js "$out"/pkg/*.json | sha256sum | cut -c1-16)"
  mkdir "$out/pkg/$id"
  find "$out/pkg" -maxdepth 1 -type f -exec mv -t "$out/pkg/$id" {} +
  echo "$id" > "$out/pkg/bundle-id"
  cp "$ROOT/style/main.css" "$out/pkg/hangar.css"
  cp -r "$ROOT/public/." "$out/"
  # Zopfli's gzip, ~4 % smaller than `gzip -9` (end2end/tools/split-bundle).
  find "$out/pkg/$id" "$out/pkg/hangar.css" -type f ! -name '*.gz' -print0 | xargs -0 hangar-gzip-bundle \
    || die "could not gzip the bundle"
  rm -rf "$ROOT/target/site.old"
  [ -d "$ROOT/target/site" ] && mv "$ROOT/target/site" "$ROOT/target/site.old"
  mv "$out" "$ROOT/target/site"
  rm -rf "$ROOT/target/site.old"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_http() { # url seconds
  python3 - "$1" "$2" <<'PY'
import sys, time, urllib.request
url, deadline = sys.argv[1], time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        if urllib.request.urlopen(url, timeout=2).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(1)
PY
}

# A throwaway PostgreSQL cluster on a free loopback port, from the installed server binaries.
# Sets HANGAR_TEST_POSTGRES_URL; stop_postgres removes everything.
PG_DIR=""
start_postgres() {
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null \
    || die "PostgreSQL server binaries (initdb, pg_ctl) are not on PATH"
  PG_DIR="$(mktemp -d /tmp/hangar-pg.XXXXXX)"
  local port; port="$(free_port)"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: use an unprivileged system user of our own.
    id hangar-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin hangar-pg \
      || die "could not create the hangar-pg user to run PostgreSQL"
    chown hangar-pg "$PG_DIR"
    run=(runuser -u hangar-pg --)
  fi
  "${run[@]}" initdb -D "$PG_DIR/data" -U hangar --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  "${run[@]}" pg_ctl -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  export HANGAR_TEST_POSTGRES_URL="postgres://hangar@127.0.0.1:$port/postgres"
  say "throwaway PostgreSQL on 127.0.0.1:$port"
  start_postgres_tls
}

# A second throwaway cluster that accepts TLS only (pg_hba.conf has hostssl lines and
# nothing else for TCP), with certificates made here by a CA of its own: the server's is
# for "localhost" only, so verify-full passes through localhost and fails through 127.0.0.1.
# The role hangar_cert signs in with a client certificate (cert authentication).
# Sets HANGAR_TEST_POSTGRES_TLS_URL (no sslmode: tests add it) and
# HANGAR_TEST_POSTGRES_TLS_DIR (ca.crt, client.crt, client.key).
start_postgres_tls() {
  command -v openssl >/dev/null || {
    say "installing openssl (the TLS PostgreSQL's test certificates)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; } \
      || die "openssl is needed to make the TLS PostgreSQL's test certificates; apt-get could not install it"
  }
  local dir="$PG_DIR/tls" port; port="$(free_port)"
  mkdir -p "$dir"
  ( cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 \
      -keyout ca.key -out ca.crt -subj "/CN=Hangar test database CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    sign() { # name subject extensions
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
        -out "$1.csr" -subj "$2"
      printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "$3" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3 \
        -extfile "$1.ext" -out "$1.crt"
    }
    sign server "/CN=localhost" "extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost"
    sign client "/CN=hangar_cert" "extendedKeyUsage=clientAuth"
  ) >"$PG_DIR/tls-certificates.log" 2>&1 || { cat "$PG_DIR/tls-certificates.log" >&2; die "could not make the test certificates"; }
  local run=()
  if [ "$(id -u)" = 0 ]; then
    chown -R hangar-pg "$dir"
    run=(runuser -u hangar-pg --)
  fi
  chmod 600 "$dir/server.key"
  "${run[@]}" initdb -D "$PG_DIR/tls-data" -U hangar --auth=trust -E UTF8 >"$PG_DIR/tls-initdb.log" 2>&1 \
    || { cat "$PG_DIR/tls-initdb.log" >&2; die "initdb (TLS cluster) failed"; }
  cat > "$PG_DIR/tls-data/pg_hba.conf" <<HBA
local   all  all                       trust
hostssl all  hangar_cert  127.0.0.1/32 cert
hostssl all  all          127.0.0.1/32 trust
HBA
  "${run[@]}" pg_ctl -D "$PG_DIR/tls-data" -l "$PG_DIR/tls-server.log" -w -t 30 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=50 \
        -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key -c ssl_ca_file=$dir/ca.crt" \
    start >/dev/null || { cat "$PG_DIR/tls-server.log" >&2; die "the TLS PostgreSQL did not start"; }
  psql -q -h "$PG_DIR" -p "$port" -U hangar -d postgres -c "CREATE ROLE hangar_cert LOGIN SUPERUSER" \
    || die "could not create the hangar_cert role"
  # Readable by the tests (the key's owner is the PostgreSQL user when running as root).
  chmod 644 "$dir/client.key" "$dir/client.crt" "$dir/ca.crt"
  export HANGAR_TEST_POSTGRES_TLS_URL="postgres://hangar@127.0.0.1:$port/postgres"
  export HANGAR_TEST_POSTGRES_TLS_DIR="$dir"
  say "throwaway TLS-only PostgreSQL on 127.0.0.1:$port"
}

stop_postgres() {
  [ -n "$PG_DIR" ] || return 0
  local run=() data
  [ "$(id -u)" = 0 ] && run=(runuser -u hangar-pg --)
  for data in "$PG_DIR/data" "$PG_DIR/tls-data"; do
    [ -d "$data" ] && "${run[@]}" pg_ctl -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$PG_DIR"
  PG_DIR=""
}

# A real Apache Airflow from PyPI, in multi-team mode, on loopback only: 3.3.2 by default,
# or AIRFLOW_VERSION=3.4.0b2 (the newest 3.4 installable here; a pre-release, so --pre).
# Each version is pinned by its own constraints file, and its virtualenv is cached per
# constraints file, so it installs once per machine.
AIRFLOW_VERSION="${AIRFLOW_VERSION:-3.3.2}"
AIRFLOW_VENV=""
install_airflow() {
  local constraints pre=()
  case "$AIRFLOW_VERSION" in
    3.3.2) constraints="$E2E/airflow/constraints.txt" ;;
    3.4.0b2) constraints="$E2E/airflow/constraints-3.4.txt"; pre=(--pre) ;;
    *) die "AIRFLOW_VERSION=$AIRFLOW_VERSION: the tests know 3.3.2 and 3.4.0b2" ;;
  esac
  local key; key="$(sha256sum "$constraints" | cut -c1-12)"
  AIRFLOW_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/hangar/airflow-$key"
  if [ ! -x "$AIRFLOW_VENV/bin/airflow" ]; then
    say "installing Apache Airflow $AIRFLOW_VERSION into $AIRFLOW_VENV (about a minute, once)"
    rm -rf "$AIRFLOW_VENV"
    python3 -m venv "$AIRFLOW_VENV" || die "could not create a Python virtualenv for Airflow"
    "$AIRFLOW_VENV/bin/pip" install -q --disable-pip-version-check "${pre[@]}" -c "$constraints" \
      "apache-airflow==$AIRFLOW_VERSION" apache-airflow-providers-git==1.0.1 \
      || { rm -rf "$AIRFLOW_VENV"; die "could not install apache-airflow==$AIRFLOW_VERSION from PyPI"; }
    # Virtualenvs of earlier constraints of the same version are dead weight (about 1 GB
    # each); the other version's stays.
    local old
    for old in "$(dirname "$AIRFLOW_VENV")"/airflow-*; do
      [ "$old" != "$AIRFLOW_VENV" ] || continue
      if compgen -G "$old/lib/python3*/site-packages/apache_airflow-$AIRFLOW_VERSION.dist-info" >/dev/null; then
        rm -rf "$old"
      fi
    done
  fi
}

# PostgreSQL drivers for an Airflow whose metadata database is PostgreSQL (the benchmark's:
# under concurrent load the SQLite one stops answering). Pinned like the rest of the venv.
install_airflow_postgres_drivers() {
  install_airflow
  "$AIRFLOW_VENV/bin/python" -c 'import psycopg2, asyncpg' 2>/dev/null && return 0
  say "installing Airflow's PostgreSQL drivers (psycopg2-binary, asyncpg)"
  "$AIRFLOW_VENV/bin/pip" install -q --disable-pip-version-check psycopg2-binary==2.9.13 asyncpg==0.32.0 \
    || die "could not install psycopg2-binary and asyncpg from PyPI"
}

# The demo's DAG repository, bare, at $1 (end2end/airflow/dag-repository/README.md): `main`
# holds a base commit and alice's change on top; `deploy/team_a` holds the base commit, and
# Airflow's team_a_repo bundle tracks it. Fixed names and dates make the commits the same on
# every machine.
create_dag_repository() {
  local bare="$1" work; work="$(mktemp -d /tmp/hangar-dag-repo.XXXXXX)"
  local source="$E2E/airflow/dag-repository"
  local git=(env GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$work")
  # commit_as NAME EMAIL DATE MESSAGE: commits the work tree as that person, at that time.
  commit_as() {
    "${git[@]}" add -A
    GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_AUTHOR_DATE="$3" \
      GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2" GIT_COMMITTER_DATE="$3" \
      "${git[@]}" commit -q -m "$4"
  }
  rm -rf "$bare"
  "${git[@]}" init -q -b main
  cp -r "$source/base/." "$work/"
  commit_as "Dana Platform" dana@platform.example 2026-11-01T09:00:00Z \
    "Lay out the DAG repository: a folder per team and common/"
  "${git[@]}" branch deploy/team_a
  cp -r "$source/change/." "$work/"
  commit_as "Alice Admin" alice@example.com 2026-11-02T10:30:00Z \
    "Publish the daily extract (team_a_publish)"
  env GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git clone -q --bare "$work" "$bare" \
    || die "could not create the DAG repository at $bare"
  rm -rf "$work"
}

# Starts api-server, scheduler and dag-processor in their own process groups. Teams team_a
# and team_b own a bundle each; the "shared" bundle belongs to no team. "other_dags" (no
# team) is one Hangar's test configuration does not map; "team_a_extra" and "team_b_extra"
# (empty) let a test define one dag_id in two teams' bundles. Team `examples` owns
# Airflow's own example DAGs (examples_core: airflow/example_dags; examples_standard: the
# standard provider's), a real estate's shapes: mapping, groups, branching, setup/teardown,
# and Hangar's own log DAGs (examples_hangar). A second dag-processor parses Airflow's
# examples once (min_file_process_interval of an hour) and creates them paused, so they cost
# nothing until a test unpauses and triggers the few it needs.
# Users (passwords are fixed here, for tests and the demo): hangar (admin, all teams),
# team_a_svc and team_b_svc (one team each). Team A also owns team_a_repo, a git bundle tracking `deploy/team_a` of the
# DAG repository at $AIRFLOW_DIR/dags.git (create_dag_repository), which Hangar deploys to.
# Exports HANGAR_TEST_AIRFLOW_URL, HANGAR_TEST_AIRFLOW_PASSWORD and HANGAR_TEST_DAG_REPOSITORY.
# The metadata database is SQLite in the Airflow directory unless AIRFLOW_METADATA_DB is a
# PostgreSQL URL (postgres:// or postgresql://; needs install_airflow_postgres_drivers).
AIRFLOW_DIR=""
AIRFLOW_PIDS=()
start_airflow() {
  install_airflow
  AIRFLOW_DIR="${1:-$(mktemp -d /tmp/hangar-airflow.XXXXXX)}"
  local port; port="$(free_port)"
  local url="http://127.0.0.1:$port"
  mkdir -p "$AIRFLOW_DIR/home" "$AIRFLOW_DIR/dags"
  cp -r "$E2E/airflow/dags/." "$AIRFLOW_DIR/dags/"
  mkdir -p "$AIRFLOW_DIR/dags/team_a_extra" "$AIRFLOW_DIR/dags/team_b_extra"
  create_dag_repository "$AIRFLOW_DIR/dags.git"
  local password="hangar-airflow-admin"
  cat > "$AIRFLOW_DIR/home/simple_auth_manager_passwords.json.generated" <<JSON
{"hangar": "$password", "team_a_svc": "team-a-airflow", "team_b_svc": "team-b-airflow"}
JSON
  export AIRFLOW_HOME="$AIRFLOW_DIR/home"
  if [ -n "${AIRFLOW_METADATA_DB:-}" ]; then
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(sed -E 's#^postgres(ql)?://#postgresql+psycopg2://#' <<<"$AIRFLOW_METADATA_DB")"
  else
    unset AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
  fi
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
  export AIRFLOW__CORE__PARALLELISM=4
  export AIRFLOW__CORE__MULTI_TEAM=True
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="hangar:admin:team_a|team_b|examples,team_a_svc:op:team_a,team_b_svc:op:team_b"
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="$url/execution/"
  export AIRFLOW__API__HOST=127.0.0.1
  export AIRFLOW__API__PORT="$port"
  export AIRFLOW__API__BASE_URL="$url"
  export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10
  # Git bundles clone under this; the default (/tmp/airflow) would be shared by every Airflow
  # on the machine, and keep clones of repositories that no longer exist.
  export AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH="$AIRFLOW_DIR/dag_bundles"
  # Where the installed Airflow keeps its example DAGs (read in place, never written).
  local examples
  examples="$(echo "$AIRFLOW_VENV"/lib/python3*/site-packages/airflow)"
  [ -d "$examples/example_dags" ] || die "no example DAGs in the installed Airflow ($examples)"
  export AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST="[
    {\"name\": \"team_a_dags\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$AIRFLOW_DIR/dags/team_a\"}, \"team_name\": \"team_a\"},
    {\"name\": \"team_b_dags\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$AIRFLOW_DIR/dags/team_b\"}, \"team_name\": \"team_b\"},
    {\"name\": \"team_a_repo\", \"classpath\": \"airflow.providers.git.bundles.git.GitDagBundle\", \"kwargs\": {\"repo_url\": \"$AIRFLOW_DIR/dags.git\", \"tracking_ref\": \"deploy/team_a\", \"subdir\": \"team_a\"}, \"team_name\": \"team_a\"},
    {\"name\": \"shared_dags\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$AIRFLOW_DIR/dags/shared\"}},
    {\"name\": \"other_dags\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$AIRFLOW_DIR/dags/other\"}},
    {\"name\": \"team_a_extra\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$AIRFLOW_DIR/dags/team_a_extra\"}, \"team_name\": \"team_a\"},
    {\"name\": \"team_b_extra\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$AIRFLOW_DIR/dags/team_b_extra\"}, \"team_name\": \"team_b\"},
    {\"name\": \"examples_core\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$examples/example_dags\"}, \"team_name\": \"examples\"},
    {\"name\": \"examples_standard\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$examples/providers/standard/example_dags\"}, \"team_name\": \"examples\"},
    {\"name\": \"examples_hangar\", \"classpath\": \"airflow.dag_processing.bundles.local.LocalDagBundle\", \"kwargs\": {\"path\": \"$AIRFLOW_DIR/dags/examples\"}, \"team_name\": \"examples\"}
  ]"
  local af="$AIRFLOW_VENV/bin/airflow"
  say "starting Airflow $AIRFLOW_VERSION on $url (multi-team: team_a, team_b, examples, shared)"
  "$af" db migrate >"$AIRFLOW_DIR/migrate.log" 2>&1 || { tail -20 "$AIRFLOW_DIR/migrate.log" >&2; die "airflow db migrate failed"; }
  for team in team_a team_b examples; do
    "$af" teams create "$team" >>"$AIRFLOW_DIR/migrate.log" 2>&1 || die "airflow teams create $team failed"
  done
  setsid "$af" api-server -H 127.0.0.1 -p "$port" >"$AIRFLOW_DIR/api-server.log" 2>&1 &
  AIRFLOW_PIDS+=($!)
  # Restarted when it dies, as a production supervisor would: on SQLite a write that waits too
  # long for the database's lock ("database is locked") ends the scheduler, and every run
  # after that would stay queued (seen in a test run on a machine busy with a build).
  setsid bash -c 'while :; do "$0" scheduler --skip-serve-logs; echo "hangar: the scheduler exited ($?); starting it again"; sleep 1; done' \
    "$af" >"$AIRFLOW_DIR/scheduler.log" 2>&1 &
  AIRFLOW_PIDS+=($!)
  # Every bundle but the examples, at the usual pace; the examples in a processor of their own
  # that parses them once and creates their DAGs paused.
  local bundle_args=()
  while read -r name; do bundle_args+=(--bundle-name "$name"); done < <(python3 -c '
import json, os
for b in json.loads(os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"]):
    if b["name"] not in ("examples_core", "examples_standard"): print(b["name"])')
  setsid "$af" dag-processor "${bundle_args[@]}" >"$AIRFLOW_DIR/dag-processor.log" 2>&1 &
  AIRFLOW_PIDS+=($!)
  # Both processors register the bundles when they start; started together they race on
  # dag_bundle's unique name and one dies (seen: the fixtures' processor, so no test DAG was
  # ever parsed). The examples' processor starts once the first has logged its manager's
  # first report (at most a minute).
  for _ in $(seq 1 60); do
    grep -q "DagFileProcessorManager" "$AIRFLOW_DIR/dag-processor.log" 2>/dev/null && break
    sleep 1
  done
  AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=3600 \
    AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=3600 \
    setsid "$af" dag-processor --bundle-name examples_core --bundle-name examples_standard \
    >"$AIRFLOW_DIR/dag-processor-examples.log" 2>&1 &
  AIRFLOW_PIDS+=($!)
  wait_for_http "$url/api/v2/monitor/health" 90 \
    || { tail -30 "$AIRFLOW_DIR/api-server.log" >&2; die "Airflow's API did not become healthy on $url"; }
  export HANGAR_TEST_AIRFLOW_URL="$url"
  export HANGAR_TEST_AIRFLOW_VERSION="$AIRFLOW_VERSION"
  # With the AIRFLOW_* settings above, tests can start another API server on this Airflow
  # (server/tests/airflow_outage.rs stops and restarts one).
  export HANGAR_TEST_AIRFLOW_BIN="$af"
  export HANGAR_TEST_AIRFLOW_PASSWORD="$password"
  export HANGAR_TEST_DAG_REPOSITORY="$AIRFLOW_DIR/dags.git"
  # Bundle folders tests may write DAG files into (team_a_extra, team_b_extra: a second
  # bundle of each team, empty at start).
  export HANGAR_TEST_AIRFLOW_DAGS="$AIRFLOW_DIR/dags"
}

stop_airflow() {
  for pid in "${AIRFLOW_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${AIRFLOW_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  AIRFLOW_PIDS=()
  [ -n "$AIRFLOW_DIR" ] && rm -rf "$AIRFLOW_DIR"
  AIRFLOW_DIR=""
}

# --- benchmarks (make bench, make bench-airflow) ---

# sign_in_as user url [team]: signs in through the real provider, landing on the team's
# page (default team_a); prints Hangar's session cookie.
sign_in_as() {
  python3 - "$2" "$1" "${3:-team_a}" <<'PY'
import sys, urllib.request, http.cookiejar
url, user, team = sys.argv[1], sys.argv[2], sys.argv[3]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = opener.open(f"{url}/auth/login?return_to=/t/{team}&login_hint={user}").read().decode()
assert "data-testid=\"team-role\"" in page, "sign-in failed"
print(next(c.value for c in jar if c.name == "hangar"))
PY
}

# wrk_median name url [header]: RUNS runs of DURATION (after a 3 s warm-up) with 2 threads
# and CONNECTIONS (default 32) connections; prints "name<TAB>req/s<TAB>p50 ms<TAB>p99 ms",
# medians over the runs. Any non-2xx/3xx answer fails the benchmark: an error page is not a
# fast page.
wrk_median() {
  local args=(-t2 "-c${CONNECTIONS:-32}" --latency --timeout 30s)
  [ -n "${3:-}" ] && args+=(-H "$3")
  local file; file="$(mktemp /tmp/hangar-wrk.XXXXXX)"
  wrk "${args[@]}" -d3s "$2" >/dev/null
  for _ in $(seq "$RUNS"); do wrk "${args[@]}" "-d$DURATION" "$2"; done > "$file"
  python3 - "$file" "$1" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
rps = [float(x) for x in re.findall(r"Requests/sec:\s+([\d.]+)", text)]
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
p50 = [ms(v, u) for v, u in re.findall(r"\s50%\s+([\d.]+)(us|ms|s)", text)]
p99 = [ms(v, u) for v, u in re.findall(r"\s99%\s+([\d.]+)(us|ms|s)", text)]
non2xx = re.findall(r"Non-2xx or 3xx responses: (\d+)", text)
assert not non2xx, f"{sys.argv[2]}: {non2xx} error responses"
# wrk prints no latency table when nothing completed: say so instead of a median of nothing.
assert len(p50) == len(rps) and rps, f"{sys.argv[2]}: no request completed\n{text}"
print(f"{sys.argv[2]}\t{statistics.median(rps):.0f}\t{statistics.median(p50):.2f}\t{statistics.median(p99):.2f}")
PY
  rm -f "$file"
}

# start_bench_stack: what the two-backend benchmarks share: DIR (removed on exit), the
# test IdP on IDP_PORT for two Hangars on HANGAR_PORTS, and a throwaway PostgreSQL.
# Background processes go in `pids`, killed on exit.
start_bench_stack() {
  DIR="$(mktemp -d /tmp/hangar-bench.XXXXXX)"
  IDP_PORT="$(free_port)"
  HANGAR_PORTS=("$(free_port)" "$(free_port)")
  pids=()
  trap stop_bench_stack EXIT
  local redirects=() port
  for port in "${HANGAR_PORTS[@]}"; do redirects+=(--redirect-uri "http://127.0.0.1:$port/auth/callback"); done
  node "$E2E/idp/server.mjs" --port "$IDP_PORT" --client-secret bench "${redirects[@]}" >"$DIR/idp.log" 2>&1 &
  pids+=($!)
  wait_for_http "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" 20 || die "IdP did not start"
  start_postgres
}

stop_bench_stack() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_postgres 2>/dev/null || true
  rm -rf "$DIR"
}

# write_bench_server_toml file port db: a benchmark Hangar's configuration on `port` and
# database `db`, signing in through start_bench_stack's IdP, logging warnings only.
write_bench_server_toml() {
  cat > "$1" <<TOML
[server]
listen = "127.0.0.1:$2"
public_url = "http://127.0.0.1:$2"
site_root = "$ROOT/target/site"
[database]
url = "$3"
[oidc]
issuer = "http://127.0.0.1:$IDP_PORT"
client_id = "hangar"
client_secret = "bench"
[log]
level = "warn"
# wrk is one client asking tens of thousands of times a second: the per-client limits would
# answer most of it 429 (which wrk_median refuses), measuring the limiter, not the page.
[limits]
requests_per_ip = 1000000000
requests_per_session = 1000000000
TOML
}

# serve_bench_hangar config url: the release server (HANGAR_BIN, default
# target/release/hangar) on `config`, logging next to it; sets HANGAR_PID (also in `pids`)
# and waits until it is ready.
serve_bench_hangar() {
  "${HANGAR_BIN:-$ROOT/target/release/hangar}" serve --config "$1" >"${1%.toml}.log" 2>&1 &
  HANGAR_PID=$!
  pids+=($HANGAR_PID)
  wait_for_http "$2/readyz" 60 || { tail -20 "${1%.toml}.log" >&2; die "Hangar did not start"; }
}

# print_bench_table heading result...: wrk_median's lines as a Markdown table for
# docs/benchmarks.md (a line without latencies leaves those cells empty).
print_bench_table() {
  local heading="$1" line name rps p50 p99
  shift
  echo
  echo "| $heading | req/s (median) | p50 ms | p99 ms |"
  echo "|---|---:|---:|---:|"
  for line in "$@"; do
    IFS=$'\t' read -r name rps p50 p99 <<<"$line"
    if [ -z "$p50" ]; then echo "| $name | $rps | | |"; else echo "| $name | $rps | $p50 | $p99 |"; fi
  done
}

# prepare_seeded_bench: what the read-model benchmarks need before they start: tools, wrk,
# the bundle, the release server and the seeder (its path in SEED).
prepare_seeded_bench() {
  install_rust_tools
  install_node_modules
  command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null || die "could not install wrk"; }
  build_site
  (cd "$ROOT" && cargo build -q -p hangar-server --release && cargo build -q -p hangar-server --release --example seed_read_model)
  SEED="$ROOT/target/release/examples/seed_read_model"
}

# write_bench_teams file teams: the demo's teams plus `teams` synthetic ones
# (bench_team_00 …) into `file`; sets BUNDLES to the `[[airflow]] bundles` entries mapping
# each synthetic team's bundle to it, as seed_read_model names them.
write_bench_teams() {
  cp "$E2E/fixtures/demo-teams.toml" "$1"
  BUNDLES=""
  local t name
  for t in $(seq 0 $(($2 - 1))); do
    name="$(printf 'bench_team_%02d' "$t")"
    printf '\n[[teams]]\nname = "%s"\n' "$name" >> "$1"
    BUNDLES="$BUNDLES${BUNDLES:+, }${name}_dags = \"$name\""
  done
}
