#!/usr/bin/env bash
# make bench-audit: the audit log viewer filtering 1,000,000 entries (ENTRIES; seeded by
# server/examples/seed_audit_log.rs over 180 days, a valid chain), on SQLite and on
# PostgreSQL. A platform admin pages the whole log and a team admin their team's part under
# typical filters; wrk on loopback with CONNECTIONS (default 4), medians of RUNS runs.
# Prints Markdown for docs/benchmarks.md.
source "$(dirname "$0")/lib.sh"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
ENTRIES="${ENTRIES:-1000000}"
# BACKENDS="postgres" measures one backend only.
BACKENDS="${BACKENDS:-sqlite postgres}"
TEAMS="${TEAMS:-50}"
install_rust_tools
install_node_modules
command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null || die "could not install wrk"; }
build_site
(cd "$ROOT" && cargo build -q -p hangar-server --release && cargo build -q -p hangar-server --release --example seed_audit_log)
SEED="$ROOT/target/release/examples/seed_audit_log"

start_bench_stack
TEAMS_TOML="$DIR/teams.toml"
write_bench_teams "$TEAMS_TOML" "$TEAMS"

# A day in the middle of the seeded span, for the time-range filter.
DAY="$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=90)).strftime("%Y-%m-%d"))')"

RESULTS=()
for backend in $BACKENDS; do
  if [ "$backend" = sqlite ]; then db="sqlite://$DIR/bench.db"; port="${HANGAR_PORTS[0]}"
  else db="$HANGAR_TEST_POSTGRES_URL"; port="${HANGAR_PORTS[1]}"; fi
  url="http://127.0.0.1:$port"
  say "seeding $backend: $ENTRIES audit entries"
  "$SEED" "$db" "$ENTRIES" "$TEAMS" >&2
  write_bench_server_toml "$DIR/hangar-$port.toml" "$port" "$db"
  cat "$TEAMS_TOML" >> "$DIR/hangar-$port.toml"
  serve_bench_hangar "$DIR/hangar-$port.toml" "$url"
  ALICE="$(sign_in_as alice "$url")"   # platform admin
  BOB="$(sign_in_as bob "$url" team_b)"   # team_b admin
  [ -n "$ALICE" ] && [ -n "$BOB" ] || die "could not sign in"
  # The background verification of the whole chain runs once at start; let it finish so
  # it does not share the CPU with the measurement.
  for _ in $(seq 120); do
    curl -fsS -H "Cookie: hangar=$ALICE" "$url/platform/audit" | grep -q 'data-intact="true"' && break
    sleep 1
  done
  curl -fsS -H "Cookie: hangar=$ALICE" "$url/platform/audit" | grep -q 'data-intact="true"' || die "the chain was not verified intact"
  rows="$(curl -fsS -H "Cookie: hangar=$ALICE" "$url/platform/audit?q=needle" | grep -o '<tr data-action=' | wc -l)"
  [ "$rows" -gt 0 ] || die "the rare word finds nothing"
  say "measuring $backend ($RUNS × $DURATION)"
  for case in \
      "alice|/platform/audit|newest page" \
      "alice|/platform/audit?team=bench_team_07&outcome=denied|team + outcome" \
      "alice|/platform/audit?action=deploy.review&from=$DAY&to=$DAY|action + one day" \
      "alice|/platform/audit?actor=Person%20123|actor by name" \
      "alice|/platform/audit?q=needle|rare text" \
      "alice|/platform/audit?q=nightly%20maintenance|common text" \
      "alice|/platform/audit?q=etl_123&outcome=failure|text + outcome" \
      "bob|/t/team_b/audit?q=etl_12|team admin: text"; do
    IFS='|' read -r who path label <<<"$case"
    cookie="$ALICE"; [ "$who" = bob ] && cookie="$BOB"
    RESULTS+=("$(CONNECTIONS="${CONNECTIONS:-4}" wrk_median "$backend: $label" "$url$path" "Cookie: hangar=$cookie")")
  done
  kill "$HANGAR_PID"; wait "$HANGAR_PID" 2>/dev/null || true
done

print_bench_table what "${RESULTS[@]}"
