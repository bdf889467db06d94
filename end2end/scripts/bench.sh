#!/usr/bin/env bash
# make bench: throughput and latency of an authenticated team page against a trivial page of
# the same server (wrk, loopback, 32 connections), median of RUNS runs; plus server RSS.
# Results go to stdout as a Markdown table for docs/benchmarks.md.
source "$(dirname "$0")/lib.sh"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
# BIN=path measures that server binary as it is (e.g. one kept from before a change, or one
# built in another target directory), with the bundle already in target/site.
BIN="${BIN:-}"
install_node_modules
command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null || die "could not install wrk"; }
if [ -z "$BIN" ]; then
  install_rust_tools
  build_site
  (cd "$ROOT" && cargo build -p hangar-server --release)
  BIN="$ROOT/target/release/hangar"
fi

DIR="$(mktemp -d /tmp/hangar-bench.XXXXXX)"
HANGAR_PORT="$(free_port)"; IDP_PORT="$(free_port)"
URL="http://127.0.0.1:$HANGAR_PORT"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT

node "$E2E/idp/server.mjs" --port "$IDP_PORT" --client-secret bench \
  --redirect-uri "$URL/auth/callback" >"$DIR/idp.log" 2>&1 &
pids+=($!)
wait_for_http "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" 20 || die "IdP did not start"
write_bench_server_toml "$DIR/hangar.toml" "$HANGAR_PORT" "sqlite://$DIR/hangar.db"
cat "$E2E/fixtures/demo-teams.toml" >> "$DIR/hangar.toml"
HANGAR_BIN="$BIN" serve_bench_hangar "$DIR/hangar.toml" "$URL"

# Sign in as carol through the real provider, keeping Hangar's session cookie.
COOKIE="$(sign_in_as carol "$URL")"
[ -n "$COOKIE" ] || die "could not sign in"

say "measuring ($RUNS × $DURATION each)"
# The baseline: a data-free page through the same SSR pipeline, anonymous.
TRIVIAL="$(wrk_median "trivial SSR page (/auth/signed-out)" "$URL/auth/signed-out")"
# The server without SSR, but with the session lookup and every layer.
HEALTH="$(wrk_median "/healthz with a session cookie" "$URL/healthz" "Cookie: hangar=$COOKIE")"
TEAM="$(wrk_median "authenticated team page (/t/team_a)" "$URL/t/team_a" "Cookie: hangar=$COOKIE")"
RSS_KB="$(awk '/VmRSS/ {print $2}' /proc/$HANGAR_PID/status)"

print_bench_table page "$TRIVIAL" "$HEALTH" "$TEAM"
python3 - "$TRIVIAL" "$TEAM" "$RSS_KB" <<'PY'
import sys
trivial = float(sys.argv[1].split("\t")[1]); team = float(sys.argv[2].split("\t")[1])
print(f"\nauthenticated team page / trivial SSR page: {team / trivial:.0%} (target >= 70%, p99 <= 8 ms)")
print(f"server RSS after the runs: {int(sys.argv[3]) / 1024:.0f} MB")
PY
