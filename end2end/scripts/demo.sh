#!/usr/bin/env bash
# make demo: builds Hangar, starts the test identity provider, a real Airflow 3.3.2 and Hangar
# on SQLite, prints the URL and the demo users, and stops everything on Ctrl-C.
source "$(dirname "$0")/lib.sh"
install_rust_tools
install_node_modules
build_site
say "building the hangar server (release; the first build takes a few minutes)"
(cd "$ROOT" && cargo build -p hangar-server --release)

DEMO="$ROOT/target/demo"
mkdir -p "$DEMO"
HANGAR_PORT="${HANGAR_PORT:-3000}"
IDP_PORT="${IDP_PORT:-4000}"
HANGAR_URL="http://127.0.0.1:$HANGAR_PORT"
SECRET_FILE="$DEMO/client_secret"
[ -s "$SECRET_FILE" ] || { head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$SECRET_FILE"; chmod 600 "$SECRET_FILE"; }

cat > "$DEMO/hangar.toml" <<TOML
# Written by make demo. See docs/configuration.md for every key.
[server]
listen = "127.0.0.1:$HANGAR_PORT"
public_url = "$HANGAR_URL"
site_root = "$ROOT/target/site"

[database]
url = "sqlite://$DEMO/hangar.db"

[oidc]
issuer = "http://127.0.0.1:$IDP_PORT"
client_id = "hangar"
client_secret_file = "client_secret"

TOML
cat "$E2E/fixtures/demo-teams.toml" >> "$DEMO/hangar.toml"

pids=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_airflow
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# A real Airflow 3.3.2 in multi-team mode: team_a and team_b own a bundle each, plus a shared one.
rm -rf "$DEMO/airflow"
start_airflow "$DEMO/airflow"
# Per-team pools, connections and variables, so each team's pages have something of its own
# (Python, not curl: a fresh machine has no curl).
python3 - "$HANGAR_TEST_AIRFLOW_URL" "$HANGAR_TEST_AIRFLOW_PASSWORD" <<'PY' || say "could not create the demo pools, connections and variables"
import json, sys, urllib.request
url, password = sys.argv[1], sys.argv[2]
def call(path, body, token=None):
    request = urllib.request.Request(url + path, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
token = call("/auth/token", {"username": "hangar", "password": password})["access_token"]
for name, slots, team in [("etl", 4, "team_a"), ("reports", 2, "team_b")]:
    call("/api/v2/pools", {"name": name, "slots": slots, "team_name": team,
                           "description": f"{team}'s pool (demo)"}, token)
for conn_id, team, host in [("warehouse", "team_a", "warehouse.team-a.internal"),
                            ("reporting_db", "team_b", "reports.team-b.internal"),
                            ("smtp", None, "mail.internal")]:
    call("/api/v2/connections", {"connection_id": conn_id, "conn_type": "postgres" if team else "smtp",
                                 "host": host, "login": "demo", "password": "demo-password",
                                 "team_name": team}, token)
for key, value, team in [("etl_batch_size", "500", "team_a"), ("etl_api_token", "demo-token", "team_a"),
                         ("report_recipients", "team-b@example.test", "team_b"),
                         ("company_name", "Example Corp", None)]:
    call("/api/v2/variables", {"key": key, "value": value, "team_name": team,
                               "description": f"{team or 'global'} variable (demo)"}, token)
PY
cat >> "$DEMO/hangar.toml" <<TOML

[[airflow]]
name = "demo"
base_url = "$HANGAR_TEST_AIRFLOW_URL"
username = "hangar"
password = "$HANGAR_TEST_AIRFLOW_PASSWORD"
bundles = { team_a_dags = "team_a", team_a_repo = "team_a", team_b_dags = "team_b", examples_core = "examples", examples_standard = "examples", examples_hangar = "examples" }
shared = ["shared_dags"]
catalogue_interval = "10s"

[git]
cache_dir = "$DEMO/repos"

TOML
sed "s|@REPOSITORY@|$HANGAR_TEST_DAG_REPOSITORY|g" "$E2E/fixtures/demo-deploys.toml" >> "$DEMO/hangar.toml"

node "$E2E/idp/server.mjs" --port "$IDP_PORT" --keys "$DEMO/idp-keys.json" \
  --client-secret "$(cat "$SECRET_FILE")" \
  --redirect-uri "$HANGAR_URL/auth/callback" --post-logout-uri "$HANGAR_URL/auth/signed-out" \
  > "$DEMO/idp.log" 2>&1 &
pids+=($!)
wait_for_http "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" 20 \
  || { cat "$DEMO/idp.log" >&2; die "the test identity provider did not start on port $IDP_PORT"; }

"$ROOT/target/release/hangar" serve --config "$DEMO/hangar.toml" &
pids+=($!)
wait_for_http "$HANGAR_URL/readyz" 30 || die "Hangar did not become ready on $HANGAR_URL"

cat <<TXT

  Hangar is running at $HANGAR_URL

  Demo users (any of them, no password, at the test identity provider's form):
    alice  platform admin + author in team_a
    bob    admin in team_b
    carol  author in team_a and admin in team_b (try the team switcher)
    dave   viewer in team_a
    erin   platform auditor (reads every team)

  Airflow 3.3.2: $HANGAR_TEST_AIRFLOW_URL (user hangar / $HANGAR_TEST_AIRFLOW_PASSWORD);
  Hangar re-reads its DAGs every 10 s: see /t/team_a/dags.

  A reviewed deploy: main of the DAG repository ($HANGAR_TEST_DAG_REPOSITORY)
  is one commit ahead of what team A runs. As alice, open $HANGAR_URL/t/team_a/deploys and
  request it; sign in as carol (another browser profile) and approve it; watch the deploy
  run and, within about half a minute, "live in Airflow" with team_a_publish in the DAG list.
  To deploy more: git clone $HANGAR_TEST_DAG_REPOSITORY, change team_a/, push to main.

  Team A tells authors by the e-mails commits carry (authorship = "emails", the weaker rule:
  a commit under an address nobody signed in with needs a second approval). To try the
  recommended rule, add authorship = "signatures" to the [[deploy]] in $DEMO/hangar.toml,
  restart, register an SSH key on $HANGAR_URL/profile and sign your commits with it
  (git -c gpg.format=ssh -c user.signingkey=KEY commit -S); see docs/deploys.md.

  Logs: Hangar below; identity provider in $DEMO/idp.log; Airflow in $DEMO/airflow/*.log.
  Ctrl-C stops everything.

TXT
wait -n "${pids[@]}"
