-- Variable keys and descriptions as of the last sync. No value is ever stored: values are
-- fetched from Airflow when a role that may see them asks, and each such reveal is audited.
-- `team` is NULL for a global variable.
CREATE TABLE variables (
    environment TEXT NOT NULL,
    variable_key TEXT NOT NULL,
    team TEXT,
    description TEXT,
    is_encrypted INTEGER NOT NULL,
    synced_ms INTEGER NOT NULL,
    PRIMARY KEY (environment, variable_key)
);
