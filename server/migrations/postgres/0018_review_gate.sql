-- The review gate against a dishonest insider (docs/deploys.md): what each request's
-- authorship rule found, the token that opened it and who held its secret, files a ref
-- target receives beyond the team's paths, approvals that stopped counting, token rotation.

-- The rule the request was checked under, when it was made.
ALTER TABLE deploy_requests ADD COLUMN authorship TEXT NOT NULL DEFAULT 'emails'
    CHECK (authorship IN ('signatures', 'emails'));
-- A token's request is also its creator's and its last rotator's: neither may approve it.
ALTER TABLE deploy_requests ADD COLUMN token_creator_id BIGINT REFERENCES users (id);
ALTER TABLE deploy_requests ADD COLUMN token_rotator_id BIGINT REFERENCES users (id);
-- Files the candidate changes outside the team's paths that a ref target receives.
ALTER TABLE deploy_requests ADD COLUMN outside_files BIGINT NOT NULL DEFAULT 0;

-- `Co-authored-by:` trailers, as JSON [[name, email], ...].
ALTER TABLE deploy_commits ADD COLUMN co_authors TEXT NOT NULL DEFAULT '[]';
-- What git's signature check said, against the keys registered when the request was made.
ALTER TABLE deploy_commits ADD COLUMN signature TEXT NOT NULL DEFAULT 'unchecked'
    CHECK (signature IN ('unchecked', 'unsigned', 'bad', 'unknown_key', 'good'));
ALTER TABLE deploy_commits ADD COLUMN signing_key TEXT;
ALTER TABLE deploy_commits ADD COLUMN signing_key_id BIGINT REFERENCES signing_keys (id);

-- Set when the approval stopped counting right before a deploy (the approver lost the role
-- or now matches an author); the request went back to pending.
ALTER TABLE deploy_reviews ADD COLUMN void_reason TEXT;

-- Rotation: a new secret for the same token; whoever did it held the secret.
ALTER TABLE api_tokens ADD COLUMN rotated_by BIGINT REFERENCES users (id);
ALTER TABLE api_tokens ADD COLUMN rotated_ms BIGINT;
