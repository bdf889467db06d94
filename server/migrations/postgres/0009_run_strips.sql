-- The DAG list shows each DAG's latest runs and filters and sorts by the latest one. Read
-- per page view from `dag_runs` that costs a window over every run of the page's DAGs; kept
-- on the DAG row by triggers it costs nothing to read, and every writer of `dag_runs` (sync,
-- actions, tests) keeps it right without knowing about it.
-- `recent_runs_json`: the latest 10 runs, newest first, as [{"run_id", "state"}].
ALTER TABLE dags ADD COLUMN recent_runs_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE dags ADD COLUMN last_run_state TEXT;
ALTER TABLE dags ADD COLUMN last_run_after TEXT;

CREATE FUNCTION hangar_refresh_strip(env TEXT, dag TEXT) RETURNS void AS $$
    UPDATE dags SET
        recent_runs_json = COALESCE((SELECT json_agg(json_build_object('run_id', s.run_id, 'state', s.state)
                ORDER BY s.run_after DESC, s.run_id DESC)::text
            FROM (SELECT run_id, COALESCE(state, 'none') AS state, run_after FROM dag_runs r
                  WHERE r.environment = env AND r.dag_id = dag
                  ORDER BY r.run_after DESC, r.run_id DESC LIMIT 10) s), '[]'),
        last_run_state = (SELECT COALESCE(state, 'none') FROM dag_runs r WHERE r.environment = env
            AND r.dag_id = dag ORDER BY r.run_after DESC, r.run_id DESC LIMIT 1),
        last_run_after = (SELECT MAX(run_after) FROM dag_runs r WHERE r.environment = env
            AND r.dag_id = dag)
    WHERE environment = env AND dag_id = dag;
$$ LANGUAGE sql;

CREATE FUNCTION hangar_dag_runs_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM hangar_refresh_strip(OLD.environment, OLD.dag_id);
    ELSE
        PERFORM hangar_refresh_strip(NEW.environment, NEW.dag_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER dag_runs_strip AFTER INSERT OR UPDATE OF state, run_after OR DELETE ON dag_runs
    FOR EACH ROW EXECUTE FUNCTION hangar_dag_runs_changed();

-- A DAG (re)appearing after its runs were stored starts with them.
CREATE FUNCTION hangar_dag_inserted() RETURNS trigger AS $$
BEGIN
    PERFORM hangar_refresh_strip(NEW.environment, NEW.dag_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER dags_strip_insert AFTER INSERT ON dags
    FOR EACH ROW EXECUTE FUNCTION hangar_dag_inserted();

DO $$
DECLARE d RECORD;
BEGIN
    FOR d IN SELECT environment, dag_id FROM dags LOOP
        PERFORM hangar_refresh_strip(d.environment, d.dag_id);
    END LOOP;
END $$;

CREATE INDEX dags_team_last_run ON dags (team, last_run_after);
