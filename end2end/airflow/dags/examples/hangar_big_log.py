"""A task that writes 200,000 log lines: the log viewer's benchmark reads it
(docs/benchmarks.md, `make bench-airflow`). Nothing triggers it in the test suite."""

import logging
from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="hangar_big_log",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hangar", "logs", "benchmark"],
    default_args={"owner": "hangar", "retries": 0},
)
def hangar_big_log():
    @task
    def chatter(lines: int = 200_000):
        log = logging.getLogger("airflow.task")
        for line in range(lines):
            log.info("line %d of the big log, with some words to make it look like a real one", line)

    chatter()


hangar_big_log()
