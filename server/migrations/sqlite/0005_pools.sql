-- Pools with their slot usage as of the last sync. `team` is NULL for a global pool.
CREATE TABLE pools (
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    team TEXT,
    slots INTEGER NOT NULL,
    description TEXT,
    include_deferred INTEGER NOT NULL,
    occupied INTEGER NOT NULL,
    running INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    scheduled INTEGER NOT NULL,
    deferred INTEGER NOT NULL,
    open INTEGER NOT NULL,
    synced_ms INTEGER NOT NULL,
    PRIMARY KEY (environment, name)
);
