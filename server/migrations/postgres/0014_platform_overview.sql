-- The platform overview (docs/platform.md) reads every team's figures in one page view. Read
-- from `dag_runs` that is a scan of a day's runs per team (70,000 rows at 1,000,000 runs);
-- kept as per-hour and per-day counts by triggers it is a few thousand small rows, and every
-- writer of `dag_runs` (sync, actions, tests) keeps them right without knowing about them.
-- A run counts for its `team` copy (migration 0010) in the hour and day of its `run_after`
-- (UTC, 'YYYY-MM-DDTHH' and 'YYYY-MM-DD'); shared DAGs' runs (team NULL) count nowhere.
CREATE TABLE team_run_hours (
    hour TEXT NOT NULL,
    team TEXT NOT NULL,
    state TEXT NOT NULL,
    runs BIGINT NOT NULL,
    PRIMARY KEY (hour, team, state)
);
CREATE TABLE team_run_days (
    day TEXT NOT NULL,
    team TEXT NOT NULL,
    state TEXT NOT NULL,
    runs BIGINT NOT NULL,
    PRIMARY KEY (day, team, state)
);

-- Moves one run in or out (delta ±1) of its hour and day; a bucket that reaches zero goes.
CREATE FUNCTION hangar_rollup_add(run_team TEXT, run_at TEXT, run_state TEXT, delta BIGINT)
RETURNS void AS $$
BEGIN
    IF run_team IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO team_run_hours (hour, team, state, runs)
        VALUES (substr(run_at, 1, 13), run_team, COALESCE(run_state, 'none'), delta)
        ON CONFLICT (hour, team, state) DO UPDATE SET runs = team_run_hours.runs + delta;
    DELETE FROM team_run_hours WHERE hour = substr(run_at, 1, 13) AND team = run_team
        AND state = COALESCE(run_state, 'none') AND runs <= 0;
    INSERT INTO team_run_days (day, team, state, runs)
        VALUES (substr(run_at, 1, 10), run_team, COALESCE(run_state, 'none'), delta)
        ON CONFLICT (day, team, state) DO UPDATE SET runs = team_run_days.runs + delta;
    DELETE FROM team_run_days WHERE day = substr(run_at, 1, 10) AND team = run_team
        AND state = COALESCE(run_state, 'none') AND runs <= 0;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION hangar_dag_runs_rollup() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM hangar_rollup_add(OLD.team, OLD.run_after, OLD.state, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM hangar_rollup_add(NEW.team, NEW.run_after, NEW.state, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- `team` is set before the insert here (migration 0010), so an insert counts at once.
CREATE TRIGGER dag_runs_rollup_insert AFTER INSERT OR DELETE ON dag_runs
    FOR EACH ROW EXECUTE FUNCTION hangar_dag_runs_rollup();
CREATE TRIGGER dag_runs_rollup_update AFTER UPDATE OF state, run_after, team ON dag_runs
    FOR EACH ROW WHEN (OLD.team IS DISTINCT FROM NEW.team OR OLD.state IS DISTINCT FROM NEW.state
        OR substr(OLD.run_after, 1, 13) IS DISTINCT FROM substr(NEW.run_after, 1, 13))
    EXECUTE FUNCTION hangar_dag_runs_rollup();

INSERT INTO team_run_hours (hour, team, state, runs)
    SELECT substr(run_after, 1, 13), team, COALESCE(state, 'none'), COUNT(*) FROM dag_runs
    WHERE team IS NOT NULL GROUP BY substr(run_after, 1, 13), team, COALESCE(state, 'none');
INSERT INTO team_run_days (day, team, state, runs)
    SELECT substr(run_after, 1, 10), team, COALESCE(state, 'none'), COUNT(*) FROM dag_runs
    WHERE team IS NOT NULL GROUP BY substr(run_after, 1, 10), team, COALESCE(state, 'none');

-- "Failing now": failed runs by when they ended, newest first, across teams.
CREATE INDEX dag_runs_failed_end ON dag_runs (end_date) WHERE state = 'failed';
-- DAGs active and paused per team, from the index alone: read through `dags_team` it cost a
-- lookup of each of 10,000 wide rows (56 ms on SQLite).
CREATE INDEX dags_team_state ON dags (team, is_stale, is_paused);
-- "Tasks running now" per team, without reading the sync window's other task instances.
CREATE INDEX task_instances_running ON task_instances (environment, dag_id) WHERE state = 'running';

-- Airflow's own health (`/api/v2/monitor/health`) as the sync last read it.
ALTER TABLE airflow_sync_status ADD COLUMN health_json TEXT;
ALTER TABLE airflow_sync_status ADD COLUMN health_checked_ms BIGINT;
