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
    runs INTEGER NOT NULL,
    PRIMARY KEY (hour, team, state)
);
CREATE TABLE team_run_days (
    day TEXT NOT NULL,
    team TEXT NOT NULL,
    state TEXT NOT NULL,
    runs INTEGER NOT NULL,
    PRIMARY KEY (day, team, state)
);

CREATE TRIGGER dag_runs_rollup_insert AFTER INSERT ON dag_runs WHEN NEW.team IS NOT NULL BEGIN
    INSERT INTO team_run_hours (hour, team, state, runs)
        VALUES (substr(NEW.run_after, 1, 13), NEW.team, COALESCE(NEW.state, 'none'), 1)
        ON CONFLICT (hour, team, state) DO UPDATE SET runs = runs + 1;
    INSERT INTO team_run_days (day, team, state, runs)
        VALUES (substr(NEW.run_after, 1, 10), NEW.team, COALESCE(NEW.state, 'none'), 1)
        ON CONFLICT (day, team, state) DO UPDATE SET runs = runs + 1;
END;

-- The run leaves its old bucket and enters its new one; a bucket that reaches zero goes.
-- Setting `team` after the insert (migration 0010's trigger) is an update from NULL.
CREATE TRIGGER dag_runs_rollup_update AFTER UPDATE OF state, run_after, team ON dag_runs
    WHEN OLD.team IS NOT NEW.team OR OLD.state IS NOT NEW.state
        OR substr(OLD.run_after, 1, 13) IS NOT substr(NEW.run_after, 1, 13) BEGIN
    UPDATE team_run_hours SET runs = runs - 1 WHERE hour = substr(OLD.run_after, 1, 13)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none');
    DELETE FROM team_run_hours WHERE hour = substr(OLD.run_after, 1, 13)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none') AND runs <= 0;
    UPDATE team_run_days SET runs = runs - 1 WHERE day = substr(OLD.run_after, 1, 10)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none');
    DELETE FROM team_run_days WHERE day = substr(OLD.run_after, 1, 10)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none') AND runs <= 0;
    INSERT INTO team_run_hours (hour, team, state, runs)
        SELECT substr(NEW.run_after, 1, 13), NEW.team, COALESCE(NEW.state, 'none'), 1
        WHERE NEW.team IS NOT NULL
        ON CONFLICT (hour, team, state) DO UPDATE SET runs = runs + 1;
    INSERT INTO team_run_days (day, team, state, runs)
        SELECT substr(NEW.run_after, 1, 10), NEW.team, COALESCE(NEW.state, 'none'), 1
        WHERE NEW.team IS NOT NULL
        ON CONFLICT (day, team, state) DO UPDATE SET runs = runs + 1;
END;

CREATE TRIGGER dag_runs_rollup_delete AFTER DELETE ON dag_runs WHEN OLD.team IS NOT NULL BEGIN
    UPDATE team_run_hours SET runs = runs - 1 WHERE hour = substr(OLD.run_after, 1, 13)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none');
    DELETE FROM team_run_hours WHERE hour = substr(OLD.run_after, 1, 13)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none') AND runs <= 0;
    UPDATE team_run_days SET runs = runs - 1 WHERE day = substr(OLD.run_after, 1, 10)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none');
    DELETE FROM team_run_days WHERE day = substr(OLD.run_after, 1, 10)
        AND team = OLD.team AND state = COALESCE(OLD.state, 'none') AND runs <= 0;
END;

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
ALTER TABLE airflow_sync_status ADD COLUMN health_checked_ms INTEGER;
