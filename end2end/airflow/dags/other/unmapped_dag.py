"""A DAG in a bundle Hangar's test configuration does not map: no team may see it."""

from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="unmapped_dag", schedule=None, start_date=datetime(2026, 1, 1), catchup=False)
def unmapped_dag():
    @task
    def hello():
        print("unmapped")

    hello()


unmapped_dag()
