"""Team A's daily load: extract, transform, load."""

from datetime import datetime

from airflow.sdk import Param, dag, task


@dag(
    dag_id="team_a_etl",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["etl", "team_a"],
    default_args={"owner": "alice"},
    doc_md="""
# Team A ETL

Loads yesterday's orders into the warehouse, in batches of `batch_size` rows.
See [the runbook](https://runbook.example.test/etl) when it fails.

<script>alert("DAG docs are Markdown: raw HTML shows as text")</script>
""",
    params={
        "batch_size": Param(100, type="integer", minimum=1, maximum=10000, description="rows per batch"),
        "region": Param("eu", type="string", enum=["eu", "us"]),
    },
)
def team_a_etl():
    @task
    def extract():
        return [1, 2, 3]

    @task
    def transform(rows):
        return [r * 2 for r in rows]

    @task
    def load(rows):
        print(f"loaded {len(rows)} rows")

    load(transform(extract()))


team_a_etl()
