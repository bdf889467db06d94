"""Team B's report: runs for a while so a run can be watched live."""

import time
from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="team_b_report",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["reports", "team_b"],
    default_args={"owner": "bob"},
)
def team_b_report():
    @task
    def gather():
        time.sleep(20)
        return "ok"

    @task
    def publish(result):
        print(f"published: {result}")

    publish(gather())


team_b_report()
