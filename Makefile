# Hangar's entry points. See README.md.
.PHONY: demo test build bench bench-bundle bench-airflow bench-logs bench-deploy bench-platform bench-audit

## demo: build Hangar and run it with a test identity provider on http://127.0.0.1:3000
demo:
	@bash end2end/scripts/demo.sh

## test: install what is missing and run every test (what CI runs)
test:
	@bash end2end/scripts/test.sh

## build: the release server binary and the browser bundle
build:
	@PROFILE=release bash end2end/scripts/build.sh

## bench: the authenticated-page benchmark (docs/benchmarks.md)
bench:
	@bash end2end/scripts/bench.sh

## bench-bundle: the browser bundle's size and makeup, and the time to hydrate the DAG list in Chromium (docs/benchmarks.md)
bench-bundle:
	@bash end2end/scripts/bench-bundle.sh

## bench-airflow: Airflow pages at 10,000 DAGs / 1,000,000 runs vs Airflow's own API (docs/benchmarks.md)
bench-airflow:
	@bash end2end/scripts/bench-airflow.sh

## bench-logs: the task-log page for a real 2,000-line and 200,000-line log: time per page and server memory (docs/benchmarks.md)
bench-logs:
	@bash end2end/scripts/bench-logs.sh

## bench-deploy: the approval screen's git work and a directory swap on a 20,000-file repository (docs/benchmarks.md)
bench-deploy:
	@cargo run --quiet --release -p hangar-server --example bench_deploy -- $${RUNS:-15}

## bench-platform: the platform overview at 50 teams / 10,000 DAGs / 1,000,000 runs on SQLite and PostgreSQL (docs/benchmarks.md)
bench-platform:
	@bash end2end/scripts/bench-platform.sh

## bench-audit: the audit log viewer filtering 1,000,000 entries on SQLite and PostgreSQL (docs/benchmarks.md)
bench-audit:
	@bash end2end/scripts/bench-audit.sh
