-- Users, identified by (issuer, subject); name and e-mail are for display only.
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    groups_json TEXT NOT NULL DEFAULT '[]',
    last_team TEXT,
    first_login_ms BIGINT NOT NULL,
    last_login_ms BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

-- Append-only, hash-chained audit log. `seq` is gapless: it is taken from audit_head under
-- that row's lock, so a deleted row shows as a gap and an edited row as a hash mismatch.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor_issuer TEXT,
    actor_subject TEXT,
    actor_name TEXT,
    team TEXT,
    action TEXT NOT NULL,
    target TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
CREATE INDEX audit_log_team_at ON audit_log (team, at_ms);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
