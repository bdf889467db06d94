-- Connection metadata as of the last sync. No password and no secret extra is ever stored:
-- `has_password` says whether one is set, `extra_masked` has secret-looking values masked.
-- `team` is NULL for a global connection.
CREATE TABLE connections (
    environment TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    team TEXT,
    conn_type TEXT NOT NULL,
    description TEXT,
    host TEXT,
    login TEXT,
    schema_name TEXT,
    port BIGINT,
    has_password BIGINT NOT NULL,
    extra_masked TEXT,
    synced_ms BIGINT NOT NULL,
    PRIMARY KEY (environment, connection_id)
);
