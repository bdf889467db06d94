"""Team A publishes the daily extract; arrives in Airflow through a Hangar deploy."""

from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="team_a_publish",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["team_a", "deployed"],
    description="Publishes the daily extract (deployed through Hangar)",
    default_args={"owner": "alice"},
)
def team_a_publish():
    @task
    def publish():
        return "published"

    publish()


team_a_publish()
