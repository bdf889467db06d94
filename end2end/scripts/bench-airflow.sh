#!/usr/bin/env bash
# make bench-airflow: Hangar's Airflow pages at 50 teams × 200 DAGs = 10,000 DAGs and
# 1,000,000 runs (read model filled by server/examples/seed_read_model.rs), on SQLite and on
# PostgreSQL, side by side with Airflow 3.3.2's own `GET /api/v2/dags?limit=100` (500 DAGs
# loaded); then how fast a run's end in a real Airflow reaches Hangar, and how many calls
# Hangar's sync makes to Airflow per minute; the graph and Gantt pages of a 500-task DAG and
# run (one per team, from the seeder). wrk: loopback, 32 connections, median of RUNS.
# Prints Markdown for docs/benchmarks.md.
source "$(dirname "$0")/lib.sh"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
TEAMS="${TEAMS:-50}"; DAGS="${DAGS:-200}"; RUNS_PER_DAG="${RUNS_PER_DAG:-100}"
PROBE_RUNS="${PROBE_RUNS:-20}"
# BACKENDS="sqlite" (or "postgres") measures one backend's pages, e.g. to repeat a disturbed run.
BACKENDS="${BACKENDS:-sqlite postgres}"
prepare_seeded_bench

DIR="$(mktemp -d /tmp/hangar-bench.XXXXXX)"
IDP_PORT="$(free_port)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_airflow
  stop_postgres 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

# One identity provider for every Hangar started below (each registers its redirect URI).
HANGAR_PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
redirects=()
for port in "${HANGAR_PORTS[@]}"; do redirects+=(--redirect-uri "http://127.0.0.1:$port/auth/callback"); done
node "$E2E/idp/server.mjs" --port "$IDP_PORT" --client-secret bench "${redirects[@]}" >"$DIR/idp.log" 2>&1 &
pids+=($!)
wait_for_http "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" 20 || die "IdP did not start"

start_postgres
# Airflow as production runs it, so its side is measured at its best: the metadata database
# on the same PostgreSQL server (Hangar's PostgreSQL figures use another database there), one
# API worker per core like Hangar, and a connection pool larger than wrk's 32 connections.
# With Airflow's defaults (SQLite or a pool of 5 + 10) its API server wedges within seconds
# of 32 concurrent requests: every pooled connection is left "idle in transaction" and
# nothing is answered again, which would measure nothing.
export AIRFLOW__API__WORKERS=2
export AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE=40 AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW=40
install_airflow_postgres_drivers
psql -q "$HANGAR_TEST_POSTGRES_URL" -c 'CREATE DATABASE airflow' || die "could not create Airflow's database"
AIRFLOW_METADATA_DB="${HANGAR_TEST_POSTGRES_URL%/*}/airflow" start_airflow "$DIR/airflow"
AIRFLOW="$HANGAR_TEST_AIRFLOW_URL"

# Teams: the demo's, plus the synthetic ones; carol (group team_a) is an author of one.
TEAMS_TOML="$DIR/teams.toml"
write_bench_teams "$TEAMS_TOML" "$TEAMS"
BENCH_TEAM="$(printf 'bench_team_%02d' $(( TEAMS > 7 ? 7 : TEAMS - 1 )))"
printf '\n[[access]]\ngroup = "team_a"\nteam = "%s"\nrole = "author"\n' "$BENCH_TEAM" >> "$TEAMS_TOML"

# start_hangar port database-url airflow-toml [log-level]: starts Hangar, signs carol in,
# sets COOKIE. Measured runs log at "warn" (a log line per request is not what is measured);
# the freshness run at "info", for the sync's count of Airflow calls.
start_hangar() {
  local port="$1" url="http://127.0.0.1:$1"
  cat > "$DIR/hangar-$port.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
public_url = "$url"
site_root = "$ROOT/target/site"
[database]
url = "$2"
[oidc]
issuer = "http://127.0.0.1:$IDP_PORT"
client_id = "hangar"
client_secret = "bench"
[log]
level = "${4:-warn}"
TOML
  cat "$TEAMS_TOML" >> "$DIR/hangar-$port.toml"
  printf '%s\n' "$3" >> "$DIR/hangar-$port.toml"
  serve_bench_hangar "$DIR/hangar-$port.toml" "$url"
  COOKIE="$(sign_in_as carol "$url")"
  [ -n "$COOKIE" ] || die "could not sign in"
}

# The synthetic estate lives in an environment whose Airflow is not running: Hangar's sync
# fails there and, as designed, leaves the read model as it is.
DEAD_AIRFLOW="[[airflow]]
name = \"bench\"
base_url = \"http://127.0.0.1:$(free_port)\"
username = \"hangar\"
password = \"unused\"
timeout = \"1s\"
bundles = { $BUNDLES }
shared = []"

