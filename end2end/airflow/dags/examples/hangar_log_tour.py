"""What a task log can hold, written slowly enough to follow live: groups, levels, a caught
traceback. Hangar's log viewer tests read it (team `examples`)."""

import logging
import time
from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="hangar_log_tour",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hangar", "logs"],
    default_args={"owner": "hangar", "retries": 0},
)
def hangar_log_tour():
    @task
    def narrate(seconds: int = 40):
        log = logging.getLogger("airflow.task")
        print("::group::Preparing the tour")
        log.info("reading the configuration")
        log.info("connecting to the warehouse")
        print("::endgroup::")
        log.warning("the warehouse answered slowly")
        try:
            {}["missing"]
        except KeyError:
            log.exception("a lookup failed, and the task carries on")
        for step in range(seconds * 2):
            log.info("step %d of the tour", step)
            time.sleep(0.5)
        log.info("the tour is over")

    narrate()


hangar_log_tour()
