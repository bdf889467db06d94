-- What the task page, the Gantt chart, the graph and a team's "where tasks run" read.

-- Where and when each task instance ran (Airflow's `queued_when`, `executor`, `queue`,
-- `hostname`), and the label a mapped instance renders for its index.
ALTER TABLE task_instances ADD COLUMN queued_when TEXT;
ALTER TABLE task_instances ADD COLUMN executor TEXT;
ALTER TABLE task_instances ADD COLUMN queue TEXT;
ALTER TABLE task_instances ADD COLUMN hostname TEXT;
ALTER TABLE task_instances ADD COLUMN rendered_map_index TEXT;
-- The team's executors, queues and hosts of the last 24 hours read by start time.
CREATE INDEX task_instances_started ON task_instances (start_date);

-- The tries before a task instance's current one: when the sync sees the try number move,
-- the row as it was (the previous try's state and times) is kept here. They go with their
-- task instance.
CREATE TABLE task_instance_tries (
    environment TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    map_index INTEGER NOT NULL,
    try_number INTEGER NOT NULL,
    state TEXT,
    queued_when TEXT,
    start_date TEXT,
    end_date TEXT,
    duration REAL,
    hostname TEXT,
    PRIMARY KEY (environment, dag_id, run_id, task_id, map_index, try_number)
);

CREATE TRIGGER task_instance_tries_keep AFTER UPDATE OF try_number ON task_instances
WHEN NEW.try_number > OLD.try_number AND OLD.try_number > 0 BEGIN
    INSERT INTO task_instance_tries (environment, dag_id, run_id, task_id, map_index, try_number,
        state, queued_when, start_date, end_date, duration, hostname)
    VALUES (OLD.environment, OLD.dag_id, OLD.run_id, OLD.task_id, OLD.map_index, OLD.try_number,
        OLD.state, OLD.queued_when, OLD.start_date, OLD.end_date, OLD.duration, OLD.hostname)
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER task_instance_tries_drop AFTER DELETE ON task_instances BEGIN
    DELETE FROM task_instance_tries WHERE environment = OLD.environment AND dag_id = OLD.dag_id
        AND run_id = OLD.run_id AND task_id = OLD.task_id AND map_index = OLD.map_index;
END;

-- A DAG's tasks as Airflow's public task list gives them (`GET /dags/{id}/tasks`): the
-- graph's nodes and edges, the grid's order and groups (dotted ids), trigger rules.
-- `ordinal` is a topological order.
CREATE TABLE dag_tasks (
    environment TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    operator TEXT,
    trigger_rule TEXT,
    downstream_json TEXT NOT NULL DEFAULT '[]',
    is_mapped INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (environment, dag_id, task_id)
);

-- Whether a DAG's task list is read, and whether Airflow has a newer DAG version since
-- (`stale`, set from Airflow's DAG-version list).
CREATE TABLE dag_task_lists (
    environment TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    stale INTEGER NOT NULL DEFAULT 0,
    task_count INTEGER NOT NULL DEFAULT 0,
    read_ms INTEGER,
    PRIMARY KEY (environment, dag_id)
);

-- The newest DAG version (Airflow's time-ordered id) the task-list sync has seen.
ALTER TABLE airflow_sync_status ADD COLUMN dag_versions_seen TEXT;
