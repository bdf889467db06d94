-- The outbox of deploy webhooks (`[[deploy.notify]]`, docs/deploys.md "Notifications"): one
-- row per event and hook, written when the event happens and delivered by a background
-- worker on any replica (claimed by one conditional statement), retried with back-off.
CREATE TABLE deploy_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL,
    request_id INTEGER NOT NULL REFERENCES deploy_requests (id),
    event TEXT NOT NULL,
    -- SHA-256 of the hook's URL (the URL itself may be a secret): the hook is looked up in
    -- the configuration at delivery, and a row whose hook is gone fails.
    hook TEXT NOT NULL,
    -- The hook's host, as the deploys page names it.
    destination TEXT NOT NULL,
    -- The body, fixed when the event happened.
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    claimed_by TEXT,
    claimed_until_ms INTEGER,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    delivered_ms INTEGER
);
CREATE INDEX deploy_notifications_due ON deploy_notifications (state, next_attempt_ms);
CREATE INDEX deploy_notifications_team ON deploy_notifications (team, id);
