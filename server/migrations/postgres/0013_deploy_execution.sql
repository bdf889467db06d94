-- Running deploys (docs/deploys.md): which replica runs a request and when it last showed
-- it is alive (a deploy whose runner went silent is taken over, see deploy/worker.rs), the
-- steps of every attempt as the progress page shows them, whether Airflow picked the new
-- version up, and the team API tokens CI requests deploys with.

-- Only secret_hash (SHA-256 of a 256-bit random secret) is stored; the token is shown once.
-- Each token acts as its own user (user_id), so what it requests is nobody's own request.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    team TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    revoked_ms BIGINT,
    revoked_by BIGINT REFERENCES users (id),
    last_used_ms BIGINT
);
CREATE INDEX api_tokens_team ON api_tokens (team, created_ms);

ALTER TABLE deploy_requests ADD COLUMN runner TEXT;
ALTER TABLE deploy_requests ADD COLUMN heartbeat_ms BIGINT;
-- NULL until deployed; then 'waiting', 'live' (confirmed_ms set) or 'late'.
ALTER TABLE deploy_requests ADD COLUMN confirmation TEXT
    CHECK (confirmation IN ('waiting', 'live', 'late'));
-- The hook's failure, if it failed: the deploy is live, the hook is reported.
ALTER TABLE deploy_requests ADD COLUMN hook_failure TEXT;
ALTER TABLE deploy_requests ADD COLUMN token_id BIGINT REFERENCES api_tokens (id);

CREATE TABLE deploy_steps (
    request_id BIGINT NOT NULL REFERENCES deploy_requests (id),
    attempt BIGINT NOT NULL,
    step TEXT NOT NULL CHECK (step IN ('fetch', 'verify', 'export', 'promote', 'swap', 'hook')),
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    started_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, attempt, step)
);
