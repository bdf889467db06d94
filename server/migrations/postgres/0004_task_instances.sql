-- Task instances of the runs in the sync window: run detail pages and the DAG grid.
-- Like runs, a task instance's team is its DAG's (queries join `dags`).
CREATE TABLE task_instances (
    environment TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    map_index BIGINT NOT NULL,
    state TEXT,
    try_number BIGINT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    duration DOUBLE PRECISION,
    operator TEXT,
    synced_ms BIGINT NOT NULL,
    PRIMARY KEY (environment, dag_id, run_id, task_id, map_index)
);

-- Where the incremental task-instance sync resumes (Airflow's `updated_at`, RFC 3339).
ALTER TABLE airflow_sync_status ADD COLUMN task_instances_since TEXT;
