-- What only Airflow's per-DAG details carry: documentation and run parameters. They are
-- fetched again only when a DAG was re-parsed (`details_parsed` <> `last_parsed`), a few per
-- sync, so the number of calls does not grow with page views.
ALTER TABLE dags ADD COLUMN relative_fileloc TEXT;
ALTER TABLE dags ADD COLUMN doc_md TEXT;
ALTER TABLE dags ADD COLUMN params_json TEXT;
ALTER TABLE dags ADD COLUMN details_parsed TEXT;

-- Files that failed to import, per bundle: a file that does not import has no DAG to show
-- its error on, so the team's DAG list shows them. `team` NULL: a shared bundle's file.
CREATE TABLE import_errors (
    environment TEXT NOT NULL,
    import_error_id BIGINT NOT NULL,
    team TEXT,
    bundle_name TEXT,
    filename TEXT NOT NULL,
    stack_trace TEXT NOT NULL,
    error_time TEXT NOT NULL,
    synced_ms BIGINT NOT NULL,
    PRIMARY KEY (environment, import_error_id)
);
CREATE INDEX import_errors_team ON import_errors (environment, team);
