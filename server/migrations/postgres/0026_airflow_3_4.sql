-- Airflow 3.4.
-- A DAG's scheduling state (`active`, `draining`, `paused`; null before 3.4), kept as
-- Airflow's text, so a state a later Airflow adds is shown rather than refused.
ALTER TABLE dags ADD COLUMN scheduling_state TEXT;
-- Where Airflow's bundle → team map (`GET /api/v2/dagBundles`) contradicts Hangar's
-- configuration, in words for the platform overview; null when they agree. While it is set,
-- the environment is not synced. (`last_error` carries a sentence that names no team, since
-- team pages show it.)
ALTER TABLE airflow_sync_status ADD COLUMN bundle_conflict TEXT;
