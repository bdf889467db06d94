#!/usr/bin/env bash
# make bench-logs: the task-log page against a real Airflow (3.3.2; AIRFLOW_VERSION=3.4.0b2
# for the newest 3.4), for a log of 2,000 lines and one of 200,000
# (end2end/airflow/dags/examples/hangar_big_log.py, run for real): the first view (the
# finished try read once from Airflow into Hangar's spool, ahead of the view or by it:
# READ_AHEAD below), Airflow's own answer for the same log, new searches one at a time, then
# pages from the spool (first, last, a kept search) under wrk, and the server's memory
# before and after. What it shows: a page costs the same whatever the log's length, and
# memory stays flat. wrk: loopback, CONNECTIONS (default 8) connections, median of RUNS.
# Prints Markdown for docs/benchmarks.md.
source "$(dirname "$0")/lib.sh"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-8}"
SIZES=(${SIZES:-2000 200000})
# `[task_logs] read_ahead`: "finished" reads every finished try into the spool as the sync
# sees it end, so the first view is the spool's; "off" measures the first view that reads
# from Airflow. The first view is opened READ_AHEAD_WAIT seconds after the run page showed
# the end (0: at once, as someone watching the run would).
READ_AHEAD="${READ_AHEAD:-finished}"
READ_AHEAD_WAIT="${READ_AHEAD_WAIT:-10}"

install_rust_tools
install_node_modules
command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null || die "could not install wrk"; }
build_site
(cd "$ROOT" && cargo build -q -p hangar-server --release)

DIR="$(mktemp -d /tmp/hangar-bench.XXXXXX)"
IDP_PORT="$(free_port)"
PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_airflow
  rm -rf "$DIR"
}
trap cleanup EXIT

node "$E2E/idp/server.mjs" --port "$IDP_PORT" --client-secret bench \
  --redirect-uri "$URL/auth/callback" >"$DIR/idp.log" 2>&1 &
pids+=($!)
wait_for_http "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" 20 || die "IdP did not start"
start_airflow "$DIR/airflow"

IDP_PORT="$IDP_PORT" write_bench_server_toml "$DIR/hangar.toml" "$PORT" "sqlite://$DIR/hangar.db"
cat "$E2E/fixtures/demo-teams.toml" >> "$DIR/hangar.toml"
cat >> "$DIR/hangar.toml" <<TOML

[task_logs]
spool_dir = "$DIR/spool"
read_ahead = "$READ_AHEAD"

[[airflow]]
name = "main"
base_url = "$HANGAR_TEST_AIRFLOW_URL"
username = "hangar"
password = "$HANGAR_TEST_AIRFLOW_PASSWORD"
bundles = { team_a_dags = "team_a", team_b_dags = "team_b", examples_core = "examples", examples_standard = "examples", examples_hangar = "examples" }
shared = ["shared_dags"]
TOML
serve_bench_hangar "$DIR/hangar.toml" "$URL"
COOKIE="$(sign_in_as olga "$URL" examples)"
[ -n "$COOKIE" ] || die "could not sign in"

rss_mb() { awk -v key="$1" '$1 == key":" {printf "%.0f", $2 / 1024}' "/proc/$HANGAR_PID/status"; }

