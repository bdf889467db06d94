-- The DAG list shows each DAG's latest runs and filters and sorts by the latest one. Read
-- per page view from `dag_runs` that costs a window over every run of the page's DAGs
-- (30 ms at 1,000,000 runs); kept on the DAG row by triggers it costs nothing to read, and
-- every writer of `dag_runs` (sync, actions, tests) keeps it right without knowing about it.
-- `recent_runs_json`: the latest 10 runs, newest first, as [{"run_id", "state"}].
ALTER TABLE dags ADD COLUMN recent_runs_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE dags ADD COLUMN last_run_state TEXT;
ALTER TABLE dags ADD COLUMN last_run_after TEXT;

-- One definition of a DAG's strip, read by every trigger below for one DAG at a time.
CREATE VIEW dag_strips AS SELECT d.environment, d.dag_id,
    (SELECT json_group_array(json_object('run_id', run_id, 'state', COALESCE(state, 'none')))
        FROM (SELECT run_id, state FROM dag_runs r WHERE r.environment = d.environment
              AND r.dag_id = d.dag_id ORDER BY r.run_after DESC, r.run_id DESC LIMIT 10)) AS recent_runs_json,
    (SELECT COALESCE(state, 'none') FROM dag_runs r WHERE r.environment = d.environment
        AND r.dag_id = d.dag_id ORDER BY r.run_after DESC, r.run_id DESC LIMIT 1) AS last_run_state,
    (SELECT MAX(run_after) FROM dag_runs r WHERE r.environment = d.environment
        AND r.dag_id = d.dag_id) AS last_run_after
    FROM dags d;

CREATE TRIGGER dag_runs_strip_insert AFTER INSERT ON dag_runs BEGIN
    UPDATE dags SET (recent_runs_json, last_run_state, last_run_after) =
        (SELECT recent_runs_json, last_run_state, last_run_after FROM dag_strips s
         WHERE s.environment = NEW.environment AND s.dag_id = NEW.dag_id)
    WHERE environment = NEW.environment AND dag_id = NEW.dag_id;
END;

CREATE TRIGGER dag_runs_strip_update AFTER UPDATE OF state, run_after ON dag_runs BEGIN
    UPDATE dags SET (recent_runs_json, last_run_state, last_run_after) =
        (SELECT recent_runs_json, last_run_state, last_run_after FROM dag_strips s
         WHERE s.environment = NEW.environment AND s.dag_id = NEW.dag_id)
    WHERE environment = NEW.environment AND dag_id = NEW.dag_id;
END;

CREATE TRIGGER dag_runs_strip_delete AFTER DELETE ON dag_runs BEGIN
    UPDATE dags SET (recent_runs_json, last_run_state, last_run_after) =
        (SELECT recent_runs_json, last_run_state, last_run_after FROM dag_strips s
         WHERE s.environment = OLD.environment AND s.dag_id = OLD.dag_id)
    WHERE environment = OLD.environment AND dag_id = OLD.dag_id;
END;

-- A DAG (re)appearing after its runs were stored starts with them.
CREATE TRIGGER dags_strip_insert AFTER INSERT ON dags BEGIN
    UPDATE dags SET (recent_runs_json, last_run_state, last_run_after) =
        (SELECT recent_runs_json, last_run_state, last_run_after FROM dag_strips s
         WHERE s.environment = NEW.environment AND s.dag_id = NEW.dag_id)
    WHERE environment = NEW.environment AND dag_id = NEW.dag_id;
END;

UPDATE dags SET (recent_runs_json, last_run_state, last_run_after) =
    (SELECT recent_runs_json, last_run_state, last_run_after FROM dag_strips s
     WHERE s.environment = dags.environment AND s.dag_id = dags.dag_id);

CREATE INDEX dags_team_last_run ON dags (team, last_run_after);
