# Shared shell functions for `make demo`, `make test` and `make build`.
# Each install step skips what is already present and fails loudly, naming what it could not get.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$ROOT/end2end"
WASM_BINDGEN_VERSION="0.2.130"
export PATH="$E2E/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

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

# Builds the browser bundle into target/site (pkg/hangar.js, hangar_bg.wasm, hangar.css,
# favicon), then swaps it into place so a running server never sees half a site.
build_site() {
  say "building the WASM bundle"
  (cd "$ROOT" && cargo build -p hangar-app --lib --target wasm32-unknown-unknown \
      --features hydrate --profile wasm-release)
  local out="$ROOT/target/site.new"
  rm -rf "$out" && mkdir -p "$out/pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" --out-name hangar \
    "$ROOT/target/wasm32-unknown-unknown/wasm-release/hangar_app.wasm"
  # binaryen 132 from npm: Debian's older wasm-opt produces a bundle that never hydrates.
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/pkg/hangar_bg.wasm" -o "$out/pkg/hangar_bg.wasm"
  cp "$ROOT/style/main.css" "$out/pkg/hangar.css"
  cp -r "$ROOT/public/." "$out/"
  for f in "$out"/pkg/*; do gzip -9 -k "$f"; done
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
}

stop_postgres() {
  [ -n "$PG_DIR" ] || return 0
  local run=()
  [ "$(id -u)" = 0 ] && run=(runuser -u hangar-pg --)
  "${run[@]}" pg_ctl -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}
