-- A team sees its own DAGs and the shared ones: `team = $1 OR shared = 1` (read_model/dags.rs
-- and the DAG pages). With an index for each side, PostgreSQL combines the two (a BitmapOr)
-- instead of scanning the whole table; at 10,000 DAGs, on a table the per-run strip updates
-- had grown to 1.1 GB, the scan cost 270-360 ms per query and the DAG list ~850 ms per
-- fresh page. SQLite's OR optimisation uses the pair the same way.
CREATE INDEX dags_shared ON dags (dag_id) WHERE shared = 1;
