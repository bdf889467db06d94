#!/usr/bin/env bash
# make bench-platform: the platform overview (/platform) at 50 teams × 200 DAGs = 10,000
# DAGs and 1,000,000 runs (plus pools and a deploy history, all from
# server/examples/seed_read_model.rs), on SQLite and on PostgreSQL, signed in as a platform
# admin. wrk on loopback: latency with CONNECTIONS (default 4: a platform team, not a crowd)
# and throughput with 32; medians of RUNS runs. Prints Markdown for docs/benchmarks.md.
source "$(dirname "$0")/lib.sh"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
TEAMS="${TEAMS:-50}"; DAGS="${DAGS:-200}"; RUNS_PER_DAG="${RUNS_PER_DAG:-100}"
prepare_seeded_bench

start_bench_stack

# The demo's teams plus the synthetic ones, all in one environment whose Airflow is not
# running: the overview reads the read model, as it does during an outage.
TEAMS_TOML="$DIR/teams.toml"
write_bench_teams "$TEAMS_TOML" "$TEAMS"

RESULTS=()
for backend in sqlite postgres; do
  if [ "$backend" = sqlite ]; then db="sqlite://$DIR/bench.db"; port="${HANGAR_PORTS[0]}"
  else db="$HANGAR_TEST_POSTGRES_URL"; port="${HANGAR_PORTS[1]}"; fi
  url="http://127.0.0.1:$port"
  say "seeding $backend: $TEAMS teams × $DAGS DAGs × $RUNS_PER_DAG runs"
  "$SEED" "$db" bench "$TEAMS" "$DAGS" "$RUNS_PER_DAG" >&2
  write_bench_server_toml "$DIR/hangar-$port.toml" "$port" "$db"
  cat "$TEAMS_TOML" >> "$DIR/hangar-$port.toml"
  printf '[[airflow]]\nname = "bench"\nbase_url = "http://127.0.0.1:%s"\nusername = "hangar"\npassword = "unused"\ntimeout = "1s"\nbundles = { %s }\nshared = []\n' \
    "$(free_port)" "$BUNDLES" >> "$DIR/hangar-$port.toml"
  serve_bench_hangar "$DIR/hangar-$port.toml" "$url"
  COOKIE="$(sign_in_as alice "$url")"   # a platform admin (group airflow-admins)
  [ -n "$COOKIE" ] || die "could not sign in"
  rows="$(python3 - "$url/platform" "$COOKIE" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Cookie": "hangar=" + sys.argv[2]})
html = urllib.request.urlopen(request).read().decode()
table = html.split('data-testid="platform-teams"')[1].split("</table>")[0]
print(table.count("<tr data-team="))
PY
)"
  [ "$rows" = "$((TEAMS + 2))" ] || die "the overview shows $rows teams, not $((TEAMS + 2))"
  say "measuring $backend ($RUNS × $DURATION)"
  RESULTS+=("$(CONNECTIONS="${CONNECTIONS:-4}" wrk_median "$backend: /platform, ${CONNECTIONS:-4} connections" "$url/platform" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(CONNECTIONS=32 wrk_median "$backend: /platform, 32 connections" "$url/platform" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(CONNECTIONS="${CONNECTIONS:-4}" wrk_median "$backend: /platform?sort=failure_rate&hours=72" "$url/platform?sort=failure_rate&hours=72" "Cookie: hangar=$COOKIE")")
  kill "$HANGAR_PID"; wait "$HANGAR_PID" 2>/dev/null || true
done

print_bench_table what "${RESULTS[@]}"
