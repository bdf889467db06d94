"""A DAG that always fails: Hangar must show failures and let operators clear them."""

from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="team_a_flaky",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["team_a", "broken"],
    default_args={"owner": "carol", "retries": 0},
)
def team_a_flaky():
    @task
    def fail():
        raise RuntimeError("upstream file missing")

    fail()


team_a_flaky()
