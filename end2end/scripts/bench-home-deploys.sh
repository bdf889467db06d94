#!/usr/bin/env bash
# bench-home-deploys.sh [binary...]: the team home of a team that deploys by moving a ref
# (end2end/fixtures/demo-deploys.toml, on a local bare repository): each release binary given
# (default: target/release/hangar) held in turn, twice, wrk -t2 -c32 -d8s after a 3 s warm-up.
# Every visit shows what the ref holds (docs/benchmarks.md, "the team home of a team that
# deploys by moving a ref").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null || die "could not install wrk"; }
[ "$#" -gt 0 ] || set -- "$ROOT/target/release/hangar"
DIR="$(mktemp -d /tmp/hangar-homeab.XXXXXX)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT
git init -q --bare --initial-branch=main "$DIR/dags.git"
git clone -q "$DIR/dags.git" "$DIR/work" 2>/dev/null
mkdir -p "$DIR/work/team_a"; echo "x = 1" > "$DIR/work/team_a/dag.py"
git -C "$DIR/work" -c user.name=a -c user.email=a@example.com add -A
git -C "$DIR/work" -c user.name=a -c user.email=a@example.com commit -qm one
git -C "$DIR/work" push -q origin main main:deploy/team_a
IDP_PORT="$(free_port)"
for round in 1 2; do
  for bin in "$@"; do
    HANGAR_PORT="$(free_port)"; URL="http://127.0.0.1:$HANGAR_PORT"
    node "$E2E/idp/server.mjs" --port "$IDP_PORT" --client-secret bench \
      --redirect-uri "$URL/auth/callback" >"$DIR/idp.log" 2>&1 &
    idp=$!; pids+=($idp)
    wait_for_http "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" 20 || die "IdP did not start"
    write_bench_server_toml "$DIR/hangar.toml" "$HANGAR_PORT" "sqlite://$DIR/hangar-$round.db"
    printf '[git]\ncache_dir = "%s"\n' "$DIR/cache-$round" >> "$DIR/hangar.toml"
    cat "$E2E/fixtures/demo-teams.toml" >> "$DIR/hangar.toml"
    sed "s|@REPOSITORY@|$DIR/dags.git|" "$E2E/fixtures/demo-deploys.toml" >> "$DIR/hangar.toml"
    rm -rf "$DIR/hangar-$round.db"* "$DIR/cache-$round"
    "$bin" serve --config "$DIR/hangar.toml" >"$DIR/hangar.log" 2>&1 &
    hp=$!; pids+=($hp)
    wait_for_http "$URL/readyz" 60 || { tail -20 "$DIR/hangar.log" >&2; die "Hangar did not start"; }
    COOKIE="$(sign_in_as carol "$URL")"
    # The page shows the commit the ref holds (what each visit reads), or the run means nothing.
    curl -s -H "Cookie: hangar=$COOKIE" "$URL/t/team_a" | grep -q 'data-testid="home-deployed">[0-9a-f]' \
      || die "$bin: the team home does not show what the ref holds"
    wrk -t2 -c32 -d3s -H "Cookie: hangar=$COOKIE" "$URL/t/team_a" >/dev/null
    echo "$bin, run $round: $(wrk -t2 -c32 -d8s --latency -H "Cookie: hangar=$COOKIE" "$URL/t/team_a" | grep -E 'Requests/sec|^ +99%|Non-2xx' | tr -s ' ' | tr '\n' ' ')"
    kill $hp $idp; wait $hp $idp 2>/dev/null || true
  done
done
