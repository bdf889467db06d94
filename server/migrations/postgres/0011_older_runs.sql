-- When the sync last read a DAG's latest runs beyond the run window (DAGs that run rarely
-- keep at least `runs_per_dag` runs); NULL: not yet.
ALTER TABLE dags ADD COLUMN older_runs_read_ms BIGINT;