# run_big_log lines: triggers hangar_big_log in Airflow for `lines` lines, waits until the run
# succeeded and Hangar shows its task; prints the log page's path.
run_big_log() {
  python3 - "$HANGAR_TEST_AIRFLOW_URL" "$HANGAR_TEST_AIRFLOW_PASSWORD" "$URL" "$COOKIE" "$1" <<'PY'
import json, sys, time, urllib.error, urllib.parse, urllib.request
airflow, password, hangar, cookie, lines = sys.argv[1:6]
def call(path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(airflow + path, json.dumps(body).encode() if body is not None else None,
                                     headers=headers, method="POST" if body is not None else "GET")
    return json.load(urllib.request.urlopen(request, timeout=30))
token = call("/auth/token", {"username": "hangar", "password": password})["access_token"]
deadline = time.time() + 180
while True:  # the DAG is parsed a little after Airflow starts
    try:
        run = call("/api/v2/dags/hangar_big_log/dagRuns", {"logical_date": None, "conf": {"lines": int(lines)}}, token)
        break
    except urllib.error.HTTPError:
        if time.time() > deadline:
            raise
        time.sleep(2)
run_id = run["dag_run_id"]
quoted = urllib.parse.quote(run_id, safe="")
deadline = time.time() + 900
while call(f"/api/v2/dags/hangar_big_log/dagRuns/{quoted}", token=token)["state"] != "success":
    assert time.time() < deadline, "hangar_big_log did not finish"
    time.sleep(2)
run_page = f"/t/examples/dags/main/hangar_big_log/runs/{quoted}"
# Ready when the run page (which never reads a log) shows the task finished: the log page's
# first view is what is measured, so no page may read the log before it.
while True:
    try:
        request = urllib.request.Request(hangar + run_page, headers={"Cookie": "hangar=" + cookie})
        html = urllib.request.urlopen(request, timeout=60).read().decode()
        task = html.split('data-task="chatter"', 1)
        if len(task) == 2 and 'data-state="success"' in task[1][:2000]:
            break
    except urllib.error.HTTPError:
        pass  # not synced yet
    assert time.time() < deadline, "Hangar never showed the task"
    time.sleep(1)
print(run_page + "/tasks/chatter")
PY
}

# airflow_alone path: Airflow's own answer for the log Hangar's page `path` shows, read as
# Hangar reads it (NDJSON): "ms to the first byte, ms to the last".
airflow_alone() {
  python3 - "$HANGAR_TEST_AIRFLOW_URL" "$HANGAR_TEST_AIRFLOW_PASSWORD" "$1" <<'PY'
import json, sys, time, urllib.request
airflow, password, path = sys.argv[1:4]
run = path.split("/runs/", 1)[1].split("/tasks/", 1)[0]  # quoted in the page's path already
request = urllib.request.Request(airflow + "/auth/token", json.dumps({"username": "hangar", "password": password}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
token = json.load(urllib.request.urlopen(request, timeout=30))["access_token"]
request = urllib.request.Request(f"{airflow}/api/v2/dags/hangar_big_log/dagRuns/{run}/taskInstances/chatter/logs/1",
                                 headers={"Authorization": "Bearer " + token, "Accept": "application/x-ndjson"})
start = time.monotonic()
with urllib.request.urlopen(request, timeout=300) as response:
    response.read(1)
    first = time.monotonic() - start
    while response.read(1 << 16):
        pass
print(f"{first * 1000:.0f} ms to the first byte, {(time.monotonic() - start) * 1000:.0f} ms to the last")
PY
}

RESULTS=()
MEMORY=()
for lines in "${SIZES[@]}"; do
  say "a real run of hangar_big_log: $lines lines"
  path="$(run_big_log "$lines")" || die "the run of $lines lines did not reach Hangar"
  before="$(rss_mb VmRSS)"
  # Without read-ahead, the first view of the finished try reads it from Airflow into the
  # spool (once per try); with it, the spool has been reading since the sync saw the end.
  if [ "$READ_AHEAD" != off ]; then sleep "$READ_AHEAD_WAIT"; fi
  first="$(curl -s -o "$DIR/first.html" -w '%{time_total}' -H "Cookie: hangar=$COOKIE" "$URL$path")"
  grep -q 'class="log-line' "$DIR/first.html" || die "the first view of $lines lines shows no log line"
  last_page=$(( (lines + 4) / 500 ))
  if [ "$READ_AHEAD" = off ]; then how="Airflow → spool, one read"; else how="read ahead; opened ${READ_AHEAD_WAIT} s after the run page showed the end"; fi
  RESULTS+=("$lines lines: first view ($how)	$(printf '%.0f' "$(python3 -c "print($first * 1000)")") ms once")
  RESULTS+=("$lines lines: Airflow alone, the same log (after the first view)	$(airflow_alone "$path") once")
  # A new search is one pass over the spooled log (its later pages, and the same search
  # again, read the matches it kept, which the wrk row below measures): five new searches,
  # one at a time, each a text that matches one line; the median.
  fresh=()
  for k in 1 2 3 4 5; do
    fresh+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: hangar=$COOKIE" "$URL$path?q=line%20$((lines / 2 + k))%20of")")
  done
  RESULTS+=("$lines lines: new search, one match (median of 5, one at a time)	$(python3 -c 'import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:])) * 1000))' "${fresh[@]}") ms")
  RESULTS+=("$(wrk_median "$lines lines: first page" "$URL$path" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(wrk_median "$lines lines: last page (?page=$last_page)" "$URL$path?page=$last_page" "Cookie: hangar=$COOKIE")")
  RESULTS+=("$(wrk_median "$lines lines: search, one match (?q=line $((lines - 1)) of)" "$URL$path?q=line%20$((lines - 1))%20of" "Cookie: hangar=$COOKIE")")
  download="$(curl -s -o "$DIR/download.txt" -w '%{time_total}' -H "Cookie: hangar=$COOKIE" "$URL${path}/log")"
  downloaded="$(wc -l < "$DIR/download.txt")"
  [ "$downloaded" -ge "$lines" ] || die "the download of $lines lines has $downloaded"
  RESULTS+=("$lines lines: download, streamed ($downloaded lines)	$(printf '%.0f' "$(python3 -c "print($download * 1000)")") ms once")
  MEMORY+=("| $lines | $before | $(rss_mb VmRSS) | $(rss_mb VmHWM) | $(du -sk "$DIR/spool" | cut -f1) |")
done

print_bench_table "Task log page, real Airflow $AIRFLOW_VERSION (SQLite; $CONNECTIONS connections)" "${RESULTS[@]}"
echo
echo "| log lines | RSS before first view, MB | RSS after, MB | peak RSS so far, MB | spool, KB |"
echo "|---:|---:|---:|---:|---:|"
printf '%s\n' "${MEMORY[@]}"
