-- Hangar's read model of Airflow: pages read these tables, never Airflow directly.

-- One row per configured environment: how its sync is doing.
CREATE TABLE airflow_sync_status (
    environment TEXT PRIMARY KEY,
    last_attempt_ms BIGINT,
    last_success_ms BIGINT,
    last_error TEXT,
    airflow_version TEXT
);

-- DAGs as of the last successful sync. `team` is NULL for a shared bundle's DAGs.
CREATE TABLE dags (
    environment TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    team TEXT,
    display_name TEXT NOT NULL,
    description TEXT,
    bundle_name TEXT,
    bundle_version TEXT,
    tags_json TEXT NOT NULL DEFAULT '[]',
    owners_json TEXT NOT NULL DEFAULT '[]',
    schedule TEXT,
    is_paused BIGINT NOT NULL,
    is_stale BIGINT NOT NULL,
    has_import_errors BIGINT NOT NULL,
    next_run TEXT,
    last_parsed TEXT,
    synced_ms BIGINT NOT NULL,
    PRIMARY KEY (environment, dag_id)
);
CREATE INDEX dags_team ON dags (team, dag_id);