RESULTS=()
for backend in $BACKENDS; do
  if [ "$backend" = sqlite ]; then db="sqlite://$DIR/bench.db"; port="${HANGAR_PORTS[0]}"
  else db="$HANGAR_TEST_POSTGRES_URL"; port="${HANGAR_PORTS[1]}"; fi
  say "seeding $backend: $TEAMS teams × $DAGS DAGs × $RUNS_PER_DAG runs"
  "$SEED" "$db" bench "$TEAMS" "$DAGS" "$RUNS_PER_DAG" >&2
  start_hangar "$port" "$db" "$DEAD_AIRFLOW"
  url="http://127.0.0.1:$port"
  dag="${BENCH_TEAM}_dag_042"
  curl_check="$(python3 - "$url/t/$BENCH_TEAM/dags?per=100" "$COOKIE" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Cookie": "hangar=" + sys.argv[2]})
print(urllib.request.urlopen(request).read().decode().count('data-dag="'))
PY
)"
  expected_rows=$(( DAGS < 100 ? DAGS : 100 ))
  [ "$curl_check" = "$expected_rows" ] || die "the DAG list shows $curl_check rows, not $expected_rows"
  say "measuring $backend ($RUNS × $DURATION per page)"
  RESULTS+=("$(wrk_median "$backend: DAG list, 100 rows (/t/{team}/dags?per=100)" "$url/t/$BENCH_TEAM/dags?per=100" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(wrk_median "$backend: DAG list, 50 rows (/t/{team}/dags)" "$url/t/$BENCH_TEAM/dags" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(wrk_median "$backend: runs list (/t/{team}/runs)" "$url/t/$BENCH_TEAM/runs" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(wrk_median "$backend: DAG detail (grid of 25 runs)" "$url/t/$BENCH_TEAM/dags/bench/$dag" "Cookie: hangar=$COOKIE")")
  wide="$url/t/$BENCH_TEAM/dags/bench/${BENCH_TEAM}_wide"
  RESULTS+=("$(wrk_median "$backend: graph of a 500-task DAG, coloured by its run" "$wide/graph?run=manual__wide" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(wrk_median "$backend: Gantt chart of a 500-task run" "$wide/runs/manual__wide/gantt" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$backend: server RSS after the runs	$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$HANGAR_PID/status) MB")
  kill "$HANGAR_PID"; wait "$HANGAR_PID" 2>/dev/null || true
done

