-- DAG runs of the sync window (default 14 days), for run history strips and run lists.
-- A run's team is its DAG's: queries join `dags`, so isolation has one source of truth.
CREATE TABLE dag_runs (
    environment TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    state TEXT,
    run_type TEXT,
    run_after TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    synced_ms INTEGER NOT NULL,
    PRIMARY KEY (environment, dag_id, run_id)
);
CREATE INDEX dag_runs_recent ON dag_runs (environment, dag_id, run_after);
