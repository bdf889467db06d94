#!/usr/bin/env bash
# make bench-bundle: what the browser downloads and what it is made of, and how long the
# DAG list takes to become interactive.
# - The bundle as served (raw and gzip, as `target/site/pkg` holds them): the main module
#   every page loads, and per page what a first visit to it downloads (the main module and
#   the page's chunks) and what it adds after the DAG list (its chunks the DAG list did not
#   already load), from the split manifest.
# - The linked WASM's largest contributors by crate (twiggy, before the split, wasm-bindgen
#   and wasm-opt: code and data, names excluded), so a change that grows it shows where.
# - Time to hydrate the 100-row DAG list in Chromium with JavaScript on (navigation start →
#   the app's `data-hydrated="true"`), cold cache, median of RUNS page loads, and the bytes
#   the page's own HTML and all its WASM files took on the wire.
# Prints Markdown for docs/benchmarks.md.
source "$(dirname "$0")/lib.sh"
RUNS="${RUNS:-5}"
install_rust_tools
install_node_modules
install_chromium
command -v twiggy >/dev/null || { say "installing twiggy (about 2 minutes, once)"; cargo install --locked twiggy --version 0.8.0 -q || die "could not install twiggy"; }
build_site
(cd "$ROOT" && cargo build -q -p hangar-server --release && cargo build -q -p hangar-server --release --example seed_read_model)

DIR="$(mktemp -d /tmp/hangar-bench.XXXXXX)"
HANGAR_PORT="$(free_port)"; IDP_PORT="$(free_port)"
URL="http://127.0.0.1:$HANGAR_PORT"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT

echo
echo "| file (target/site/pkg) | raw KB | gzip KB |"
echo "|---|---:|---:|"
BUNDLE="$ROOT/target/site/pkg/$(cat "$ROOT/target/site/pkg/bundle-id")"
for f in "$BUNDLE"/hangar_bg.wasm "$BUNDLE"/hangar.js "$BUNDLE"/__wasm_split.______________________.js "$ROOT/target/site/pkg/hangar.css"; do
  printf '| %s | %.0f | %.0f |\n' "${f#"$ROOT/target/site/"}" "$(($(stat -c %s "$f")))e-3" "$(($(stat -c %s "$f.gz")))e-3"
done

echo
python3 - "$BUNDLE" <<'PY'
import json, os, re, sys
pkg = sys.argv[1]
gz = lambda name: os.path.getsize(os.path.join(pkg, name + ".gz"))
manifest = json.load(open(os.path.join(pkg, "__wasm_split_manifest.json")))
main = gz("hangar_bg.wasm") + gz("hangar.js") + gz("__wasm_split.______________________.js")
page = lambda key: re.sub(r"^__(.*)_route_view_\d+$", r"\1", key)
files = {page(key): set(chunks) for key, chunks in manifest.items()}
dags = files["dags"]
size = lambda chunks: sum(gz(chunk + ".wasm") for chunk in chunks)
print(f"Main module, loader and bindings, loaded by every page: {main / 1000:.0f} KB gzip; "
      f"{len(os.listdir(pkg)) // 2} files in the bundle.\n")
print("| page (lazy route) | files | first visit, gzip KB | after the DAG list, gzip KB |")
print("|---|---:|---:|---:|")
for name, chunks in sorted(files.items(), key=lambda kv: -size(kv[1])):
    print(f"| {name} | {len(chunks)} | {(main + size(chunks)) / 1000:.0f} | {size(chunks - dags) / 1000:.0f} |")
PY
echo
python3 - "$ROOT/target/wasm32-unknown-unknown/wasm-release/hangar_app.wasm" <<'PY'
import collections, csv, re, subprocess, sys
out = subprocess.run(["twiggy", "top", "-n", "1000000", "--format", "csv", sys.argv[1]],
                     capture_output=True, text=True, check=True).stdout
