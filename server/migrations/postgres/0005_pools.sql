-- Pools with their slot usage as of the last sync. `team` is NULL for a global pool.
CREATE TABLE pools (
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    team TEXT,
    slots BIGINT NOT NULL,
    description TEXT,
    include_deferred BIGINT NOT NULL,
    occupied BIGINT NOT NULL,
    running BIGINT NOT NULL,
    queued BIGINT NOT NULL,
    scheduled BIGINT NOT NULL,
    deferred BIGINT NOT NULL,
    open BIGINT NOT NULL,
    synced_ms BIGINT NOT NULL,
    PRIMARY KEY (environment, name)
);
