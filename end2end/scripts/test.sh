#!/usr/bin/env bash
# make test: installs what is missing, then runs every test Hangar has:
#   format and lints, unit tests, integration tests on SQLite and PostgreSQL (plain and
#   TLS-only) against the real identity provider and a real Airflow 3.3.2, the Airflow-facing
#   integration tests again against Airflow 3.4.0b2, and the browser suite (Chromium,
#   JavaScript on and off) against the release-built WASM bundle.
# Set HANGAR_TEST_POSTGRES_URL to use your own PostgreSQL; otherwise a throwaway cluster is
# started from the installed server binaries and removed afterwards. Likewise
# HANGAR_TEST_AIRFLOW_URL (+ _PASSWORD for user "hangar"); otherwise Airflow 3.3.2 is
# installed from PyPI (pinned, cached) and started on loopback. The Airflow 3.4 pass starts
# its own 3.4.0b2 the same way (pinned by end2end/airflow/constraints-3.4.txt).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# A test run builds everything once: cargo's incremental caches would only take disk (they
# were the larger half of target/, and a CI machine ran out of space with them). Set
# CARGO_INCREMENTAL=1 to keep them for repeated local runs.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# A full run writes about 4.5 GB under target/ and up to 1.5 GB elsewhere (README, "make
# test"); say so up front rather than let a linker fail on a full disk.
free_gb=$(( $(df -Pk "$ROOT" | awk 'NR == 2 {print $4}') / 1024 / 1024 ))
[ "$free_gb" -ge 6 ] || warn "only ${free_gb} GB free on the disk holding $ROOT; a full test run needs about 6 GB"

install_rust_tools
install_node_modules
install_chromium
command -v node >/dev/null || die "node is not installed"

say "cargo fmt --check"
cargo fmt --all -- --check || die "code is not formatted: run cargo fmt --all"

say "cargo clippy (server and tests, then the WASM bundle)"
cargo clippy -p hangar-server --all-targets -- -D warnings
cargo clippy -p hangar-app --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

say "the WASM bundle depends on no server-only crate"
server_only="$(cargo tree -p hangar-app --target wasm32-unknown-unknown --features hydrate -e normal \
  --prefix none | awk '{print $1}' | sort -u \
  | grep -E '^(sqlx.*|openidconnect|oauth2|tower-sessions.*|axum.*|leptos_axum|reqwest|hyper.*|tokio.*|mimalloc|utoipa.*|governor|moka|rustls.*|ring|webpki.*|opentelemetry.*|tracing-opentelemetry|rcgen)$' || true)"
[ -z "$server_only" ] || die "server-only crates in the WASM dependency tree: $server_only"

if [ -z "${HANGAR_TEST_POSTGRES_URL:-}" ]; then
  start_postgres
fi
if [ -z "${HANGAR_TEST_AIRFLOW_URL:-}" ]; then
  start_airflow
fi
trap 'stop_postgres; stop_airflow' EXIT
trap 'exit 130' INT TERM

LOG_DIR="$(mktemp -d /tmp/hangar-test-logs.XXXXXX)"
say "unit and integration tests (SQLite and PostgreSQL)"
cargo test --workspace --no-fail-fast -- --test-threads 2 2>&1 | tee "$LOG_DIR/cargo.log"

say "browser tests: building what the browser gets"
build_site
cargo build -p hangar-server
say "browser tests (Chromium; JavaScript on and off)"
(cd "$E2E" && HANGAR_BIN="$ROOT/target/debug/hangar" HANGAR_SITE="$ROOT/target/site" \
  node --test --test-concurrency=1 tests/) 2>&1 | tee "$LOG_DIR/browser.log"

# The integration tests that talk to Airflow, again against the newest 3.4 installable here:
# the 3.3.2 Airflow stops first (two would share the two cores).
AIRFLOW_FACING=(airflow_client:: airflow_outage:: airflow_sync:: airflow_3_4:: connections::
  dag_actions:: dag_details:: dags_page:: examples:: live:: ownership:: pools:: private_ca::
  run_window:: task_logs:: variables::)
stop_airflow
AIRFLOW_VERSION=3.4.0b2 start_airflow
say "the Airflow-facing integration tests against Airflow $HANGAR_TEST_AIRFLOW_VERSION"
cargo test -p hangar-server --test it --no-fail-fast -- --test-threads 2 "${AIRFLOW_FACING[@]}" 2>&1 \
  | tee -a "$LOG_DIR/cargo.log"

# One closing line for the whole run (cargo's and node's counts added up).
passed=$(( $(awk '/^test result:/ {s += $4} END {print s + 0}' "$LOG_DIR/cargo.log") \
         + $(awk '/^# pass/ {s += $3} END {print s + 0}' "$LOG_DIR/browser.log") ))
failed=$(( $(awk '/^test result:/ {s += $6} END {print s + 0}' "$LOG_DIR/cargo.log") \
         + $(awk '/^# fail/ {s += $3} END {print s + 0}' "$LOG_DIR/browser.log") ))
rm -rf "$LOG_DIR"
echo "all: $passed passed, $failed failed"