TOKEN="$(python3 - "$AIRFLOW" "$HANGAR_TEST_AIRFLOW_PASSWORD" <<'PY'
import json, sys, urllib.request
url, password = sys.argv[1], sys.argv[2]
request = urllib.request.Request(url + "/auth/token", json.dumps({"username": "hangar", "password": password}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
print(json.load(urllib.request.urlopen(request))["access_token"])
PY
)"

# Freshness: Hangar (SQLite) syncing the real Airflow; runs triggered in Airflow, each
# watched in both until it ends.
port="${HANGAR_PORTS[2]}"
start_hangar "$port" "sqlite://$DIR/live.db" "[[airflow]]
name = \"live\"
base_url = \"$AIRFLOW\"
username = \"hangar\"
password = \"$HANGAR_TEST_AIRFLOW_PASSWORD\"
bundles = { team_a_dags = \"team_a\", team_a_repo = \"team_a\", team_b_dags = \"team_b\", examples_core = \"examples\", examples_standard = \"examples\", examples_hangar = \"examples\" }
shared = [\"shared_dags\"]" info
say "measuring freshness over $PROBE_RUNS runs"
FRESHNESS="$(python3 - "$AIRFLOW" "$TOKEN" "http://127.0.0.1:$port" "$COOKIE" "$PROBE_RUNS" <<'PY'
import json, re, statistics, sys, time, urllib.parse, urllib.request
airflow, token, hangar, cookie, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def airflow_call(path, body=None):
    request = urllib.request.Request(airflow + path, json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
                                     method="POST" if body is not None else "GET")
    return json.load(urllib.request.urlopen(request, timeout=10))
def hangar_state(run_id):
    path = "/t/team_a/dags/live/team_a_etl/runs/" + urllib.parse.quote(run_id, safe="")
    request = urllib.request.Request(hangar + path, headers={"Cookie": "hangar=" + cookie})
    try:
        html = urllib.request.urlopen(request, timeout=10).read().decode()
    except urllib.error.HTTPError:
        return None  # not synced yet
    found = re.search(r'data-testid="run-state".*?data-state="(\w+)"', html, re.S)
    return found and found.group(1)
runs = {}
for _ in range(count):
    for attempt in range(5):
        try:
            run = airflow_call("/api/v2/dags/team_a_etl/dagRuns", {"logical_date": None})
            break
        except urllib.error.HTTPError:
            time.sleep(1)  # Airflow was busy
    runs[run["dag_run_id"]] = {}
    time.sleep(0.5)
deadline = time.time() + 600
while time.time() < deadline and any("hangar" not in r for r in runs.values()):
    for run_id, seen in runs.items():
        if "airflow" not in seen:
            state = airflow_call("/api/v2/dags/team_a_etl/dagRuns/" + urllib.parse.quote(run_id, safe=""))["state"]
            if state in ("success", "failed"):
                seen["airflow"], seen["state"] = time.time(), state
        if "airflow" in seen and "hangar" not in seen and hangar_state(run_id) == seen["state"]:
            seen["hangar"] = time.time()
    time.sleep(0.1)
lags = sorted(r["hangar"] - r["airflow"] for r in runs.values() if "hangar" in r)
assert len(lags) == count, f"only {len(lags)} of {count} runs reached Hangar"
p95 = lags[min(len(lags) - 1, round(0.95 * len(lags)) - 1)]
print(f"{count}\t{statistics.median(lags):.2f}\t{p95:.2f}\t{max(lags):.2f}")
PY
)"
# Let the sync run a full minute beyond the probe, then read its own count of calls.
sleep 65
CALLS="$(sed 's/\x1b\[[0-9;]*m//g' "$DIR/hangar-$port.log" | grep -o 'requests_per_minute=[0-9]*' | tail -1 | cut -d= -f2)"
kill "$HANGAR_PID"; wait "$HANGAR_PID" 2>/dev/null || true


# Airflow's own listing, with 500 more DAGs loaded from one generated file.
cat > "$AIRFLOW_DIR/dags/shared/bench_many_dags.py" <<'PY'
"""500 small DAGs, so Airflow's DAG list is measured at a realistic size."""
from datetime import datetime
from airflow.sdk import dag, task

for n in range(500):
    @dag(dag_id=f"bench_{n:03d}", schedule=None, start_date=datetime(2026, 1, 1), tags=["bench"])
    def generated():
        @task
        def noop():
            return None
        noop()
    generated()
PY
say "waiting for Airflow to parse 500 more DAGs"
for _ in $(seq 120); do
  total="$(python3 - "$AIRFLOW" "$TOKEN" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/api/v2/dags?limit=1", headers={"Authorization": "Bearer " + sys.argv[2]})
print(json.load(urllib.request.urlopen(request))["total_entries"])
PY
)"
  [ "$total" -ge 500 ] && break
  sleep 2
done
[ "$total" -ge 500 ] || die "Airflow lists $total DAGs after 4 minutes"
say "measuring Airflow's API with $total DAGs"
AIRFLOW_RESULT="$(wrk_median "Airflow 3.3.2: GET /api/v2/dags?limit=100 ($total DAGs)" "$AIRFLOW/api/v2/dags?limit=100" "Authorization: Bearer $TOKEN")"
RESULTS+=("$AIRFLOW_RESULT")


print_bench_table what "${RESULTS[@]}"
# The ratio's rows are found by name: RESULTS grows a row whenever a page is added above.
python3 - "$AIRFLOW_RESULT" "${RESULTS[@]}" <<'PY' || true
import sys
def rate(line):
    # Rows without a rate (the RSS rows: "165 MB") count as none.
    try:
        return float((line.split("\t") + ["0", "0"])[1] or 0)
    except ValueError:
        return 0.0
airflow = rate(sys.argv[1])
rows = {line.split("\t")[0]: rate(line) for line in sys.argv[2:]}
sqlite = rows.get("sqlite: DAG list, 100 rows (/t/{team}/dags?per=100)", 0)
pg = rows.get("postgres: DAG list, 100 rows (/t/{team}/dags?per=100)", 0)
if airflow == 0:
    sys.exit("\nAirflow's API completed no request: no ratio")
print(f"\nHangar's 100-row DAG list / Airflow's 100-row API listing: SQLite {sqlite / airflow:.0f}×, PostgreSQL {pg / airflow:.0f}× (target ≥ 100×)")
PY
IFS=$'\t' read -r n median p95 worst <<<"$FRESHNESS"
echo "A run's end in Airflow visible on Hangar's run page: median ${median} s, p95 ${p95} s, worst ${worst} s over $n runs (target p95 ≤ 5 s)."
echo "Airflow API calls by Hangar's sync and actions for this environment: ${CALLS:-?} per minute."
