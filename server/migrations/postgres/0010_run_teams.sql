-- The team's run list reads newest-first from an index instead of sorting every run of the
-- team's DAGs (PostgreSQL fell over under load at 1,000,000 runs). `team` on a run is a copy
-- of its DAG's, kept by triggers. Queries still join `dags` and apply the team rule there:
-- a stale copy could hide a run, never show another team's.
ALTER TABLE dag_runs ADD COLUMN team TEXT;
UPDATE dag_runs r SET team = d.team FROM dags d
    WHERE d.environment = r.environment AND d.dag_id = r.dag_id;
CREATE INDEX dag_runs_team_time ON dag_runs (team, run_after, dag_id, run_id);

CREATE FUNCTION hangar_run_team() RETURNS trigger AS $$
BEGIN
    NEW.team := (SELECT team FROM dags d WHERE d.environment = NEW.environment AND d.dag_id = NEW.dag_id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER dag_runs_team BEFORE INSERT ON dag_runs
    FOR EACH ROW EXECUTE FUNCTION hangar_run_team();

CREATE FUNCTION hangar_dag_team() RETURNS trigger AS $$
BEGIN
    UPDATE dag_runs SET team = NEW.team WHERE environment = NEW.environment AND dag_id = NEW.dag_id
        AND team IS DISTINCT FROM NEW.team;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER dags_team_insert AFTER INSERT ON dags
    FOR EACH ROW EXECUTE FUNCTION hangar_dag_team();
-- Every DAG sync sets `team` again; only a real change touches the runs.
CREATE TRIGGER dags_team_update AFTER UPDATE OF team ON dags
    FOR EACH ROW WHEN (OLD.team IS DISTINCT FROM NEW.team) EXECUTE FUNCTION hangar_dag_team();
