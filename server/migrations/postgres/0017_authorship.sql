-- Who shaped a change (docs/deploys.md, "Authorship").

-- Every e-mail address the identity provider verified for a user, at any sign-in (users.email
-- keeps only the last one): with `authorship = "emails"` a commit naming any of them is that
-- person's. Lower case.
CREATE TABLE user_emails (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    first_seen_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, email)
);
CREATE INDEX user_emails_email ON user_emails (email);
INSERT INTO user_emails (user_id, email, first_seen_ms, last_seen_ms)
SELECT id, lower(trim(email)), last_login_ms, last_login_ms FROM users
WHERE email IS NOT NULL AND trim(email) <> '' AND email_verified;

-- Public signing keys people registered on their profile, each proven theirs by a signature
-- over a text naming them: with `authorship = "signatures"` the owners of the keys that
-- signed a deploy's commits are its authors. A key (its fingerprint) belongs to one user for
-- good; a revoked key stays here, so it can never be registered by someone else.
CREATE TABLE signing_keys (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('ssh', 'gpg')),
    fingerprint TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    label TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT,
    revoked_by BIGINT REFERENCES users (id)
);
CREATE INDEX signing_keys_user ON signing_keys (user_id);
