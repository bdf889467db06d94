-- Ownership that Airflow cannot move (docs/permissions.md, "Who owns a DAG").
--
-- Deny by default: a DAG or import error is seen by its team (`team`) or, when `shared`,
-- by every team. A bundle Hangar's configuration does not map leaves both empty, and
-- `team = $1 OR shared = 1` matches no team: such rows are for platform roles only. Rows
-- synced before this migration start unshared; the next catalogue sync sets them again.
ALTER TABLE dags ADD COLUMN shared BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_errors ADD COLUMN shared BIGINT NOT NULL DEFAULT 0;

-- The first owner of a dag_id in an environment keeps it: a team, or shared (`team` NULL,
-- `shared` 1). A later report of the DAG in a bundle of another owner does not move the
-- DAG (nor, through 0010's triggers, its runs); it is a conflict until a platform admin
-- assigns or releases the pin (audited). Pins outlive the DAG's row, so a DAG that leaves
-- Airflow and comes back in another team's bundle is still a conflict.
CREATE TABLE dag_owners (
    environment TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    team TEXT,
    shared BIGINT NOT NULL DEFAULT 0,
    pinned_ms BIGINT NOT NULL,
    PRIMARY KEY (environment, dag_id)
);
INSERT INTO dag_owners (environment, dag_id, team, shared, pinned_ms)
    SELECT environment, dag_id, team, 0, synced_ms FROM dags WHERE team IS NOT NULL;

-- Set while Airflow reports the DAG in a bundle whose owner is not the pinned one: the
-- bundle it reports (NULL: none) and since when. Meanwhile the row keeps the pinned owner
-- and the description, tags and file of the last agreeing report (they are now another
-- owner's code), and every action on the DAG is refused.
ALTER TABLE dags ADD COLUMN conflict_bundle TEXT;
ALTER TABLE dags ADD COLUMN conflict_since_ms BIGINT;
CREATE INDEX dags_conflicts ON dags (conflict_since_ms);
CREATE INDEX dags_unmapped ON dags (environment, bundle_name) WHERE team IS NULL AND shared = 0;
