"""A task that writes 200,000 log lines (or as many as the run's `lines` parameter says): the
log viewer's benchmark runs it (docs/benchmarks.md, `make bench-logs`). Nothing triggers it in
the test suite."""

import logging
from datetime import datetime

from airflow.sdk import Param, dag, task


@dag(
    dag_id="hangar_big_log",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hangar", "logs", "benchmark"],
    default_args={"owner": "hangar", "retries": 0},
    params={"lines": Param(200_000, type="integer", minimum=1, description="How many lines to log")},
)
def hangar_big_log():
    @task
    def chatter(params=None):
        log = logging.getLogger("airflow.task")
        lines = int(params["lines"])
        for line in range(lines):
            log.info("line %d of the big log, with some words to make it look like a real one", line)

    chatter()


hangar_big_log()
