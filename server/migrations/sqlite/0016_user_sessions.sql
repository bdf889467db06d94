-- Every signed-in session, by user, so a platform admin can end all of a user's sessions
-- at once and the access overview can count them. The session record itself stays in the
-- store's own table (its data is opaque); a session whose row is gone is ended at its next
-- request, on every replica and whatever any cache holds.
CREATE TABLE user_sessions (
    session_key TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);

CREATE INDEX user_sessions_user ON user_sessions (user_id, expires_ms);
CREATE INDEX user_sessions_expires ON user_sessions (expires_ms);
