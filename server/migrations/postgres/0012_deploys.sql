-- Deploy requests (docs/deploys.md). The status column is the state machine; every change of
-- it is one conditional UPDATE ("... WHERE status IN (...)"), so racing approve, reject,
-- cancel and deploy calls, from any replica, give exactly one outcome.

-- Whether the identity provider verified users.email: only a verified address links a
-- person to the commits they wrote.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE deploy_requests (
    id BIGSERIAL PRIMARY KEY,
    team TEXT NOT NULL,
    -- What the targets held when the request was made; approvals bind to it and to
    -- candidate_sha together.
    deployed_sha TEXT,
    candidate_sha TEXT NOT NULL,
    requester_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'deploying', 'deployed',
        'failed', 'rejected', 'cancelled', 'stale', 'superseded', 'expired')),
    break_glass BOOLEAN NOT NULL DEFAULT FALSE,
    break_glass_reason TEXT,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    -- The step a running deploy is at, and why the last attempt failed.
    step TEXT,
    failure TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    deployed_ms BIGINT,
    confirmed_ms BIGINT
);
-- At most one open request per team: a newer one supersedes the older in one transaction.
CREATE UNIQUE INDEX deploy_requests_one_open ON deploy_requests (team)
    WHERE status IN ('pending', 'approved', 'deploying', 'failed');
CREATE INDEX deploy_requests_team_created ON deploy_requests (team, created_ms);

-- The commits a request includes (those touching the team's paths), newest first.
CREATE TABLE deploy_commits (
    request_id BIGINT NOT NULL REFERENCES deploy_requests (id),
    position BIGINT NOT NULL,
    sha TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    committer_name TEXT NOT NULL,
    committer_email TEXT NOT NULL,
    authored_ms BIGINT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (request_id, position)
);

-- One review per person per request; it carries the binding it was given against.
CREATE TABLE deploy_reviews (
    request_id BIGINT NOT NULL REFERENCES deploy_requests (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
    deployed_sha TEXT,
    candidate_sha TEXT NOT NULL,
    comment TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (request_id, user_id)
);
