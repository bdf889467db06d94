"""A DAG in the shared bundle: visible to every team, changed only by platform admins."""

from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="shared_housekeeping",
    schedule="@weekly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["platform"],
    default_args={"owner": "platform"},
)
def shared_housekeeping():
    @task
    def vacuum():
        print("vacuumed")

    vacuum()


shared_housekeeping()