by_crate, total = collections.Counter(), 0
for row in csv.DictReader(out.splitlines()):
    name, size = row["Name"], int(row["ShallowSize"])
    # Names, wasm-bindgen's descriptors and exports are gone from what is served.
    if name.startswith(('"function names"', "custom section", "export ")):
        continue
    total += size
    if name.startswith("data segment"):
        crate = "(data: strings, tables)"
    else:
        # The crate a function belongs to: the first path segment, or the generic impl's
        # type parameter (`<T as …>`: monomorphised library code) when there is none.
        found = re.match(r"[<&\s]*(?:dyn\s+)?([A-Za-z_][A-Za-z0-9_]*)", name)
        crate = found.group(1) if found else "(other)"
        if len(crate) <= 2 and crate.isupper():
            crate = "(generic impls: <T as …>)"
    by_crate[crate] += size
print(f"Linked WASM, code and data: {total / 1000:.0f} KB (before wasm-bindgen and wasm-opt)\n")
print("| crate | KB | share |")
print("|---|---:|---:|")
for crate, size in by_crate.most_common(10):
    print(f"| {crate} | {size / 1000:.0f} | {100 * size / total:.1f} % |")
PY

# A DAG list of 100 rows to hydrate: a small synthetic estate, its Airflow not running.
node "$E2E/idp/server.mjs" --port "$IDP_PORT" --client-secret bench \
  --redirect-uri "$URL/auth/callback" >"$DIR/idp.log" 2>&1 &
pids+=($!)
wait_for_http "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" 20 || die "IdP did not start"
"$ROOT/target/release/examples/seed_read_model" "sqlite://$DIR/hangar.db" bench 2 100 5 >&2
write_bench_teams "$DIR/teams.toml" 2
printf '\n[[access]]\ngroup = "team_a"\nteam = "bench_team_01"\nrole = "author"\n' >> "$DIR/teams.toml"
write_bench_server_toml "$DIR/hangar.toml" "$HANGAR_PORT" "sqlite://$DIR/hangar.db"
cat "$DIR/teams.toml" >> "$DIR/hangar.toml"
printf '[[airflow]]\nname = "bench"\nbase_url = "http://127.0.0.1:%s"\nusername = "hangar"\npassword = "unused"\ntimeout = "1s"\nbundles = { %s }\nshared = []\n' \
  "$(free_port)" "$BUNDLES" >> "$DIR/hangar.toml"
serve_bench_hangar "$DIR/hangar.toml" "$URL"
COOKIE="$(sign_in_as carol "$URL")"
[ -n "$COOKIE" ] || die "could not sign in"

cd "$E2E" && node --input-type=module - "$URL/t/bench_team_01/dags?per=100" "$COOKIE" "$RUNS" <<'JS'
import { chromium } from 'playwright-core';
const [url, cookie, runs] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hydrate = [], html = [], wasm = [], files = [];
for (let i = 0; i < Number(runs); i += 1) {
  // A new context per load: nothing cached, as on a first visit.
  const context = await browser.newContext();
  await context.addCookies([{ name: 'hangar', value: cookie, url }]);
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => document.querySelector('#hangar')?.dataset.hydrated === 'true', null, { timeout: 60_000 });
  const rows = await page.locator('[data-dag]').count();
  if (rows !== 100) throw new Error(`the DAG list shows ${rows} rows, not 100`);
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const wasm = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.wasm'));
    return { hydrated: performance.now(), html: nav.transferSize, wasm: wasm.reduce((sum, r) => sum + r.transferSize, 0), files: wasm.length };
  });
  hydrate.push(timing.hydrated); html.push(timing.html); wasm.push(timing.wasm); files.push(timing.files);
  await context.close();
}
await browser.close();
console.log('\n| DAG list, 100 rows, Chromium, JavaScript on (cold cache) | median |');
console.log('|---|---:|');
console.log(`| navigation start → hydrated (${runs} loads) | ${median(hydrate).toFixed(0)} ms |`);
console.log(`| the page's HTML on the wire | ${(median(html) / 1000).toFixed(1)} KB |`);
console.log(`| the WASM on the wire (${median(files)} files) | ${(median(wasm) / 1000).toFixed(0)} KB |`);
JS
